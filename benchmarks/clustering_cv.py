"""Stories the pair model never saw: the stream clusterer on held-out stories, against the shipped in-sample model.

    python benchmarks/clustering_cv.py ../shared/datasets/{ecbplus-dev,basil-dev,meantime-xling,uci-headlines,allsides-dev}.jsonl \
        --cache /tmp/cache2 [--model M.json] [--folds 2] [--l2 0.001 0.01] [--redate-undated 30 300] \
        [--by-topic ecbplus-dev] [--set SETTING=NUMBER] [--threshold REGIME=P] [--drop-dates 0.25 0.5] \
        [--undated-order file hashed] [--shuffle-undated] [--json]

The shipped pair model is fitted on every story of the development files and
its thresholds were chosen by replaying those same files, so the replay
(``benchmarks/clustering_replay.py``) measures it in sample. Here the gold
stories of each file are split into ``--folds`` folds by a hash of the story
id. For each fold, the model is fitted as ``python -m consilience.cluster.train``
fits the shipped one (the same files, each with its copy whose undated stories
are dated 300 a day and its copy with a quarter of its dates removed, the
shipped regime thresholds) on the other folds'
stories only, and the stream clusterer replays the fold's own stories with it;
next to it, the shipped model (or ``--model``, fitted on every story) replays
the same articles. Prints BCubed F1 per file (and per re-dated copy with
``--redate-undated``), averaged over the folds: the gap between the two
columns is how much of the shipped number comes from having seen the stories. ``--l2`` fits one model per value of the
L2 penalty (the shipped one uses 0.001). ``--by-topic NAME...`` folds the named
files by their ``topic`` field instead, whole topics to a fold: ECB+'s topics are
pairs of look-alike events, and its held-out test file is ten whole topics, so a
fold by story would put one event of a pair in training and the other held out.
``--set`` overrides a numeric setting for every replay, as in ``clustering_replay.py``;
``--threshold REGIME=P`` fits the held-out models with that regime's decision point
in place of the shipped one (the other regimes keep theirs). ``--drop-dates F...``
adds replay rows with a share F of each dated file's dates removed, as in
``clustering_replay.py``; ``--train-drop-dates F...`` fits the held-out models with
other such copies (``--train-drop-dates`` alone: none; the ``-half`` regimes then learn
from the undated reports of dated stories the files hold themselves). ``--undated-order file
hashed`` fits one held-out model per order undated articles are met in while fitting (the
shipped model: the files' own); ``--shuffle-undated`` adds a replay row per file with its
undated articles in a hashed order.
"""

from __future__ import annotations

import argparse
import json
import zlib
from dataclasses import replace
from pathlib import Path

from clustering_replay import replay, setting_overrides, topics_of

from consilience.cluster.pairs import PairModel
from consilience.cluster.train import (
    SHIPPED_THRESHOLDS,
    dataset_signals,
    file_pair_sets,
    hashed_undated,
    signal_variants,
    train,
)
from consilience.embed import get_embedder
from consilience.evaluate.datasets import LabelledDataset, load_labelled
from consilience.evaluate.metrics import score_clustering
from consilience.settings import DEFAULT_SETTINGS

TRAIN_REDATE = [300]  # the shipped model's --redate-undated
TRAIN_DROP_DATES = [0.25]  # ... and its --drop-dates


def fold_of(story: str, folds: int) -> int:
    """The fold a gold story (or topic) falls in (a hash of its id, stable across runs)."""
    return zlib.crc32(story.encode("utf-8")) % folds


def subset(dataset: LabelledDataset, keep: set[str]) -> LabelledDataset:
    """The articles of ``dataset`` whose gold story is in ``keep``, in file order."""
    articles = [a for a in dataset.articles if dataset.gold[a.id] in keep]
    return LabelledDataset(dataset.name, articles, {a.id: dataset.gold[a.id] for a in articles})


def fit(
    train_sets: list[tuple[LabelledDataset, list]],
    l2: float,
    thresholds: dict[str, float],
    drop_dates: list[float],
    undated_order: str = "file",
) -> PairModel:
    """The pair model fitted as the shipped one is, on these (dataset, signals) pairs."""
    sets = [
        pairs
        for dataset, signals in train_sets
        for _, pairs in file_pair_sets(dataset, signals, TRAIN_REDATE, drop_dates, undated_order)
    ]
    return train(sets, thresholds, l2)


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--cache", required=True, help="folder of cached signals (filled on first use)")
    parser.add_argument("--model", help="the in-sample model to compare with (default: the shipped one)")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--l2", type=float, nargs="+", default=[1e-3])
    parser.add_argument("--redate-undated", type=int, nargs="+", default=[], metavar="N")
    parser.add_argument("--by-topic", nargs="+", default=[], metavar="NAME", help="fold these files by topic")
    parser.add_argument("--set", action="append", default=[], metavar="SETTING=NUMBER", help="repeatable")
    parser.add_argument("--threshold", action="append", default=[], metavar="REGIME=P", help="repeatable")
    parser.add_argument("--drop-dates", type=float, nargs="+", default=[], metavar="F", help="replay rows, see replay")
    parser.add_argument(
        "--train-drop-dates",
        type=float,
        nargs="*",
        default=TRAIN_DROP_DATES,
        metavar="F",
        help=f"the held-out models' --drop-dates (default: the shipped model's, {TRAIN_DROP_DATES})",
    )
    parser.add_argument("--undated-order", nargs="+", choices=("file", "hashed"), default=["file"],
                        help="fit the held-out models meeting undated articles in these orders (one column each)")  # fmt: skip
    parser.add_argument("--shuffle-undated", action="store_true",
                        help="also replay each file with its undated articles in a hashed order (a ~shuffled row)")  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    thresholds = dict(SHIPPED_THRESHOLDS)
    for item in args.threshold:
        regime, _, value = item.partition("=")
        if regime not in thresholds:
            parser.error(f"--threshold {item}: no regime {regime!r} (regimes: {', '.join(thresholds)})")
        thresholds[regime] = float(value)
    try:
        settings = replace(DEFAULT_SETTINGS, **setting_overrides(args.set))
    except ValueError as error:
        parser.error(str(error))
    shipped = (
        PairModel.load(args.model)
        if args.model
        else PairModel.for_embedder(get_embedder(settings.cluster_embedder).name)
    )
    files = []
    for path in args.datasets:
        dataset = load_labelled(path)
        signals = dataset_signals(dataset, settings, cache=Path(args.cache))
        group = topics_of(path) if dataset.name in args.by_topic else {}
        files.append((dataset, signals, group))
    fits = [(l2, order) for l2 in args.l2 for order in args.undated_order]
    columns = ["fitted on all stories", *(f"held out, l2 {l2:g}" + (f", {order}" if len(args.undated_order) > 1 else "")
                                         for l2, order in fits)]  # fmt: skip
    scores: dict[str, dict[str, list[float]]] = {}
    for fold in range(args.folds):
        held: list[tuple[LabelledDataset, list]] = []
        rest: list[tuple[LabelledDataset, list]] = []
        for dataset, signals, group in files:
            stories = set(dataset.gold.values())
            inside = {s for s in stories if fold_of(group.get(s, s), args.folds) == fold}
            for keep, into in ((inside, held), (stories - inside, rest)):
                part = subset(dataset, keep)
                ids = {a.id for a in part.articles}
                into.append((part, [s for s in signals if s.id in ids]))
        models = [shipped, *(fit(rest, l2, thresholds, args.train_drop_dates, order) for l2, order in fits)]
        for dataset, signals in held:
            variants = signal_variants(dataset, signals, args.redate_undated, args.drop_dates)
            if args.shuffle_undated and any(s.time is None for s in signals):
                variants.insert(1, (f"{dataset.name}~shuffled", hashed_undated(signals)))
            for name, variant in variants:
                row = scores.setdefault(name, {c: [] for c in columns})
                for column, model in zip(columns, models, strict=True):
                    story_of, _ = replay(variant, model, settings)
                    row[column].append(score_clustering(dataset.gold, story_of).bcubed_f1)
        print(f"fold {fold + 1} of {args.folds} done", flush=True)
    table = {name: {c: round(sum(v) / len(v), 4) for c, v in row.items()} for name, row in scores.items()}
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    print(f"{'file':32} " + "  ".join(f"{c:>22}" for c in columns))
    for name, averaged in table.items():
        print(f"{name:32} " + "  ".join(f"{averaged[c]:>22.3f}" for c in columns))
    means = {c: sum(averaged[c] for averaged in table.values()) / len(table) for c in columns}
    print(f"{'mean':32} " + "  ".join(f"{means[c]:>22.3f}" for c in columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
