"""Corroboration audit: a random sample of the facts the comparison marks corroborated, each source's sentence shown.

    python benchmarks/corroboration_audit.py ../shared/datasets/ecbplus-dev.jsonl [--sample 30] [--seed 1] [--json]
    python benchmarks/corroboration_audit.py ../shared/datasets/{ecbplus-dev,basil-dev}.jsonl \
        --gold eval/comparison-gold.json --sample 100 --seed 1 --draw-out drawn.json

The gold set (eval/comparison-gold.json) scores the corroborations the
comparison finds (recall), not whether the sentences it puts in one fact say
one thing: a fact listed as corroborated by a sentence about something else
misleads a reader. This compares every gold story of a labelled dataset, draws
``--sample`` corroborated facts (every fact equally likely), and lists each
with every source's sentence, numbered, for a person to judge: right (every
sentence states the fact), partly (all on its subject, one says more or less),
or wrong (a sentence states something else). Prints how many facts each
story had, so a judged sample can be read as a share of all.

With ``--gold``, the facts are drawn from the gold set's stories, compared as
``consilience evaluate comparison`` compares them, and ``--draw-out`` writes
one pair of sentences of each drawn fact (two sources, drawn at random) as
``drawn`` gold items with an empty ``label``, leaving out pairs the gold set
already labels (``--keep N`` keeps N of the rest at random): a person labels each pair right,
partly or wrong, and adds the items to the gold set, whose evaluation then
gives the precision of the corroborations it still makes on those pairs.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from conflict_audit import compared_stories

from consilience.evaluate.comparison import evaluate_comparison, load_gold
from consilience.evaluate.datasets import load_labelled
from consilience.model import FactStatus, StoryComparison


def _gold_stories(gold: Path, datasets: list[Path]) -> list[tuple[str, StoryComparison]]:
    compared: list[tuple[str, StoryComparison]] = []
    evaluate_comparison(load_gold(gold), [load_labelled(d) for d in datasets],
                        on_story=lambda story, comparison: compared.append((story, comparison)))  # fmt: skip
    return compared


def _labelled_pairs(gold: Path) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """The drawn pairs a gold file already holds: (story, its two (article, evidence) sorted)."""
    data = json.loads(gold.read_text(encoding="utf-8"))
    return {_pair_key(story["story"], item) for story in data["stories"] for item in story["items"]
            if item["type"] == "drawn"}  # fmt: skip


def _pair_key(story: str, item: dict) -> tuple[str, tuple[tuple[str, str], ...]]:
    return story, tuple(sorted((m["article"], m["evidence"]) for m in item["mentions"]))


def _drawn_items(drawn: list[dict], seed: int, labelled: set, keep: int | None) -> dict:
    """One pair of sentences of two sources per drawn fact, as gold items to label.

    Pairs the gold set already labels are left out; ``keep`` of the rest are kept at random.
    """
    rng = random.Random(seed)
    stories: dict[str, list[dict]] = {}
    for item in drawn:
        by_article: dict[str, dict] = {}
        for mention in item["mentions"]:
            by_article.setdefault(mention["article"], mention)
        first, second = rng.sample(sorted(by_article), 2)
        pair = sorted([by_article[first], by_article[second]], key=lambda m: m["article"])
        stories.setdefault(item["story"], []).append({
            "type": "drawn", "slot": item["slot"] or item["text"][:60], "label": "",
            "mentions": [{"article": m["article"], "evidence": m["text"]} for m in pair],
        })  # fmt: skip
    items = [(story, item) for story, found in sorted(stories.items()) for item in found
             if _pair_key(story, item) not in labelled]  # fmt: skip
    if keep is not None and keep < len(items):
        items = sorted(random.Random(seed).sample(items, keep), key=lambda pair: pair[0])
    kept: dict[str, list[dict]] = {}
    for story, item in items:
        kept.setdefault(story, []).append(item)
    return {"stories": [{"story": story, "items": found} for story, found in kept.items()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, nargs="+")
    parser.add_argument("--gold", type=Path, help="draw from this gold set's stories only")
    parser.add_argument("--draw-out", type=Path, help="with --gold: write one sentence pair per drawn fact here")
    parser.add_argument("--keep", type=int, help="with --draw-out: keep this many of the pairs not yet labelled")
    parser.add_argument("--sample", type=int, default=30, help="facts drawn (default 30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corroborated = []
    facts = stories = 0
    if args.draw_out and not args.gold:
        parser.error("--draw-out needs --gold")
    if args.gold:
        found = _gold_stories(args.gold, args.dataset)
    else:
        found = (pair for dataset in args.dataset for pair in compared_stories(dataset))
    for story_id, compared in found:
        stories += 1
        facts += len(compared.facts)
        for fact in compared.facts:
            if fact.status == FactStatus.CORROBORATED:
                corroborated.append({
                    "story": story_id, "slot": fact.slot, "text": fact.text,
                    "sources": len({m.article for m in fact.mentions}),
                    "mentions": [{"article": m.article, "sentence": m.sentence, "text": m.text} for m in fact.mentions],
                })  # fmt: skip
    drawn = random.Random(args.seed).sample(corroborated, min(args.sample, len(corroborated)))
    summary = {"stories": stories, "facts": facts, "corroborated": len(corroborated), "sample": drawn}
    if args.draw_out:
        items = _drawn_items(drawn, args.seed, _labelled_pairs(args.gold), args.keep)
        args.draw_out.write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(summary, indent=1))
        return
    for number, item in enumerate(drawn, 1):
        slot = f"  [{item['slot']}]" if item["slot"] else ""
        print(f"{number:>3}. {item['story']}  {item['sources']} sources{slot}")
        for mention in item["mentions"]:
            print(f"       {mention['article']} #{mention['sentence']} | {mention['text'][:150]}")
    print(
        f"\n{stories} stories, {facts} facts, {len(corroborated)} corroborated; {len(drawn)} drawn (seed {args.seed})"
    )


if __name__ == "__main__":
    main()
