"""Editors' corrections as training data: does a desk's reviewed archive give a better pair model for its later stories?

    python benchmarks/editor_training.py ../shared/datasets/{ecbplus-dev,basil-dev,meantime-xling,uci-headlines,allsides-dev}.jsonl \
        --desk ecbplus-dev --cache /tmp/cache [--review 50 200] [--folds 2] [--shuffle-undated] [--fit-shuffled]

A desk starts with a pair model fitted on other news: here the files other
than ``--desk``, fitted as the shipped model is (copies dated 300 stories a
day, copies with a quarter of their dates removed). The desk's own gold stories
are split into ``--folds`` folds by a hash of the story id; one fold stands for
the stories to come, the others for the desk's archive. The archive is
clustered with the starting model (one pass in publication order, then
consolidation, as ``clustering_replay.py``), and a simulated editor reads the
first k memberships of the review queue (weakest first, as ``consilience
review`` lists them) and moves each stray, an article with no gold story-mate
in its story, to the story holding most of its event's other reports, or to a
story of its own (as ``clustering_errors.py``). ``consilience train`` on the
archive as it then stands (regimes it cannot fit keep the starting model's
weights) is the desk's model. The stories to come are replayed with the
starting model, with the model fitted on the archive as the clusterer left it
(nobody reviewed), as reviewed (each k of ``--review``), and with the archive's
gold stories (every story right). Prints BCubed F1 on the stories to come,
averaged over the folds.
"""

from __future__ import annotations

import argparse
import collections
import copy
from pathlib import Path

from clustering_cv import fit, fold_of, subset
from clustering_replay import replay

from consilience.cluster.pairs import PairModel
from consilience.cluster.stream import KeepingArchive, StoryLedger, StreamClusterer
from consilience.cluster.train import SHIPPED_THRESHOLDS, dataset_signals, file_pair_sets, hashed_undated, train
from consilience.evaluate.datasets import LabelledDataset, load_labelled
from consilience.evaluate.metrics import score_clustering
from consilience.settings import DEFAULT_SETTINGS


def clustered_with_queue(signals: list, model: PairModel) -> tuple[dict[str, str], list[tuple[float, str]]]:
    """Story of every article, and the review queue: (membership probability, article), weakest first."""
    settings = DEFAULT_SETTINGS
    archive = KeepingArchive(
        settings.cluster_archive_limit, max(settings.cluster_window_days, settings.cluster_reopen_days)
    )
    clusterer = StreamClusterer(settings, model=model, archive=archive)
    ledger = StoryLedger()
    for s in signals:
        ledger.apply(clusterer.add_signals(copy.copy(s)))
    ledger.apply(clusterer.consolidate())
    story_of = {article: story.id for story in ledger.stories() for article in story.articles}
    states = list(clusterer.active.values()) + archive.states()
    queue = sorted(
        (m.probability, m.article) for state in states if state.size > 1 for m in clusterer.memberships(state)
    )
    return story_of, queue


def reviewed(story_of: dict[str, str], queue: list[tuple[float, str]], gold: dict[str, str], k: int) -> dict[str, str]:
    """``story_of`` after an editor reads the first ``k`` of ``queue`` and moves each stray to its event's story."""
    fixed = dict(story_of)
    members: dict[str, list[str]] = collections.defaultdict(list)
    for article, story in story_of.items():
        members[story].append(article)
    by_gold: dict[str, list[str]] = collections.defaultdict(list)
    for article in story_of:
        by_gold[gold[article]].append(article)
    for _, article in queue[:k]:
        if all(gold[o] != gold[article] for o in members[story_of[article]] if o != article):
            homes = collections.Counter(
                fixed[a] for a in by_gold[gold[article]] if a != article and fixed[a] != fixed[article]
            )
            fixed[article] = homes.most_common(1)[0][0] if homes else f"editor:{article}"
    return fixed


def desk_model(
    archive: LabelledDataset, signals: list, labels: dict[str, str], base: PairModel, shuffled: bool = False
) -> PairModel:
    """``consilience train`` on the archive with ``labels`` as its stories (no copies, as the command's defaults);
    ``shuffled``: its undated articles met in a hashed order instead of the file's."""
    labelled = LabelledDataset(archive.name, archive.articles, labels)
    sets = [pairs for _, pairs in file_pair_sets(labelled, signals, [], [], "hashed" if shuffled else "file")]
    return train(sets, dict(SHIPPED_THRESHOLDS), base=base)


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--desk", required=True, help="the file that plays the desk's own news (a dataset name)")
    parser.add_argument("--cache", required=True, help="folder of cached signals (filled on first use)")
    parser.add_argument("--review", type=int, nargs="+", default=[50, 200], metavar="K")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--fit-shuffled", action="store_true",
                        help="fit the desk's models with the archive's undated articles in a hashed order")  # fmt: skip
    parser.add_argument(
        "--shuffle-undated",
        action="store_true",
        help="replay the stories to come with their undated articles in a hashed order, not the file's (which "
        "groups them by story, a layout a model fitted on one file's order learns)",
    )
    args = parser.parse_args()
    files = []
    for path in args.datasets:
        dataset = load_labelled(path)
        files.append((dataset, dataset_signals(dataset, DEFAULT_SETTINGS, cache=Path(args.cache))))
    desk = [(d, s) for d, s in files if d.name == args.desk]
    if not desk:
        parser.error(f"--desk {args.desk}: not among the files ({', '.join(d.name for d, _ in files)})")
    (dataset, signals), others = desk[0], [(d, s) for d, s in files if d.name != args.desk]
    start = fit(others, 1e-3, dict(SHIPPED_THRESHOLDS), [0.25])
    columns = ["starting model", "archive unreviewed", *(f"reviewed, first {k}" for k in args.review), "archive gold"]
    scores: dict[str, list[float]] = {c: [] for c in columns}
    moved: dict[int, list[int]] = {k: [] for k in args.review}
    for fold in range(args.folds):
        stories = set(dataset.gold.values())
        coming = {s for s in stories if fold_of(s, args.folds) == fold}
        later, archive = subset(dataset, coming), subset(dataset, stories - coming)
        later_ids, archive_ids = {a.id for a in later.articles}, {a.id for a in archive.articles}
        later_signals = [s for s in signals if s.id in later_ids]
        if args.shuffle_undated:
            later_signals = hashed_undated(later_signals)
        archive_signals = [s for s in signals if s.id in archive_ids]
        story_of, queue = clustered_with_queue(archive_signals, start)
        labels = {"archive unreviewed": story_of, "archive gold": archive.gold}
        for k in args.review:
            labels[f"reviewed, first {k}"] = fixed = reviewed(story_of, queue, archive.gold, k)
            moved[k].append(sum(fixed[a] != story_of[a] for a in story_of))
        for column in columns:
            model = (
                start
                if column == "starting model"
                else desk_model(archive, archive_signals, labels[column], start, args.fit_shuffled)
            )
            predicted, _ = replay(later_signals, model, DEFAULT_SETTINGS)
            scores[column].append(score_clustering(later.gold, predicted).bcubed_f1)
        print(f"fold {fold + 1} of {args.folds} done", flush=True)
    order = "undated articles shuffled" if args.shuffle_undated else "file order"
    fitted = ", models fitted in a hashed order" if args.fit_shuffled else ""
    print(f"desk {args.desk}: BCubed F1 on the stories to come ({order}{fitted}), mean of {args.folds} folds")
    for column in columns:
        print(
            f"  {column:24} {sum(scores[column]) / len(scores[column]):.3f}   "
            + " ".join(f"{v:.3f}" for v in scores[column])
        )
    for k, counts in moved.items():
        print(f"  the editor moved {sum(counts) / len(counts):.0f} articles per archive reading the first {k}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
