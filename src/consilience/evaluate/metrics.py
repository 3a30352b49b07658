"""Clustering metrics: BCubed and pairwise precision, recall and F1.

Computed from the contingency table in linear time; the same definitions as
the reference scorer shipped with the datasets (``shared/tools/score_clusters.py``),
which a test checks against: gold articles missing from the prediction count
as singletons, predicted ids not in the gold are ignored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ClusteringScores:
    """Scores of one predicted clustering against the gold stories."""

    articles: int
    gold_stories: int
    predicted_stories: int
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float

    def to_dict(self) -> dict[str, float | int]:
        """Plain dict, rounded for display."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def score_clustering(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> ClusteringScores:
    """Score ``predicted`` (article id -> cluster) against ``gold`` (article id -> story)."""
    ids = list(gold)
    label = {i: ("p", predicted[i]) if i in predicted else ("missing", i) for i in ids}
    cells = Counter((gold[i], label[i]) for i in ids)
    gold_size = Counter(gold[i] for i in ids)
    predicted_size = Counter(label[i] for i in ids)
    n = len(ids)
    bcubed_p = sum(c * c / predicted_size[p] for (_, p), c in cells.items()) / n if n else 0.0
    bcubed_r = sum(c * c / gold_size[g] for (g, _), c in cells.items()) / n if n else 0.0
    together = sum(_pairs(c) for c in cells.values())
    predicted_pairs = sum(_pairs(c) for c in predicted_size.values())
    gold_pairs = sum(_pairs(c) for c in gold_size.values())
    pairwise_p = together / predicted_pairs if predicted_pairs else 1.0
    pairwise_r = together / gold_pairs if gold_pairs else 1.0
    return ClusteringScores(
        articles=n,
        gold_stories=len(gold_size),
        predicted_stories=len(predicted_size),
        bcubed_precision=bcubed_p,
        bcubed_recall=bcubed_r,
        bcubed_f1=_f1(bcubed_p, bcubed_r),
        pairwise_precision=pairwise_p,
        pairwise_recall=pairwise_r,
        pairwise_f1=_f1(pairwise_p, pairwise_r),
    )


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
