"""Brief against editors' summaries: ROUGE of the comparison's brief and of lead baselines on AllSides stories.

    python benchmarks/brief_rouge.py ../shared/datasets/allsides-dev.jsonl \\
        ../shared/datasets/allsides-dev-summaries.jsonl [--sample 300] [--seed 1] [--json]

AllSides editors write a neutral summary of each roundup of three outlets'
reports (``allsides-dev-summaries.jsonl``). Each sampled gold story is compared
as one story (its three excerpts) and its brief's lines (the fact sentences,
without the notes in brackets) are scored against the editors' summary, cut to
the summary's length in words, as are three baselines: the first sentences of
the first excerpt in file order (AllSides gives the outlets in random order),
the first sentence of each excerpt, and the sentence nearest to the others
(centroid, on the comparison's sentence vectors). ROUGE-1, -2 and -L F1 and
recall, lower-cased word tokens, no stemming: the ``rouge-score`` package's
defaults, reimplemented here to keep it out of the dependencies (checked equal
on this data, docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from consilience.annotate import annotate_articles
from consilience.compare import compare_story
from consilience.embed import get_sentence_embedder
from consilience.evaluate.datasets import load_labelled
from consilience.model import Article, Story
from consilience.pipeline import mark_duplicates
from consilience.settings import DEFAULT_SETTINGS

_TOKEN = re.compile(r"[a-z0-9]+")
_NOTE = re.compile(r"\s*\[(?:sources disagree|the figures differ|[^\]]* updated):[^\]]*\]$")


def tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens (rouge-score's default tokenizer without stemming)."""
    return _TOKEN.findall(text.lower())


def _ngrams(words: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def _lcs(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge(candidate: list[str], reference: list[str]) -> dict[str, tuple[float, float]]:
    """ROUGE-1, -2 and -L as (recall, F1)."""
    scores = {}
    for name, n in (("rouge1", 1), ("rouge2", 2)):
        ours, theirs = _ngrams(candidate, n), _ngrams(reference, n)
        overlap = sum((ours & theirs).values())
        scores[name] = _recall_f1(overlap, sum(ours.values()), sum(theirs.values()))
    scores["rougeL"] = _recall_f1(_lcs(candidate, reference), len(candidate), len(reference))
    return scores


def _recall_f1(overlap: int, predicted: int, gold: int) -> tuple[float, float]:
    precision = overlap / predicted if predicted else 0.0
    recall = overlap / gold if gold else 0.0
    return recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def _first_sentences(article: Article, count: int) -> list[str]:
    return [s.text for s in article.sentences[:count]]


def _in_turn(articles: list[Article]) -> list[str]:
    """First sentences of every excerpt, then their second sentences, and so on (the multi-document lead)."""
    longest = max((len(a.sentences) for a in articles), default=0)
    return [a.sentences[i].text for i in range(longest) for a in articles if i < len(a.sentences)]


def _centroid_sentence(articles: list[Article]) -> list[str]:
    sentences = [s.text for a in articles for s in a.sentences]
    if not sentences:
        return []
    vectors = get_sentence_embedder(DEFAULT_SETTINGS.compare_vector_cache).encode(sentences)
    return [sentences[int(np.argmax(vectors @ vectors.mean(axis=0)))]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("summaries", type=Path)
    parser.add_argument("--sample", type=int, default=300, help="stories drawn (default 300)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summaries = {}
    for line in args.summaries.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        summaries[record["story"]] = record["summary"]
    dataset = load_labelled(args.dataset)
    stories: dict[str, list[Article]] = defaultdict(list)
    for article in dataset.articles:
        stories[dataset.gold[article.id]].append(article)
    chosen = sorted(random.Random(args.seed).sample(sorted(s for s in stories if s in summaries), args.sample))
    articles = [a for s in chosen for a in stories[s]]
    mark_duplicates(articles, [])
    annotate_articles(articles)
    totals: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for story_id in chosen:
        members = stories[story_id]
        reference = tokens(summaries[story_id])
        compared = compare_story(Story(id=story_id, articles=[a.id for a in members]), members)
        systems = {
            "consilience brief": [_NOTE.sub("", line.text) for line in compared.brief],
            "lead: first excerpt's first sentences": _first_sentences(members[0], 5),
            "lead: each excerpt's first sentence": [s for a in members for s in _first_sentences(a, 1)],
            "lead: the excerpts' sentences in turn": _in_turn(members),
            "centroid sentence": _centroid_sentence(members),
        }
        for name, lines in systems.items():
            candidate = tokens(" ".join(lines))[: len(reference)]
            for metric, (recall, f1) in rouge(candidate, reference).items():
                totals[name][f"{metric} R"].append(recall)
                totals[name][f"{metric} F1"].append(f1)
    table = {name: {k: round(float(np.mean(v)), 4) for k, v in metrics.items()} for name, metrics in totals.items()}
    # paired: the brief against each baseline on the same stories, ROUGE-1 F1, with a bootstrap interval
    brief = np.array(totals["consilience brief"]["rouge1 F1"])
    rng = np.random.default_rng(args.seed)
    draws = rng.integers(0, len(brief), size=(2000, len(brief)))
    paired = {}
    for name in totals:
        if name == "consilience brief":
            continue
        difference = brief - np.array(totals[name]["rouge1 F1"])
        means = difference[draws].mean(axis=1)
        paired[name] = {"mean": round(float(difference.mean()), 4), "low": round(float(np.percentile(means, 2.5)), 4),
                        "high": round(float(np.percentile(means, 97.5)), 4)}  # fmt: skip
    if args.json:
        print(json.dumps({"stories": len(chosen), "seed": args.seed, "scores": table, "brief_minus": paired}, indent=1))
        return
    columns = ["rouge1 F1", "rouge2 F1", "rougeL F1", "rouge1 R", "rouge2 R"]
    print(f"{len(chosen)} AllSides stories (seed {args.seed}); candidates cut to the summary's length in words")
    print("| system | " + " | ".join(columns) + " |\n|---|" + "---:|" * len(columns))
    for name, metrics in table.items():
        print(f"| {name} | " + " | ".join(f"{metrics[c]:.3f}" for c in columns) + " |")
    print("\nbrief minus baseline, ROUGE-1 F1, mean over the same stories [95% bootstrap interval]:")
    for name, value in paired.items():
        print(f"  {name}: {value['mean']:+.3f} [{value['low']:+.3f}, {value['high']:+.3f}]")


if __name__ == "__main__":
    main()
