"""What the sentence-vector cache saves a long-running ``watch --compare``: a file ingested in rounds, each compared.

    python benchmarks/compare_rounds.py ../shared/datasets/ecbplus-dev.jsonl --rounds 8

Splits the file into ``--rounds`` chunks in publication order and, in one
process (as ``consilience watch --compare`` runs), ingests each chunk into a
fresh SQLite store and compares the stories it changed
(``incremental.compare_changed``): once with the comparison stage's sentence
cache off (``compare_vector_cache=0``), once with the shipped size. Prints the
seconds each round took to compare, the totals, and whether both runs found the
same conflicts (the cache hands back the very vectors, so they must).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from consilience.cluster import publication_order
from consilience.evaluate.datasets import load_labelled
from consilience.incremental import Ingestor, IngestReport, compare_changed
from consilience.settings import DEFAULT_SETTINGS, Settings
from consilience.store import open_store


def run(articles: list, rounds: int, settings: Settings) -> tuple[list[float], list[tuple[str, int]]]:
    """Seconds spent comparing in each round, and every round's (story, conflicts)."""
    chunk = -(-len(articles) // rounds)
    seconds, found = [], []
    with tempfile.TemporaryDirectory() as folder, open_store(str(Path(folder) / "r.db")) as store, store.writer():
        ingestor = Ingestor(store, settings)
        for start in range(0, len(articles), chunk):
            report = IngestReport()
            ingestor.add([dataclasses.replace(a) for a in articles[start : start + chunk]], report)
            ingestor.finish(report)
            began = time.perf_counter()
            compare_changed(store, report, settings)
            seconds.append(time.perf_counter() - began)
            found += [(c["story"], c["conflicts"]) for c in report.compared]
    return seconds, found


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    dataset = load_labelled(args.dataset)
    articles = [dataset.articles[i] for i in publication_order(dataset.articles)]
    off, found_off = run(articles, args.rounds, dataclasses.replace(DEFAULT_SETTINGS, compare_vector_cache=0))
    on, found_on = run(articles, args.rounds, DEFAULT_SETTINGS)
    print(f"{dataset.name}: {len(articles)} articles in {args.rounds} rounds; seconds comparing the changed stories")
    print(f"{'round':>5} {'cache off':>10} {'cache on':>10}")
    for number, (a, b) in enumerate(zip(off, on, strict=True), 1):
        print(f"{number:>5} {a:>10.1f} {b:>10.1f}")
    print(f"{'total':>5} {sum(off):>10.1f} {sum(on):>10.1f}")
    print(f"same conflicts found: {found_off == found_on}")
    return 0 if found_off == found_on else 1


if __name__ == "__main__":
    sys.exit(main())
