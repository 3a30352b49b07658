"""Train the pair model also on the pairs the clusterer itself meets (DAgger-style), and write it.

    python benchmarks/pair_model_on_policy.py ../shared/datasets/{ecbplus-dev,basil-dev,meantime-xling,uci-headlines,allsides-dev}.jsonl \
        --cache /tmp/cache2 --share 1.0 --out /tmp/on_policy.json
    python benchmarks/clustering_replay.py ... --cache /tmp/cache2 --redate-undated 30 300 --model /tmp/on_policy.json

The shipped model is fitted on teacher-forced pairs only (each article against
the gold stories built so far, ``consilience.cluster.train``), so it never
meets the stories the clusterer really builds, wrong ones included. This runs
the clusterer with the shipped model over each file (and its copy with undated
stories given dates, 300 a day, as the shipped model's training does), records
every pair it scores (article vs story, story vs story), labels each by whether
the two sides' majority gold stories are the same, and fits the model on the
teacher-forced pairs plus these, the recorded pairs weighted ``--share`` of a
file's teacher-forced weight. Same regime thresholds as the shipped model.
An experiment (docs/benchmarks.md): the result was not adopted.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from consilience.cluster.pairs import REGIMES, PairModel, StoryState, pair_features
from consilience.cluster.stream import StreamClusterer
from consilience.cluster.train import PairSet, dataset_signals, signal_variants, teacher_forced_pairs, train
from consilience.embed import get_embedder
from consilience.evaluate.datasets import load_labelled
from consilience.settings import DEFAULT_SETTINGS

THRESHOLDS = {  # the shipped model's (docs/clustering.md)
    "long": 0.3, "mono": 0.35, "short": 0.55, "long-dated": 0.5, "mono-dated": 0.6, "short-dated": 0.7,
}  # fmt: skip


class RecordingClusterer(StreamClusterer):
    """The stream clusterer, recording each pair it scores with its gold label."""

    def __init__(self, gold: dict[str, str], pairs: PairSet, model: PairModel) -> None:
        super().__init__(DEFAULT_SETTINGS, embedder=get_embedder("auto"), model=model)
        self.gold = gold
        self.pairs = pairs

    def _majority(self, state: StoryState) -> str | None:
        counted = Counter(self.gold[member.id] for member in state.members)
        return counted.most_common(1)[0][0] if counted else None

    def _probabilities(
        self, a: StoryState, others: Sequence[StoryState], rivals: Sequence[float], floor: float = 0.0
    ) -> list[float]:
        """Every pair scored exactly (no ``floor``: the recorded pairs need their features)."""
        embed = self._embed_multilingual if self.multilingual else None
        probabilities = []
        for b, rival in zip(others, rivals, strict=True):
            regime, features = pair_features(a, b, self.stats, embed, rival)
            gold_a, gold_b = self._majority(a), self._majority(b)
            if gold_a is not None and gold_b is not None:
                self.pairs.rows[regime].append(features)
                self.pairs.labels[regime].append(int(gold_a == gold_b))
            probabilities.append(self.model.probability(regime, features))
        return probabilities


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--cache", required=True, help="folder of cached signals (filled on first use)")
    parser.add_argument("--share", type=float, default=1.0, help="weight of the recorded pairs against teacher forcing")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    shipped = PairModel.for_embedder(get_embedder("auto").name)
    sets: list[PairSet] = []
    for path in args.datasets:
        dataset = load_labelled(path)
        signals = dataset_signals(dataset, DEFAULT_SETTINGS, cache=Path(args.cache))
        variants = signal_variants(dataset, signals, [300])
        for _, variant in variants:
            forced = teacher_forced_pairs([copy.copy(s) for s in variant], dataset.gold)
            met = PairSet()
            clusterer = RecordingClusterer(dataset.gold, met, shipped)
            for s in variant:
                clusterer.add_signals(copy.copy(s))
            clusterer.consolidate()
            for pairs, share in ((forced, 1.0), (met, args.share)):
                for regime in REGIMES:
                    count = len(pairs.labels[regime])
                    pairs.weights[regime] = list(np.full(count, share / count / len(variants))) if count else []
                sets.append(pairs)
            print(dataset.name, {r: (len(met.labels[r]), sum(met.labels[r])) for r in REGIMES}, flush=True)
    args.out.write_text(json.dumps(train(sets, THRESHOLDS).to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
