"""Corroboration audit: a random sample of the facts the comparison marks corroborated, each source's sentence shown.

    python benchmarks/corroboration_audit.py ../shared/datasets/ecbplus-dev.jsonl [--sample 30] [--seed 1] [--json]

The gold set (eval/comparison-gold.json) scores the corroborations the
comparison finds (recall), not whether the sentences it puts in one fact say
one thing: a fact listed as corroborated by a sentence about something else
misleads a reader. This compares every gold story of a labelled dataset, draws
``--sample`` corroborated facts (every fact equally likely), and lists each
with every source's sentence, numbered, for a person to judge: right (every
sentence states the fact), partly (all on its subject, one says more or less),
or wrong (a sentence states something else). Prints how many facts each
story had, so a judged sample can be read as a share of all.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from conflict_audit import compared_stories

from consilience.model import FactStatus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--sample", type=int, default=30, help="facts drawn (default 30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corroborated = []
    facts = stories = 0
    for story_id, compared in compared_stories(args.dataset):
        stories += 1
        facts += len(compared.facts)
        for fact in compared.facts:
            if fact.status == FactStatus.CORROBORATED:
                corroborated.append({
                    "story": story_id, "slot": fact.slot, "sources": len({m.article for m in fact.mentions}),
                    "mentions": [{"article": m.article, "sentence": m.sentence, "text": m.text} for m in fact.mentions],
                })  # fmt: skip
    drawn = random.Random(args.seed).sample(corroborated, min(args.sample, len(corroborated)))
    summary = {"stories": stories, "facts": facts, "corroborated": len(corroborated), "sample": drawn}
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
