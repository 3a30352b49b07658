"""Clustering speed and memory over a long synthetic stream built from ../shared/datasets.

The stream replicates every dataset article (new ids, publication dates shifted
forward by 90 days per copy: each copy is a new season of events, further apart
than the clusterer's window and reopen horizon, so old stories retire for good)
until it holds ``--articles`` articles.
It prints a table of resident memory and throughput every ``--every``
articles: memory must stay flat once the active window is full.

Two throughputs are reported: signals (the index stage: embedding, terms,
names, numbers, MinHash) and assignment (the clusterer proper, from signals to
a story). ``--embedder hashing`` keeps the embedding cost out of a long run;
``--embedder minilm`` measures the real embedding path on a shorter one.

    python benchmarks/clustering_stream.py --articles 200000 --embedder hashing
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from consilience.cluster import StreamClusterer
from consilience.embed import HashingEmbedder, get_embedder
from consilience.evaluate import load_labelled

# each copy of the datasets is a new season of news: further apart than the clusterer's window and reopen horizon
# (cluster_reopen_days), so copies make new stories and old ones retire (closer copies would be republications of one
# another, joining or reopening old stories)
COPY_SHIFT_DAYS = 90
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def rss_mb() -> float:
    """Current resident set size in MB (from /proc, Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--every", type=int, default=20_000)
    parser.add_argument("--embedder", choices=("hashing", "minilm"), default="hashing")
    args = parser.parse_args()
    files = sorted(DATASETS.glob("*.jsonl"))
    files = [f for f in files if "summaries" not in f.name]
    if not files:
        print(f"no datasets in {DATASETS}", file=sys.stderr)
        return 2
    base = [a for f in files for a in load_labelled(f).articles]
    start_day = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    embedder = HashingEmbedder(384) if args.embedder == "hashing" else get_embedder()
    clusterer = StreamClusterer(embedder=embedder)
    table = Table(title=f"{args.articles:,} articles, embedder {args.embedder}")
    for column in ("articles", "RSS MB", "active stories", "archived", "signals art/s", "assign art/s", "stories"):
        table.add_column(column, justify="right")
    signal_seconds = assign_seconds = 0.0
    done = stories = 0
    for copy in itertools.count():
        if done >= args.articles:
            break
        shift = dt.timedelta(days=COPY_SHIFT_DAYS * copy)
        batch = []
        for article in base[: args.articles - done]:
            published = article.published or start_day  # undated files are dated to the copy's day here
            if published.tzinfo is None:
                published = published.replace(tzinfo=dt.UTC)
            batch.append(replace(article, id=f"{article.id}#{copy}", published=published + shift))
        for begin in range(0, len(batch), 512):
            chunk = batch[begin : begin + 512]
            t0 = time.perf_counter()
            signals = clusterer.extractor.extract(chunk)
            signal_seconds += time.perf_counter() - t0
            for article, signal in zip(chunk, signals, strict=True):
                t1 = time.perf_counter()
                events = clusterer.add_signals(signal, article.duplicate_of)
                assign_seconds += time.perf_counter() - t1
                stories += sum(1 for e in events if e.kind == "new")
                done += 1
                if done % args.every == 0:
                    row = (
                        f"{done:,}",
                        f"{rss_mb():.0f}",
                        f"{len(clusterer.active):,}",
                        f"{len(clusterer.archive):,}",  # type: ignore[arg-type]
                        f"{done / signal_seconds:,.0f}",
                        f"{done / assign_seconds:,.0f}",
                        f"{stories:,}",
                    )
                    table.add_row(*row)
                    print("  ".join(row), file=sys.stderr, flush=True)
    Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
