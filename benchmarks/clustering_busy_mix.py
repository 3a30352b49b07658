"""Cross-lingual stories in a busy window: MEANTIME's translations dropped into AllSides' days.

    python benchmarks/clustering_busy_mix.py --cache /tmp/cache [--per-day 300] [--embedder minilm-static] \
        [--set SETTING=NUMBER]

MEANTIME alone is easy to file: 120 stories over six years, a handful in any
14-day window. In a desk's stream a Spanish, Italian or Dutch report meets
thousands of stories of the same weeks, and the nearest centroids by English
vectors may not include its own. This benchmark dates AllSides' excerpts
``--per-day`` stories a day (as ``clustering_replay.py --redate-undated`` does),
places each MEANTIME story on one of those days (a hash of its id; its reports
within six hours), replays the mixed stream in publication order on cached
signals, and prints BCubed for each file's articles, the assignment speed, and
how many leads the multilingual model embedded (the cost of cross-lingual
pairs: English members of a candidate story get a multilingual vector the
first time a pair crosses languages).
"""

from __future__ import annotations

import argparse
import copy
import time
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
from clustering_replay import setting_overrides

from consilience.cluster.pairs import PairModel
from consilience.cluster.stream import StoryLedger, StreamClusterer
from consilience.cluster.train import dataset_signals, signal_variants
from consilience.embed import Embedder, get_embedder, get_multilingual_embedder
from consilience.evaluate.datasets import load_labelled
from consilience.evaluate.metrics import score_clustering
from consilience.settings import DEFAULT_SETTINGS

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


class CountingEmbedder:
    """Wraps an embedder and counts the texts it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.texts = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` with the wrapped embedder."""
        self.texts += len(texts)
        return self.inner.encode(texts)


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True, help="folder of cached signals (filled on first use)")
    parser.add_argument("--busy", default=str(DATASETS / "allsides-dev.jsonl"), help="undated file that fills the days")
    parser.add_argument("--crosslingual", default=str(DATASETS / "meantime-xling.jsonl"))
    parser.add_argument("--per-day", type=int, default=300, help="stories of the busy file per day")
    parser.add_argument("--embedder", default=DEFAULT_SETTINGS.cluster_embedder)
    parser.add_argument("--set", action="append", default=[], metavar="SETTING=NUMBER", help="repeatable")
    args = parser.parse_args()
    try:
        settings = replace(DEFAULT_SETTINGS, cluster_embedder=args.embedder, **setting_overrides(args.set))
    except ValueError as error:
        parser.error(str(error))
    busy_file, mixed_file = load_labelled(args.busy), load_labelled(args.crosslingual)
    variants = signal_variants(busy_file, dataset_signals(busy_file, settings, cache=Path(args.cache)), [args.per_day])
    busy = next(signals for name, signals in variants if name.endswith(f"@{args.per_day}-a-day"))
    start = min(s.time for s in busy if s.time is not None)
    span = max(s.time for s in busy if s.time is not None) - start

    def day_of(key: str) -> float:
        return start + (zlib.crc32(key.encode("utf-8")) % 1000) / 1000 * span

    mixed = [
        replace(s, time=day_of(mixed_file.gold[s.id]) + (zlib.crc32(s.id.encode("utf-8")) % 100) / 400)
        for s in dataset_signals(mixed_file, settings, cache=Path(args.cache))
    ]
    stream = sorted(busy + mixed, key=lambda s: s.time or 0.0)
    multilingual = get_multilingual_embedder()
    counting = CountingEmbedder(multilingual) if multilingual is not None else None
    embedder = get_embedder(settings.cluster_embedder)
    clusterer = StreamClusterer(
        settings, embedder=embedder, multilingual=counting, model=PairModel.for_embedder(embedder.name)
    )
    ledger = StoryLedger()
    started = time.perf_counter()
    for signals in stream:
        ledger.apply(clusterer.add_signals(copy.copy(signals)))
    ledger.apply(clusterer.consolidate())
    speed = len(stream) / (time.perf_counter() - started)
    story_of = {article: story.id for story in ledger.stories() for article in story.articles}
    for dataset in (mixed_file, busy_file):
        scores = score_clustering(dataset.gold, {a: s for a, s in story_of.items() if a in dataset.gold})
        print(
            f"{dataset.name:16} BCubed {scores.bcubed_precision:.3f} / {scores.bcubed_recall:.3f} / "
            f"{scores.bcubed_f1:.3f}  stories {scores.predicted_stories:5} (gold {scores.gold_stories})"
        )
    print(f"{len(stream)} articles, {speed:.0f} art/s, {counting.texts if counting else 0} multilingual leads embedded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
