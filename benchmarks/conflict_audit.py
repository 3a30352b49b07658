"""Conflict audit: every conflict the comparison finds in every gold story of a labelled dataset.

    python benchmarks/conflict_audit.py ../shared/datasets/ecbplus-dev.jsonl [--counted-nouns] [--json]

The gold set (eval/comparison-gold.json) judges 30 stories; this lists the
conflicts of all of a dataset's stories, with each source's sentence, for a
person to judge, and prints a table of conflicts per kind of slot: event roles
(killed, age, offer ...), counted nouns (the story's subject: "three cables"),
and facts aligned by meaning. ``--counted-nouns`` lists only conflicts over a
counted noun. Use it to check a rule on stories nobody annotated.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from consilience.annotate import annotate_articles
from consilience.annotate.slots import ROLES
from consilience.compare import compare_story
from consilience.evaluate.datasets import load_labelled
from consilience.model import Article, Fact, FactStatus, Story, StoryComparison
from consilience.pipeline import mark_duplicates


def _kind(fact: Fact) -> str:
    if not fact.slot:
        return "aligned sentences"
    slot = fact.slot.split(" (")[0]
    if slot in ROLES:
        return "event role"
    return "figure without a role" if slot == "figure" else "counted noun"


def compared_stories(path: Path) -> Iterator[tuple[str, StoryComparison]]:
    """Every gold story of a labelled dataset, annotated and compared, in story order."""
    dataset = load_labelled(path)
    stories: dict[str, list[Article]] = defaultdict(list)
    for article in dataset.articles:
        stories[dataset.gold[article.id]].append(article)
    for story_id, articles in sorted(stories.items()):
        mark_duplicates(articles, [])
        annotate_articles(articles)
        yield story_id, compare_story(Story(id=story_id, articles=[a.id for a in articles]), articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--counted-nouns", action="store_true", help="list only conflicts over a counted noun")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    found = []
    kinds: Counter[str] = Counter()
    stories = 0
    for story_id, compared in compared_stories(args.dataset):
        stories += 1
        for fact in compared.facts:
            if fact.status != FactStatus.CONFLICT:
                continue
            kind = _kind(fact)
            kinds[kind] += 1
            if args.counted_nouns and kind != "counted noun":
                continue
            found.append({
                "story": story_id, "kind": kind, "slot": fact.slot, "conflict": fact.conflict,
                "mentions": [{"article": m.article, "sentence": m.sentence, "value": m.value["text"] if m.value else None,
                              "text": m.text} for m in fact.mentions],
            })  # fmt: skip
    if args.json:
        print(json.dumps({"stories": stories, "conflicts": dict(kinds), "listed": found}, indent=1))
        return
    for item in found:
        print(f"{item['story']}  [{item['kind']}]  {item['conflict']}")
        for mention in item["mentions"]:
            print(f"    {mention['article']} #{mention['sentence']} {mention['value']!s:>10} | {mention['text'][:110]}")
    print(f"\n{stories} stories")
    print("| kind of slot | conflicts |\n|---|---:|")
    for kind, count in kinds.most_common():
        print(f"| {kind} | {count} |")


if __name__ == "__main__":
    main()
