"""Ingest speed, store size and memory: one dataset file, or a long synthetic stream.

    python benchmarks/ingest_store.py --dataset ../shared/datasets/allsides-dev.jsonl
    python benchmarks/ingest_store.py --synthetic 200000 --every 20000 --embedder hashing

The first form is the default pipeline (clean, language, MiniLM signals,
clustering, SQLite) on a real file, from raw records to stored-and-assigned
articles. The second replays the datasets as a stream (copies 90 days apart,
so each copy is a new season of events, as in clustering_stream.py) through
the same ingestor in batches, printing resident memory and the store's size
every ``--every`` articles: memory must stay flat while the store grows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from consilience.embed import Embedder, HashingEmbedder, get_embedder
from consilience.evaluate import load_labelled
from consilience.incremental import Ingestor, IngestReport
from consilience.ingest import SourceReader
from consilience.model import Article
from consilience.store import open_store

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
COPY_SHIFT_DAYS = 90


def rss_mb() -> float:
    """Current resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """Peak resident set size of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_mb(path: Path) -> float:
    """Size of the SQLite file and its WAL."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file()) / 1e6


def one_file(dataset: Path, db: Path, embedder: Embedder | None) -> None:
    started = time.perf_counter()
    with open_store(db) as store, store.writer():
        ingestor = Ingestor(store, embedder=embedder)
        loaded = time.perf_counter()
        report = ingestor.ingest_sources([str(dataset)], SourceReader(), IngestReport())
        articles, stories = store.count_articles(), store.count_stories()
    total = time.perf_counter() - started
    print("| file | read | stored | stories | art/s (ingest) | art/s (with model loading) | store MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {dataset.name} | {report.read:,} | {articles:,} | {stories:,} | {report.added / (time.perf_counter() - loaded):.0f} "
          f"| {report.added / total:.0f} | {store_mb(db):.0f} | {peak_mb():.0f} |")  # fmt: skip


def synthetic(articles: int, every: int, db: Path, embedder: Embedder | None) -> None:
    files = [f for f in sorted(DATASETS.glob("*.jsonl")) if "summaries" not in f.name]
    base = [a for f in files for a in load_labelled(f).articles]
    start_day = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)

    def stream() -> Iterator[Article]:
        for copy in itertools.count():
            shift = dt.timedelta(days=COPY_SHIFT_DAYS * copy)
            for article in base:
                published = article.published or start_day
                if published.tzinfo is None:
                    published = published.replace(tzinfo=dt.UTC)
                # a copy number in the text too: otherwise every copy is the same text, deduplicated away
                yield replace(article, id=f"{article.id}#{copy}", published=published + shift,
                              text=f"{article.text}\n\nEdition {copy}.", raw_text=None, cleaning=[])  # fmt: skip

    print("| articles | RSS MB | store MB | active stories | archived | art/s (last stretch) |")
    print("|---|---|---|---|---|---|")
    with open_store(db) as store, store.writer():
        ingestor = Ingestor(store, embedder=embedder)
        report = IngestReport()
        source = stream()
        done = 0
        while done < articles:
            started = time.perf_counter()
            chunk = list(itertools.islice(source, min(every, articles - done)))
            ingestor.add(chunk, report)
            done += len(chunk)
            rate = len(chunk) / (time.perf_counter() - started)
            print(f"| {done:,} | {rss_mb():.0f} | {store_mb(db):.0f} | {len(ingestor.clusterer.active):,} "
                  f"| {len(ingestor.clusterer.archive):,} | {rate:.0f} |", flush=True)  # type: ignore[arg-type]  # fmt: skip
        ingestor.finish(report)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--synthetic", type=int, metavar="ARTICLES")
    parser.add_argument("--every", type=int, default=20_000)
    parser.add_argument("--embedder", choices=("minilm", "minilm-static", "hashing"), default="minilm")
    parser.add_argument("--db", type=Path, help="store file (default: a new one in a temporary folder)")
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="consilience-bench-")) / "bench.db"
    embedder = HashingEmbedder(384) if args.embedder == "hashing" else get_embedder(args.embedder)
    if args.dataset:
        if not args.dataset.exists():
            print(f"{args.dataset}: not found", file=sys.stderr)
            return 2
        one_file(args.dataset, db, embedder)
    elif args.synthetic:
        synthetic(args.synthetic, args.every, db, embedder)
    else:
        parser.error("give --dataset FILE or --synthetic ARTICLES")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
