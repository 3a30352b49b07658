"""How the Spark job's link threshold trades component size against agreement with the local engine.

    python -m consilience spark run --input ../shared/datasets/allsides-dev.jsonl --output /tmp/sp_as --facts none
    python benchmarks/spark_components.py /tmp/sp_as ../shared/datasets/allsides-dev.jsonl --link 0.1 0.3 0.5
    python benchmarks/spark_components.py /tmp/sp_as ../shared/datasets/allsides-dev.jsonl --link 0.1 \
        --segment 1000 --lead-in 0 250 500 1000

Reads a finished run's work folder (``_work/articles`` with the signals the job
computed, ``_work/links`` with each link's probability, ``term_stats.bin``),
and for each ``--link`` threshold: rebuilds the connected components from the
links at or above it (copies always link), assigns components to
``--partitions`` partitions at random, and runs the job's own stories stage
(``tasks.cluster_partition``) on each partition, without Spark. Prints the
largest component, the pairwise F1 against the local engine on the same
signals (``cluster_partition`` with one partition holding everything, which is
the local engine: ``tests/test_spark.py``), and the BCubed F1 against the gold.
With ``--segment``, components larger than it are cut into segments as the
job cuts them (``tasks.segment_rows``, one row per ``--lead-in``) and stitched
back (``tasks.stitch_segments``).
"""

from __future__ import annotations

import argparse
import collections
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from consilience.evaluate import load_labelled
from consilience.evaluate.metrics import score_clustering
from consilience.settings import DEFAULT_SETTINGS
from consilience.spark import tasks


def replay(frame: pd.DataFrame, stats_bytes: bytes, total: int) -> pd.DataFrame:
    """One partition's rows, clustered by the job's own ``tasks.cluster_partition`` (``CLUSTERED_SCHEMA``)."""
    placed = frame.sort_values("position")[list(tasks.PLACED_ARROW.names)]
    return pd.concat(list(tasks.cluster_partition(iter([placed]), DEFAULT_SETTINGS, stats_bytes, False, total)))


def stories_of(clustered: list[pd.DataFrame]) -> dict[str, str]:
    """Final story of each article, stitched as the job stitches segments."""
    out = tasks.stitch_segments(pd.concat(clustered))
    return dict(zip(out["id"], out["story_id"], strict=True))


def segmented(articles: pd.DataFrame, size: int | None, lead_in: int) -> pd.DataFrame:
    """The placed rows: every article once, plus the lead-in rows of segmented components (``tasks.segment_rows``)."""
    members = articles.groupby("component")["n"].transform("size")
    if size is None or not (members > size).any():
        return articles.assign(segment=-1, lead_in=False)
    big = articles[members > size].sort_values("position")
    ranked = pd.DataFrame({
        "n": big["n"], "rank": big.groupby("component").cumcount(), "members": members[members > size][big.index],
    })  # fmt: skip
    segments = tasks.segment_rows(ranked, size, lead_in)
    whole = articles[members <= size].assign(segment=-1, lead_in=False)
    return pd.concat([whole, articles.merge(segments, on="n")], ignore_index=True)


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
    parser.add_argument("--segment", type=int, help="cut components larger than this (default: never)")
    parser.add_argument("--lead-in", type=int, nargs="+", default=[DEFAULT_SETTINGS.spark_segment_lead_in])
    args = parser.parse_args()
    articles = pq.read_table(args.output / "_work" / "articles").to_pandas()
    articles = articles.sort_values(["time_order", "seq"]).reset_index(drop=True)
    articles["position"] = range(len(articles))
    links = pq.read_table(args.output / "_work" / "links").to_pandas()
    stats_bytes = (args.output / "term_stats.bin").read_bytes()
    gold = load_labelled(args.dataset).gold
    position_of = {int(n): i for i, n in enumerate(articles["n"])}
    whole = articles.assign(component=0, segment=-1, lead_in=False)
    # one partition holding everything: the local engine
    local = stories_of([replay(whole, stats_bytes, len(articles))])
    print(f"{len(articles):,} articles, {len(links):,} links; local engine: "
          f"BCubed F1 {score_clustering({a: gold[a] for a in local}, local).bcubed_f1:.3f}")  # fmt: skip
    for threshold in args.link:
        kept = [(position_of[int(a)], position_of[int(b)])
                for a, b, probability, kind in zip(links["a"], links["b"], links["probability"], links["kind"],
                                                   strict=True)
                if kind in ("copy", "same text") or probability >= threshold]  # fmt: skip
        component = components(len(articles), kept)
        sizes = collections.Counter(component)
        for lead_in in args.lead_in if args.segment else [0]:
            placed = segmented(articles.assign(component=component), args.segment, lead_in)
            rng = random.Random(1)
            lanes = sorted(set(zip(placed["component"], placed["segment"], strict=True)))
            partition_of = {lane: rng.randrange(args.partitions) for lane in lanes}
            partition = np.array(
                [partition_of[lane] for lane in zip(placed["component"], placed["segment"], strict=True)]
            )
            clustered = [replay(placed[partition == number], stats_bytes, len(articles))
                         for number in range(args.partitions) if (partition == number).any()]  # fmt: skip
            stories = stories_of(clustered)
            cut = f", segments of {args.segment:,} with lead-in {lead_in:,}" if args.segment else ""
            print(f"link >= {threshold}{cut}: largest component {max(sizes.values()):,}, components {len(sizes):,}, "
                  f"pairwise F1 vs local {score_clustering(local, stories).pairwise_f1:.3f}, "
                  f"BCubed F1 {score_clustering({a: gold[a] for a in stories}, stories).bcubed_f1:.3f}",
                  flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
