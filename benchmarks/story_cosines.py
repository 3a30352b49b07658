"""How alike gold stories read: centroid cosines between stories of one topic and of different topics.

    python benchmarks/story_cosines.py ../shared/datasets/ecbplus-dev.jsonl --cache /tmp/cache

The clustering vectors (title + lead, cached as ``clustering_replay.py`` caches
them) of each gold story's articles are averaged; every pair of stories is put
in one of two groups by the file's ``topic`` field (ECB+: two events of one kind
per topic), and each group's percentiles are printed with the share at or above
``cluster_look_alike_cosine``, the cosine from which stories are listed as
look-alikes. Files without topics print one group.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import numpy as np

from consilience.cluster.train import dataset_signals
from consilience.evaluate.datasets import load_labelled
from consilience.settings import DEFAULT_SETTINGS


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--cache", required=True, help="folder of cached signals (filled on first use)")
    args = parser.parse_args()
    dataset = load_labelled(args.dataset)
    with open(args.dataset, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    topic_of_article = {row["id"]: row.get("topic") for row in rows}
    vectors: dict[str, list[np.ndarray]] = collections.defaultdict(list)
    topic: dict[str, str | None] = {}
    for signals in dataset_signals(dataset, DEFAULT_SETTINGS, cache=Path(args.cache)):
        story = dataset.gold[signals.id]
        vectors[story].append(signals.dense)
        topic[story] = topic_of_article.get(signals.id)
    stories = list(vectors)
    centroids = np.stack([np.mean(vectors[s], axis=0) for s in stories])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    cosines = centroids @ centroids.T
    groups: dict[str, list[float]] = collections.defaultdict(list)
    for a in range(len(stories)):
        for b in range(a + 1, len(stories)):
            same = topic[stories[a]] is not None and topic[stories[a]] == topic[stories[b]]
            groups["same topic" if same else "other topics"].append(float(cosines[a, b]))
    threshold = DEFAULT_SETTINGS.cluster_look_alike_cosine
    print(f"{args.dataset}: {len(stories)} gold stories; centroid cosines of story pairs")
    print(f"{'pairs':>14} {'count':>8} {'p5':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'>= ' + str(threshold):>8}")
    for name, values in sorted(groups.items()):
        x = np.array(values)
        p5, p50, p95, p99 = np.percentile(x, [5, 50, 95, 99])
        share = float((x >= threshold).mean())
        print(f"{name:>14} {len(x):8d} {p5:6.2f} {p50:6.2f} {p95:6.2f} {p99:6.2f} {share:8.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
