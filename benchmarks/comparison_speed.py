"""Comparison speed: annotation throughput and the time to compare one 50-article story.

    python benchmarks/comparison_speed.py [--dataset ../shared/datasets/ecbplus-dev.jsonl] [--story-size 50]
    python benchmarks/comparison_speed.py --per-pipe 200

Annotation runs over every article of the dataset, with one spaCy process and
with the default (one worker per core for large batches). The story is the
first ``--story-size`` articles of the dataset's largest gold stories, taken
together as one story (ECB+ stories have at most 22 articles); its comparison
time counts embedding and alignment, after the models are loaded. Prints a table.
"""

from __future__ import annotations

import argparse
import copy
import resource
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from consilience.annotate import annotate_articles
from consilience.compare import compare_story
from consilience.embed import get_embedder
from consilience.evaluate.datasets import load_labelled
from consilience.model import Story
from consilience.settings import DEFAULT_SETTINGS

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "ecbplus-dev.jsonl"


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--story-size", type=int, default=50)
    parser.add_argument(
        "--per-pipe",
        type=int,
        metavar="N",
        default=0,
        help="instead: seconds each pipe of the complete spaCy model takes on the first N articles",
    )
    args = parser.parse_args()
    dataset = load_labelled(args.dataset)
    if args.per_pipe:
        _per_pipe([a.text for a in dataset.articles[: args.per_pipe]])
        return
    articles = dataset.articles
    rows = []
    annotate_articles(copy.deepcopy(articles[:5]))  # load spaCy once, outside the timings
    for label, settings in (
        ("annotate, 1 process", replace(DEFAULT_SETTINGS, annotate_processes=1)),
        ("annotate, default (workers per core)", DEFAULT_SETTINGS),
    ):
        batch = copy.deepcopy(articles)
        started = time.perf_counter()
        annotate_articles(batch, settings)
        seconds = time.perf_counter() - started
        rows.append((label, len(batch), seconds, f"{len(batch) / seconds:.1f} articles/s"))
    annotated = batch
    sizes = Counter(dataset.gold[a.id] for a in annotated)
    chosen: list[str] = []
    for story, _ in sizes.most_common():
        chosen += [a.id for a in annotated if dataset.gold[a.id] == story]
        if len(chosen) >= args.story_size:
            break
    chosen = chosen[: args.story_size]
    embedder = get_embedder()
    by_id = {a.id: a for a in annotated}
    compare_story(Story(id="warm", articles=chosen[:3]), [by_id[i] for i in chosen[:3]], embedder=embedder)
    started = time.perf_counter()
    result = compare_story(Story(id="s", articles=chosen), [by_id[i] for i in chosen], embedder=embedder)
    seconds = time.perf_counter() - started
    sentences = sum(len(by_id[i].sentences) for i in chosen)
    rows.append((f"compare one story of {len(chosen)} articles", len(chosen), seconds,
                 f"{sentences} sentences, {len(result.facts)} facts"))  # fmt: skip
    own, children = _peak_mb()
    print(f"dataset {args.dataset.name}: {len(articles)} articles")
    print(f"{'step':<44} {'articles':>8} {'seconds':>8}  result")
    for label, count, secs, note in rows:
        print(f"{label:<44} {count:>8} {secs:>8.2f}  {note}")
    print(f"peak RSS: this process {own:.0f} MB, largest spaCy worker {children:.0f} MB")


def _per_pipe(texts: list[str]) -> None:
    """Time every pipe of the complete model (the lemmatizer and attribute ruler included), one process."""
    import spacy

    from consilience.annotate.nlp import MODEL_NAMES

    for name in MODEL_NAMES:
        try:
            nlp = spacy.load(name)
        except OSError:
            continue
        break
    else:
        raise SystemExit("no English spaCy model installed")
    seconds = {"tokenizer": 0.0}
    started = time.perf_counter()
    docs = [nlp.make_doc(text) for text in texts]
    seconds["tokenizer"] = time.perf_counter() - started
    for pipe_name, pipe in nlp.pipeline:
        started = time.perf_counter()
        docs = list(pipe.pipe(docs, batch_size=16))
        seconds[pipe_name] = time.perf_counter() - started
    print(f"{'pipe':<18} {'seconds':>8}   ({len(texts)} articles, one process)")
    for pipe_name, value in seconds.items():
        print(f"{pipe_name:<18} {value:>8.2f}")


if __name__ == "__main__":
    main()
