"""Share of sentences the cleaner removes on ../shared/datasets, and what it removed.

    python benchmarks/cleaning.py [--datasets ../shared/datasets] [--show 20]

Sentences are split on the raw text with a simple rule (end punctuation or a line
break); a sentence counts as removed when none of its words survive cleaning.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from consilience.clean import clean_text

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", default=str(Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    parser.add_argument("--show", type=int, default=15, help="removed sentences to print")
    args = parser.parse_args()
    files = sorted(p for p in Path(args.datasets).glob("*.jsonl") if "summaries" not in p.name)
    if not files:
        raise SystemExit(f"no datasets in {args.datasets}")
    print(f"{'file':<24} {'articles':>8} {'sentences':>10} {'removed':>8} {'share':>8}")
    examples: list[tuple[str, str, str]] = []
    reasons: Counter[str] = Counter()
    total_sentences = total_removed = 0
    for path in files:
        articles = sentences = removed = 0
        for line in path.open(encoding="utf-8"):
            record = json.loads(line)
            raw = f"{record.get('title') or ''}\n\n{record['text']}"
            result = clean_text(raw)
            for edit in result.edits:
                if edit.removed.strip() and not edit.replacement.strip():
                    reasons[edit.reason] += 1
            surviving = set(re.findall(r"\w+", result.text))
            for sentence in _SPLIT.split(raw):
                words = re.findall(r"\w+", sentence)
                if len(words) < 2:
                    continue
                sentences += 1
                if not any(w in surviving for w in words):
                    removed += 1
                    examples.append((path.name, record["id"], sentence.strip()[:100]))
            articles += 1
        total_sentences += sentences
        total_removed += removed
        print(f"{path.name:<24} {articles:>8} {sentences:>10} {removed:>8} {removed / max(1, sentences):>8.3%}")
    print(
        f"{'all':<24} {'':>8} {total_sentences:>10} {total_removed:>8} {total_removed / max(1, total_sentences):>8.3%}"
    )
    print("\nremoval reasons (edits that delete text):")
    for reason, count in reasons.most_common():
        print(f"  {count:>6}  {reason}")
    print(f"\nfirst {args.show} removed sentences:")
    for name, article_id, sentence in examples[: args.show]:
        print(f"  {name} {article_id}: {sentence}")


if __name__ == "__main__":
    main()
