"""Where a replay loses BCubed: the predicted stories that cost precision, the gold stories that cost recall.

    python benchmarks/clustering_errors.py ../shared/datasets/allsides-dev.jsonl --cache /tmp/cache [--model PATH] [--top 15]

Replays the file as ``clustering_replay.py`` does (cached signals, the shipped
pair model unless ``--model``), then splits BCubed's shortfall over stories:
an article's precision loss is the share of its predicted story from other gold
stories, its recall loss the share of its gold story filed elsewhere, each
divided by the number of articles, so that the losses of all stories add up to
1 - P and 1 - R. Prints the costliest predicted and gold stories with the lead of
one member, and the losses grouped by predicted story size and by the number of
parts a gold story was cut into. Then the look-alikes (``StreamClusterer.look_alikes``,
what ``consilience stories PATH`` prints under each story): how often a predicted
story that holds part of a split gold story names another part among them, and how
many look-alikes are the same gold story. Last, the memberships: how many articles
filed with another event's reports score below 0.5 ("weakly filed"), and of the right ones;
the strays among the first k of the review queue (``consilience review``), and BCubed after a
simulated editor moves them.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import copy
from pathlib import Path

from editor_training import reviewed

from consilience.cluster import KeepingArchive, StoryLedger, StreamClusterer
from consilience.cluster.pairs import PairModel
from consilience.cluster.train import dataset_signals
from consilience.embed import get_embedder
from consilience.evaluate import score_clustering
from consilience.evaluate.datasets import load_labelled
from consilience.settings import DEFAULT_SETTINGS

SIZE_BUCKETS = (1, 3, 5, 10, 20, 40)
WEAK = 0.5  # consilience.model.WEAK_MEMBERSHIP


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--cache", required=True, help="folder of cached signals (filled on first use)")
    parser.add_argument("--model", help="pair model JSON (default: the shipped one)")
    parser.add_argument("--top", type=int, default=15, help="stories listed on each side")
    args = parser.parse_args()
    dataset = load_labelled(args.dataset)
    signals = dataset_signals(dataset, DEFAULT_SETTINGS, cache=Path(args.cache))
    model = PairModel.load(args.model) if args.model else PairModel.for_embedder(get_embedder("auto").name)
    settings = DEFAULT_SETTINGS
    archive = KeepingArchive(
        settings.cluster_archive_limit, max(settings.cluster_window_days, settings.cluster_reopen_days)
    )
    clusterer = StreamClusterer(settings, model=model, archive=archive)
    ledger = StoryLedger()
    for s in signals:  # as clustering_replay.replay does
        ledger.apply(clusterer.add_signals(copy.copy(s)))
    ledger.apply(clusterer.consolidate())
    story_of = {article: story.id for story in ledger.stories() for article in story.articles}
    lead = {s.id: s.lead[:80].replace("\n", " ") for s in signals}
    total = len(story_of)
    predicted: dict[str, list[str]] = collections.defaultdict(list)
    gold: dict[str, list[str]] = collections.defaultdict(list)
    for article, story in story_of.items():
        predicted[story].append(article)
        gold[dataset.gold[article]].append(article)

    def losses(groups: dict[str, list[str]], other: dict[str, str]) -> list[tuple[float, str, collections.Counter]]:
        rows = []
        for key, members in groups.items():
            parts = collections.Counter(other[a] for a in members)
            loss = sum(1 - parts[other[a]] / len(members) for a in members) / total
            rows.append((loss, key, parts))
        return sorted(rows, key=lambda row: -row[0])

    precision = losses(predicted, dataset.gold)
    recall = losses(gold, story_of)
    print(
        f"{args.dataset}: {total} articles, BCubed P loss {sum(r[0] for r in precision):.3f}, "
        f"R loss {sum(r[0] for r in recall):.3f}"
    )
    print("\ncostliest predicted stories (precision): loss, size, gold stories in it, a member's lead")
    for loss, story, parts in precision[: args.top]:
        print(f"  {loss:.4f}  {len(predicted[story]):4d}  {len(parts):3d}  {lead[predicted[story][0]]}")
    print("\ncostliest gold stories (recall): loss, size, parts, a member's lead")
    for loss, story, parts in recall[: args.top]:
        sizes = "+".join(str(n) for _, n in parts.most_common())
        print(f"  {loss:.4f}  {len(gold[story]):4d}  {sizes:>12}  {lead[gold[story][0]]}")
    by_size: collections.Counter = collections.Counter()
    for loss, story, _ in precision:
        size = len(predicted[story])
        by_size[next((f"<= {b}" for b in SIZE_BUCKETS if size <= b), f"> {SIZE_BUCKETS[-1]}")] += loss
    by_parts: collections.Counter = collections.Counter()
    singles = 0.0
    for loss, _, parts in recall:
        by_parts[len(parts)] += loss
        singles += loss if 1 in parts.values() and len(parts) > 1 else 0.0
    labels = [f"<= {b}" for b in SIZE_BUCKETS] + [f"> {SIZE_BUCKETS[-1]}"]
    print("\nprecision loss by predicted story size: " + ", ".join(f"{k} {by_size[k]:.3f}" for k in labels))
    print(
        "recall loss by parts a gold story was cut into: "
        + ", ".join(f"{k} {v:.3f}" for k, v in sorted(by_parts.items()) if v)
    )
    print(f"recall loss of gold stories with a part of one article: {singles:.3f}")

    states = [clusterer.active.get(story) or archive.retired[story] for story in predicted]
    found = clusterer.look_alikes(states)
    majority = {story: collections.Counter(dataset.gold[a] for a in members).most_common(1)[0][0]
                for story, members in predicted.items()}  # fmt: skip
    parts: dict[str, set[str]] = collections.defaultdict(set)
    for story, story_gold in majority.items():
        parts[story_gold].add(story)
    split = [story for story in predicted if len(parts[majority[story]]) > 1]
    named = sum(1 for story in split if any(majority[a.story] == majority[story] for a in found[story]))
    entries = [(story, alike) for story, alikes in found.items() for alike in alikes]
    same = sum(1 for story, alike in entries if majority[alike.story] == majority[story])
    print(
        f"\nlook-alikes: {len(split)} of {len(predicted)} predicted stories hold part of a split gold story "
        f"(by majority); {named} of them ({named / max(1, len(split)):.0%}) name another part; "
        f"{same} of {len(entries)} look-alikes ({same / max(1, len(entries)):.0%}) are the same gold story"
    )

    # memberships (what `--why`, `show` and the story page give): does "weakly filed" (p < 0.5) find wrong members?
    scored = [(m.probability, dataset.gold[m.article] != majority[state.id])
              for state in states for m in clusterer.memberships(state)]  # fmt: skip
    wrong = sorted(p for p, is_wrong in scored if is_wrong)
    right = [p for p, is_wrong in scored if not is_wrong]
    weak_wrong, weak_right = sum(p < WEAK for p in wrong), sum(p < WEAK for p in right)
    below = bisect.bisect_left
    auc = sum(below(wrong, p) + (bisect.bisect_right(wrong, p) - below(wrong, p)) / 2 for p in right) / max(
        1, len(wrong) * len(right)
    )
    print(
        f"memberships: {len(scored)} ({len(wrong)} not of their story's majority gold story); below {WEAK}: "
        f"{weak_wrong} wrong, {weak_right} right ({weak_wrong / max(1, weak_wrong + weak_right):.1%} wrong, "
        f"against {(len(wrong) - weak_wrong) / max(1, len(scored) - weak_wrong - weak_right):.1%} at or above); "
        f"AUC {auc:.3f} (a right member above a wrong one)"
    )
    # stricter: an article that shares its gold story with no other member of its predicted story
    scored = [(m.probability, all(dataset.gold[m.article] != dataset.gold[o] for o in predicted[state.id] if o != m.article))
              for state in states for m in clusterer.memberships(state)]  # fmt: skip
    alone = sorted(p for p, is_alone in scored if is_alone)
    weak_alone = sum(p < WEAK for p in alone)
    weak_all = sum(p < WEAK for p, _ in scored)
    auc = sum(below(alone, p) + (bisect.bisect_right(alone, p) - below(alone, p)) / 2
              for p, is_alone in scored if not is_alone) / max(1, len(alone) * (len(scored) - len(alone)))  # fmt: skip
    print(
        f"memberships of articles with no gold story-mate in their story: {len(alone)}; below {WEAK}: {weak_alone} "
        f"of them, {weak_all - weak_alone} others ({weak_alone / max(1, weak_all):.1%} of the weak, against "
        f"{(len(alone) - weak_alone) / max(1, len(scored) - weak_all):.1%} of the others); AUC {auc:.3f}"
    )
    # `consilience review` lists the weakest memberships first: how many of the first k are strays
    queue = sorted(
        (m.probability, m.article, all(dataset.gold[m.article] != dataset.gold[o] for o in predicted[state.id] if o != m.article))
        for state in states for m in clusterer.memberships(state)
    )  # fmt: skip
    ranked = [is_alone for _, _, is_alone in queue]
    print(
        "review queue (weakest first), strays among the first k: "
        + ", ".join(f"{k}: {sum(ranked[:k])}" for k in (10, 20, 50, 100, 200) if k <= len(ranked))
        + f" (base rate {len(alone) / max(1, len(scored)):.1%})"
    )
    # an editor who reads the first k and moves each stray (`consilience move`) to the story holding most of its
    # event's other reports, or to a story of its own when none does
    before = score_clustering(dataset.gold, story_of).bcubed_f1
    gains = []
    for k in (10, 50, 100, 200):
        if k > len(queue):
            break
        fixed = reviewed(story_of, [(p, article) for p, article, _ in queue], dataset.gold, k)
        gains.append(f"{k}: {score_clustering(dataset.gold, fixed).bcubed_f1:.4f}")
    print(f"BCubed F1 {before:.4f}; after an editor reviews the first k and moves the strays: " + ", ".join(gains))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
