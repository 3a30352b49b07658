"""How the Spark job's link threshold trades component size against agreement with the local engine.

    python -m consilience spark run --input ../shared/datasets/allsides-dev.jsonl --output /tmp/sp_as --facts none
    python benchmarks/spark_components.py /tmp/sp_as ../shared/datasets/allsides-dev.jsonl --link 0.1 0.3 0.5

Reads a finished run's work folder (``_work/articles`` with the signals the job
computed, ``_work/links`` with each link's probability, ``term_stats.bin``),
and for each ``--link`` threshold: rebuilds the connected components from the
links at or above it (copies always link), assigns components to
``--partitions`` partitions at random, and replays the stories stage in
Python, as ``tasks.cluster_partition`` runs it (``PartialStreamStats`` at each
article's stream position). Prints the largest component, the pairwise F1
against the local engine fed the same signals as one stream, and the BCubed F1
against the gold stories. No Spark needed for the replay.
"""

from __future__ import annotations

import argparse
import collections
import copy
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from consilience.cluster import PairModel, StoryLedger, StreamClusterer
from consilience.cluster.signals import ArticleSignals, PartialStreamStats, TermStats
from consilience.embed import Embedder, get_embedder
from consilience.evaluate import load_labelled
from consilience.evaluate.metrics import score_clustering
from consilience.settings import DEFAULT_SETTINGS
from consilience.spark import tasks
from consilience.store.codec import stats_from_bytes


def replay(
    indices: list[int],
    signals: list[ArticleSignals],
    duplicates: list[str | None],
    whole: TermStats,
    embedder: Embedder,
    model: PairModel,
) -> dict[str, str]:
    """Story of each article of one partition (articles given by their stream positions, in order)."""
    own = np.zeros(whole.buckets, dtype=np.int32)
    for i in indices:
        own[np.fromiter(signals[i].terms.keys() | signals[i].names, dtype=np.int64)] += 1
    stats = PartialStreamStats(whole, own, len(signals))
    clusterer = StreamClusterer(DEFAULT_SETTINGS, embedder=embedder, multilingual=None, model=model)
    clusterer.stats = stats
    ledger = StoryLedger()
    for i in indices:
        stats.position = i
        ledger.apply(clusterer.add_signals(copy.copy(signals[i]), duplicates[i]))
    ledger.apply(clusterer.consolidate())
    return {a: story.articles[0] for story in ledger.stories() for a in story.articles}


def components(count: int, edges: list[tuple[int, int]]) -> list[int]:
    """Component label of each of ``count`` vertices (union-find with path halving)."""
    parent = list(range(count))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[root_a] = root_b
    return [find(i) for i in range(count)]


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the --output folder of a finished `consilience spark run`")
    parser.add_argument("dataset", type=Path, help="the labelled JSONL file the run read (for the gold stories)")
    parser.add_argument("--link", type=float, nargs="+", default=[0.1, 0.3, 0.5])
    parser.add_argument("--partitions", type=int, default=3)
    args = parser.parse_args()
    articles = pq.read_table(args.output / "_work" / "articles").to_pandas()
    articles = articles.sort_values(["time_order", "seq"]).reset_index(drop=True)
    links = pq.read_table(args.output / "_work" / "links").to_pandas()
    whole = stats_from_bytes((args.output / "term_stats.bin").read_bytes())
    signals = [tasks.signals_of(row) for _, row in articles.iterrows()]
    duplicates = [d if isinstance(d, str) else None for d in articles["duplicate_of"]]
    gold = load_labelled(args.dataset).gold
    embedder = get_embedder(DEFAULT_SETTINGS.cluster_embedder)
    model = PairModel.for_embedder(embedder.name)
    position_of = {int(n): i for i, n in enumerate(articles["n"])}
    local = replay(list(range(len(signals))), signals, duplicates, whole, embedder, model)
    print(f"{len(signals):,} articles, {len(links):,} links; local engine: "
          f"BCubed F1 {score_clustering({a: gold[a] for a in local}, local).bcubed_f1:.3f}")  # fmt: skip
    for threshold in args.link:
        kept = [(position_of[int(a)], position_of[int(b)])
                for a, b, probability, kind in zip(links["a"], links["b"], links["probability"], links["kind"],
                                                   strict=True)
                if kind in ("copy", "same text") or probability >= threshold]  # fmt: skip
        component = components(len(signals), kept)
        sizes = collections.Counter(component)
        rng = random.Random(1)
        partition_of = {c: rng.randrange(args.partitions) for c in sizes}
        partitions: dict[int, list[int]] = collections.defaultdict(list)
        for i, c in enumerate(component):
            partitions[partition_of[c]].append(i)
        stories: dict[str, str] = {}
        for indices in partitions.values():
            stories.update(replay(indices, signals, duplicates, whole, embedder, model))
        print(f"link >= {threshold}: largest component {max(sizes.values()):,}, components {len(sizes):,}, "
              f"pairwise F1 vs local {score_clustering(local, stories).pairwise_f1:.3f}, "
              f"BCubed F1 {score_clustering({a: gold[a] for a in stories}, stories).bcubed_f1:.3f}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
