"""Fit the pair model on labelled development data.

The clusterer meets pairs in one situation only: a new article against the
active stories nearest to it. Training reproduces that situation with the
gold stories ("teacher forcing"): each article, in publication order, is paired
with the gold stories built so far that retrieval would offer, and labelled by
whether the story is its own. A logistic regression per regime is fitted by
iteratively reweighted least squares (no ML dependency); each dataset carries
the same total weight, so a large file does not drown a small one.

Run ``consilience train DATASET.jsonl... --out PATH`` (or ``python -m
consilience.cluster.train``), then cluster with ``--pair-model PATH``.
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from dataclasses import replace as dataclass_replace
from pathlib import Path

import numpy as np

from ..embed import get_embedder, get_multilingual_embedder
from ..evaluate.datasets import LabelledDataset, load_labelled, redate_undated
from ..settings import DEFAULT_SETTINGS, Settings
from .pairs import FEATURES, REGIMES, PairModel, StoryState, TrainingFile, pair_features_many, rivals
from .signals import ArticleSignals, SignalExtractor, TermStats, days_since_epoch
from .stream import near_in_time, publication_order

# the regime thresholds of the shipped models (the decision point each regime's bias is moved to), chosen by replaying
# the development files (docs/benchmarks.md); the training command's default
SHIPPED_THRESHOLDS = {"long": 0.3, "mono": 0.35, "short": 0.55, "long-dated": 0.5, "mono-dated": 0.6,
                      "short-dated": 0.7, "mono-half": 0.35, "short-half": 0.55}  # fmt: skip


@dataclass
class PairSet:
    """Feature rows, labels and weights per regime."""

    rows: dict[str, list[np.ndarray]] = field(default_factory=lambda: {r: [] for r in REGIMES})
    labels: dict[str, list[int]] = field(default_factory=lambda: {r: [] for r in REGIMES})
    weights: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in REGIMES})


def dataset_signals(
    dataset: LabelledDataset, settings: Settings = DEFAULT_SETTINGS, cache: Path | None = None
) -> list[ArticleSignals]:
    """Signals of a dataset's articles in publication order (cached in ``cache`` when given).

    A cache written when :class:`ArticleSignals` had other fields is rebuilt.
    """
    suffix = "" if settings.cluster_embedder == "auto" else f".{settings.cluster_embedder}"
    cache_file = cache / f"{dataset.name}{suffix}.signals.pickle" if cache else None
    layout = [f.name for f in fields(ArticleSignals)]
    if cache_file and cache_file.exists():
        cached = pickle.loads(cache_file.read_bytes())
        if isinstance(cached, dict) and cached.get("fields") == layout:
            return list(cached["signals"])
        print(f"{cache_file}: written for other signal fields, rebuilding", file=sys.stderr)
    ordered = [dataset.articles[i] for i in publication_order(dataset.articles)]
    signals = SignalExtractor(get_embedder(settings.cluster_embedder), settings.cluster_lead_chars).extract(ordered)
    multilingual = get_multilingual_embedder()
    if multilingual is not None and any(s.language not in ("en", "und") for s in signals):
        for s, vector in zip(signals, multilingual.encode([s.lead for s in signals]), strict=True):
            s.multilingual = vector
    if cache_file:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_bytes(pickle.dumps({"fields": layout, "signals": signals}))
    return signals


def redated_signals(
    dataset: LabelledDataset, signals: Sequence[ArticleSignals], stories_per_day: int
) -> list[ArticleSignals]:
    """``signals`` of ``dataset`` with the dates :func:`redate_undated` gives, in the new publication order."""
    redated = redate_undated(dataset, stories_per_day)
    by_id = {s.id: s for s in signals}
    ordered = [redated.articles[i] for i in publication_order(redated.articles)]
    return [dataclass_replace(by_id[a.id], time=days_since_epoch(a.published)) for a in ordered]


def dates_dropped(dataset: LabelledDataset, signals: Sequence[ArticleSignals], fraction: float) -> list[ArticleSignals]:
    """``signals`` with the dates of about ``fraction`` of the dated articles removed (a hash of their ids).

    In stream order as the pipeline gives it: the articles still dated in
    publication order, then every undated one in file order. Feeds and scraped
    pages often lack a date for some of a story's reports.
    """
    cut = int(fraction * 1000)
    position = {article.id: i for i, article in enumerate(dataset.articles)}
    dropped = [s for s in signals if s.time is None or zlib.crc32(s.id.encode("utf-8")) % 1000 < cut]
    gone = {s.id for s in dropped}
    undated = [dataclass_replace(s, time=None) for s in sorted(dropped, key=lambda s: position[s.id])]
    return [s for s in signals if s.id not in gone] + undated


def signal_variants(
    dataset: LabelledDataset,
    signals: Sequence[ArticleSignals],
    stories_per_day: Sequence[int],
    drop_dates: Sequence[float] = (),
) -> list[tuple[str, list[ArticleSignals]]]:
    """The file's signals as they are, then its copies.

    When the file has undated stories, one re-dated copy per ``stories_per_day``
    (``FILE@N-a-day``); when it has dated articles, one copy per fraction of
    ``drop_dates`` with that share of the dates removed (``FILE-F-undated``,
    :func:`dates_dropped`).
    """
    variants = [(dataset.name, list(signals))]
    if any(a.published is None for a in dataset.articles):
        for per_day in stories_per_day:
            variants.append((f"{dataset.name}@{per_day}-a-day", redated_signals(dataset, signals, per_day)))
    if any(s.time is not None for s in signals):
        for fraction in drop_dates:
            variants.append((f"{dataset.name}-{fraction:g}-undated", dates_dropped(dataset, signals, fraction)))
    return variants


def hashed_undated(signals: Sequence[ArticleSignals]) -> list[ArticleSignals]:
    """``signals`` with the dated ones first, in order, then the undated ones in a fixed hash order of their ids.

    Labelled files are often sorted by story; undated articles met in that order
    teach a model that an article's story is the one still growing (a layout no
    real stream has), so a user's model meets them in this order instead.
    """
    undated = sorted((s for s in signals if s.time is None), key=lambda s: (zlib.crc32(s.id.encode("utf-8")), s.id))
    return [s for s in signals if s.time is not None] + undated


def file_pair_sets(
    dataset: LabelledDataset,
    signals: Sequence[ArticleSignals],
    stories_per_day: Sequence[int],
    drop_dates: Sequence[float] = (),
    undated_order: str = "file",
) -> list[tuple[str, PairSet]]:
    """Teacher-forced pairs of a file and of each of its copies (:func:`signal_variants`), named as the variants.

    The copies share the file's weight: a file counts once however many
    copies it is trained on. A copy with dates removed gives only its pairs of
    an undated article and a dated story (the ``-half`` regimes); the plain
    regimes learn from every pair with an undated side of the file and its
    re-dated copies, as they did before the ``-half`` ones existed. With
    ``undated_order="hashed"`` each copy's undated articles are met in
    :func:`hashed_undated` order, not the file's.
    """
    variants = signal_variants(dataset, signals, stories_per_day, drop_dates)
    without_dates = {f"{dataset.name}-{fraction:g}-undated" for fraction in drop_dates}
    out = []
    for name, variant in variants:
        pairs = teacher_forced_pairs(hashed_undated(variant) if undated_order == "hashed" else variant, dataset.gold)
        for regime in REGIMES:
            if name in without_dates and not regime.endswith("-half"):
                pairs.rows[regime], pairs.labels[regime], pairs.weights[regime] = [], [], []
            elif name not in without_dates and regime.endswith("-half") and pairs.rows[regime]:
                plain = regime.removesuffix("-half")
                pairs.rows[plain] += pairs.rows[regime]
                pairs.labels[plain] += pairs.labels[regime]
                pairs.weights[plain] = [1.0 / len(pairs.labels[plain])] * len(pairs.labels[plain])
        out.append((name, pairs))
    for regime in REGIMES:
        if regime.endswith("-half"):
            sharing = sum(1 for _, pairs in out if pairs.rows[regime])
        else:
            sharing = sum(1 for name, _ in out if name not in without_dates)
        for _, pairs in out:
            pairs.weights[regime] = [w / sharing for w in pairs.weights[regime]]
    return out


def teacher_forced_pairs(
    signals: Sequence[ArticleSignals], gold: dict[str, str], settings: Settings = DEFAULT_SETTINGS
) -> PairSet:
    """Article-versus-story pairs as the stream clusterer would meet them, labelled by the gold stories."""
    stats = TermStats()
    stories: dict[str, StoryState] = {}
    pairs = PairSet()
    window = settings.cluster_window_days

    def embed(members: list[ArticleSignals]) -> None:
        raise RuntimeError("multilingual vectors must be precomputed for training")

    for s in signals:
        stats.add(list(s.terms.keys() | s.names))
        s.lexical = stats.lexical_vector(s.terms)
        single = StoryState.of("", [s])
        candidates = list(stories.values())
        if s.time is not None:
            candidates = near_in_time(candidates, s.time, window)
        if candidates:
            scores = np.stack([c.centroid for c in candidates]) @ s.dense
            order = np.argsort(-scores)[: settings.cluster_candidates]
            nearest = [candidates[i] for i in order]
            cosines = [float(scores[i]) for i in order]
            own = stories.get(gold[s.id])
            if own is not None and own not in nearest:
                nearest.append(own)
                cosines.append(float(np.dot(own.centroid, s.dense)))
            embed_pairs = embed if s.multilingual is not None else None
            scored = pair_features_many(single, nearest, stats, embed_pairs, rivals(cosines))
            for candidate, (regime, features) in zip(nearest, scored, strict=True):
                pairs.rows[regime].append(features)
                pairs.labels[regime].append(int(candidate.id == gold[s.id]))
        stories.setdefault(gold[s.id], StoryState(gold[s.id])).add(s)
    for regime in REGIMES:
        count = len(pairs.labels[regime])
        pairs.weights[regime] = [1.0 / count] * count if count else []
    return pairs


def fit_logistic(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-3, steps: int = 50
) -> tuple[np.ndarray, float]:
    """Weighted L2-regularised logistic regression by Newton's method; returns (weights, bias)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    w = w / w.mean()
    penalty = l2 * np.eye(z.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        gradient = z.T @ (w * (p - y)) / len(y) + penalty @ beta
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z / len(y) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = beta[:-1] / scale
    bias = float(beta[-1] - np.dot(weights, mean))
    return weights, bias


def train(
    pair_sets: Sequence[PairSet],
    thresholds: dict[str, float] | None = None,
    l2: float = 1e-3,
    base: PairModel | None = None,
) -> PairModel:
    """One logistic regression per regime over the pooled pairs (each set weighted equally).

    ``thresholds`` moves a regime's decision point: its bias is shifted so that
    the chosen probability reads as 0.5, the clusterer's one join threshold.
    ``l2`` is the penalty on the standardised weights (:func:`fit_logistic`).
    With ``base``, a regime whose pairs are not of both kinds (same story and
    not) keeps ``base``'s weights. Without, a regime with no pairs at all: a
    plain one never joins, a "-dated" or "-half" one falls back to its plain
    form (how the shipped models were fitted).
    """
    weights: dict[str, list[float]] = {}
    bias: dict[str, float] = {}
    for regime in REGIMES:
        labels = [label for ps in pair_sets for label in ps.labels[regime]]
        if base is not None and len(set(labels)) < 2 and regime in base.weights:
            weights[regime], bias[regime] = base.weights[regime].tolist(), base.bias[regime]
            continue
        if not labels:
            if "-" not in regime:  # never join: no data says when
                weights[regime], bias[regime] = [0.0] * len(FEATURES), -10.0
            continue
        x = np.stack([r for ps in pair_sets for r in ps.rows[regime]])
        y = np.array(labels, dtype=np.float64)
        w = np.array([weight for ps in pair_sets for weight in ps.weights[regime]], dtype=np.float64)
        coefficients, intercept = fit_logistic(x, y, w, l2)
        threshold = (thresholds or {}).get(regime, 0.5)
        weights[regime], bias[regime] = coefficients.tolist(), intercept - math.log(threshold / (1 - threshold))
    return PairModel(weights, bias)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The training options, shared by ``consilience train`` and ``python -m consilience.cluster.train``."""
    parser.add_argument("datasets", nargs="+", metavar="DATASET.jsonl",
                        help="labelled JSONL files: id, title and/or text, published, a story label")  # fmt: skip
    parser.add_argument("--out", required=True, help="where to write the model JSON")
    parser.add_argument("--field", default="story", help="the story label field (default: story)")
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="REGIME=P",
        help="join when the regime's probability reaches P; repeatable (default: the shipped models' thresholds, "
        "SHIPPED_THRESHOLDS; any --threshold replaces them all, regimes not named getting 0.5)",
    )
    parser.add_argument("--cache", help="folder to cache article signals in between runs")
    parser.add_argument(
        "--embedder",
        default="auto",
        help="clustering vectors to fit the model on (default: MiniLM); the model is for that embedder only",
    )
    parser.add_argument(
        "--redate-undated",
        type=int,
        nargs="+",
        default=[],
        metavar="N",
        help="also train on copies of each file whose undated stories get dates, N stories a day (one copy "
        "per N), so that the model meets unrelated articles of the same day; a file's copies share its weight",
    )
    parser.add_argument(
        "--drop-dates",
        type=float,
        nargs="+",
        default=[],
        metavar="F",
        help="also train on copies of each file with dated articles where a share F of the dates is removed "
        "(one copy per F), so that the model meets undated reports of dated stories; a file's copies share its weight",
    )
    parser.add_argument(
        "--undated-order",
        choices=("hashed", "file"),
        default="hashed",
        help="the order undated articles are met in while fitting: hashed (default; a file sorted by story would "
        "teach the model its layout) or the file's (how the shipped model was fitted, on the development files)",
    )
    parser.add_argument(
        "--no-base",
        action="store_true",
        help="fit only on the data, as the shipped models were: a regime without pairs never joins, a '-dated' or "
        "'-half' one takes its plain form (default: a regime the data cannot fit keeps the shipped model's weights)",
    )


def fit(args: argparse.Namespace, log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> PairModel:
    """Fit a model as ``args`` (:func:`add_arguments`) say and write it to ``args.out``; ``log`` gets the pair counts.

    Raises :class:`~consilience.errors.UsageError` for a bad ``--threshold`` and
    :class:`~consilience.errors.InputError` for a dataset that cannot be read.
    """
    import json

    from ..errors import UsageError

    thresholds = dict(SHIPPED_THRESHOLDS)
    if args.threshold:
        thresholds = {}
        for item in args.threshold:
            regime, _, value = item.partition("=")
            try:
                probability = float(value)
            except ValueError:
                probability = -1.0
            if regime not in REGIMES or not 0.0 < probability < 1.0:
                choices = ", ".join(REGIMES)
                raise UsageError(f"--threshold {item}: give REGIME=P, P between 0 and 1, REGIME one of {choices}")
            thresholds[regime] = probability
    cache = Path(args.cache) if args.cache else None
    settings = dataclass_replace(DEFAULT_SETTINGS, cluster_embedder=args.embedder)
    embedder = get_embedder(args.embedder).name
    sets = []
    files = []
    for path in args.datasets:
        dataset = load_labelled(path, field=args.field)
        files.append(TrainingFile(dataset.name, len(dataset.articles), dataset.stories))
        signals = dataset_signals(dataset, settings, cache=cache)
        for name, pairs in file_pair_sets(dataset, signals, args.redate_undated, args.drop_dates, args.undated_order):
            counts = {r: (len(pairs.labels[r]), sum(pairs.labels[r])) for r in REGIMES}
            log(f"{name}: pairs (total, same story) per regime {counts}")
            sets.append(pairs)
    model = train(sets, thresholds, base=None if args.no_base else PairModel.for_embedder(embedder))
    model.trained_on = files
    model.embedder = embedder
    Path(args.out).write_text(json.dumps(model.to_dict(), indent=2) + "\n", encoding="utf-8")
    return model


def fitted_regimes(model: PairModel, base: PairModel) -> list[str]:
    """The regimes of ``model`` that differ from ``base``'s: the ones its own data fitted."""
    return [
        regime
        for regime in model.weights
        if regime not in base.weights
        or base.bias[regime] != model.bias[regime]
        or not np.array_equal(base.weights[regime], model.weights[regime])
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: fit on the given labelled files and write the model JSON."""
    import json

    parser = argparse.ArgumentParser(prog="python -m consilience.cluster.train", description=__doc__)
    add_arguments(parser)
    model = fit(parser.parse_args(argv))
    print(json.dumps(model.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
