"""Replay the stream clusterer on cached article signals: quality of the assignment step alone.

    python benchmarks/clustering_replay.py ../shared/datasets/*-dev.jsonl ../shared/datasets/{uci-headlines,meantime-xling}.jsonl \
        --cache /tmp/cache [--model PATH] [--redate-undated 30 90 300] [--shuffle-undated] [--set SETTING=NUMBER] \
        [--drop-dates 0.25 0.5] [--sample GROUPS [--samples K]]

Signals (embeddings, terms, names) are computed once per file and cached, so a
pair model or a setting can be compared on every file in a minute. Each file is
fed in publication order (``StreamClusterer.add_signals``), then ``consolidate()``,
exactly as ``cluster_articles`` does after embedding. ``--redate-undated N...`` also
replays each file that has undated stories with those stories dated, N a day (a
dense stream, see ``redate_undated``). ``--shuffle-undated`` also replays each file
with undated articles with those articles in a shuffled order (a hash of their ids;
row ``FILE~shuffled``): in the files, a story's undated articles are neighbours, which
says nothing about how news arrives. ``--drop-dates F...`` also replays each file that
has dated articles with a share F of their dates removed (row ``FILE-F-undated``): a
story whose reports are partly dated, as scraped pages and feeds often give them.
``--sample N`` also replays ``--samples`` random parts of each file of N whole
topics (the file's ``topic`` field, ECB+'s pairs of look-alike events) or N
stories where the file has no topics (row ``FILE[N]``, mean and range of the
parts): BCubed depends on how many look-alike stories a file holds, and the
held-out test files are smaller than the development ones. Prints one row per file: BCubed P / R / F1, pairwise F1, stories, and
assignment speed (articles/s from signals to story).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from consilience.cluster.pairs import PairModel
from consilience.cluster.stream import StoryLedger, StreamClusterer
from consilience.cluster.train import dataset_signals, hashed_undated, signal_variants
from consilience.embed import get_embedder
from consilience.evaluate.datasets import load_labelled
from consilience.evaluate.metrics import score_clustering
from consilience.settings import DEFAULT_SETTINGS, Settings


def replay(signals: list, model: PairModel, settings: Settings = DEFAULT_SETTINGS) -> tuple[dict[str, str], float]:
    """Story of every article, and the articles/s of the assignment."""
    clusterer = StreamClusterer(settings, embedder=get_embedder(settings.cluster_embedder), model=model)
    ledger = StoryLedger()
    started = time.perf_counter()
    for s in signals:
        ledger.apply(clusterer.add_signals(copy.copy(s)))
    ledger.apply(clusterer.consolidate())
    seconds = time.perf_counter() - started
    story_of = {article: story.id for story in ledger.stories() for article in story.articles}
    return story_of, len(signals) / max(seconds, 1e-9)


def setting_overrides(items: list[str]) -> dict[str, Any]:
    """``SETTING=NUMBER`` strings (``--set``) as keyword arguments for ``dataclasses.replace(DEFAULT_SETTINGS, ...)``."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        default = getattr(DEFAULT_SETTINGS, key, None)
        if not isinstance(default, (int, float)) or isinstance(default, bool):
            raise ValueError(f"--set {item}: no numeric setting named {key!r}")
        try:
            overrides[key] = type(default)(value)
        except ValueError:
            raise ValueError(f"--set {item}: {value!r} is not a {type(default).__name__}") from None
    return overrides


def topics_of(path: str) -> dict[str, str]:
    """Gold story -> topic, from a file's ``topic`` field (a story without one is its own topic)."""
    topics: dict[str, str] = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            topics[row["story"]] = row.get("topic") or row["story"]
    return topics


def sampled_parts(path: str, gold: dict[str, str], groups: int, samples: int) -> list[set[str]]:
    """``samples`` sets of article ids, each ``groups`` whole topics (or stories, for a file without topics)."""
    topics = topics_of(path)
    group_of = {article: topics.get(story, story) for article, story in gold.items()}
    names = sorted(set(group_of.values()))
    parts = []
    for seed in range(1, samples + 1):
        chosen = set(random.Random(seed).sample(names, min(groups, len(names))))
        parts.append({article for article, group in group_of.items() if group in chosen})
    return parts


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--cache", required=True, help="folder of cached signals (filled on first use)")
    parser.add_argument("--model", help="pair model JSON (default: the shipped one for the embedder)")
    parser.add_argument("--embedder", default="auto", help="clustering vectors (default: MiniLM)")
    parser.add_argument("--redate-undated", type=int, nargs="+", default=[], metavar="N")
    parser.add_argument("--shuffle-undated", action="store_true", help="also replay undated articles shuffled")
    parser.add_argument(
        "--drop-dates",
        type=float,
        nargs="+",
        default=[],
        metavar="FRACTION",
        help="also replay each file with dated articles with this share of their dates removed",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SETTING=NUMBER",
        help="override a numeric setting, e.g. cluster_lone_merge=0.15; repeatable",
    )
    parser.add_argument("--sample", type=int, metavar="GROUPS", help="also replay parts of this many topics/stories")
    parser.add_argument("--samples", type=int, default=5, metavar="K", help="how many parts (default 5)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        overrides = setting_overrides(args.set)
    except ValueError as error:
        parser.error(str(error))
    settings = replace(DEFAULT_SETTINGS, cluster_embedder=args.embedder, **overrides)
    model = PairModel.load(args.model) if args.model else PairModel.for_embedder(get_embedder(args.embedder).name)
    rows = []
    for path in args.datasets:
        dataset = load_labelled(path)
        signals = dataset_signals(dataset, settings, cache=Path(args.cache))
        variants = signal_variants(dataset, signals, args.redate_undated, args.drop_dates)
        if args.shuffle_undated and any(s.time is None for s in signals):
            variants.insert(1, (f"{dataset.name}~shuffled", hashed_undated(signals)))
        for name, variant in variants:
            story_of, speed = replay(variant, model, settings)
            scores = score_clustering(dataset.gold, story_of)
            row = {"file": name, "stories": len(set(story_of.values())), "assign_per_s": round(speed, 1)}
            row.update({k: round(v, 4) if isinstance(v, float) else v for k, v in scores.to_dict().items()})
            rows.append(row)
            if not args.json:
                print(
                    f"{name:32} BCubed {scores.bcubed_precision:.3f} / {scores.bcubed_recall:.3f} / "
                    f"{scores.bcubed_f1:.3f}  pairwise F1 {scores.pairwise_f1:.3f}  "
                    f"stories {row['stories']:5} (gold {dataset.stories})  {speed:7.0f} art/s",
                    flush=True,
                )
        if args.sample:
            rows.append(
                replay_parts(path, dataset.gold, signals, model, settings, args.sample, args.samples, args.json)
            )
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def replay_parts(
    path: str,
    gold: dict[str, str],
    signals: list,
    model: PairModel,
    settings: Settings,
    groups: int,
    samples: int,
    quiet: bool,
) -> dict[str, object]:
    """Replay ``samples`` parts of ``groups`` topics or stories each; the mean and range of their scores."""
    scores = []
    for part in sampled_parts(path, gold, groups, samples):
        story_of, _ = replay([s for s in signals if s.id in part], model, settings)
        scores.append(score_clustering({a: g for a, g in gold.items() if a in part}, story_of))
    f1 = [s.bcubed_f1 for s in scores]
    row: dict[str, object] = {
        "file": f"{Path(path).stem}[{groups}]",
        "parts": len(scores),
        "bcubed_precision": round(statistics.mean(s.bcubed_precision for s in scores), 4),
        "bcubed_recall": round(statistics.mean(s.bcubed_recall for s in scores), 4),
        "bcubed_f1": round(statistics.mean(f1), 4),
        "bcubed_f1_range": [round(min(f1), 4), round(max(f1), 4)],
        "gold_stories": round(statistics.mean(s.gold_stories for s in scores), 1),
    }
    if not quiet:
        print(
            f"{row['file']:32} BCubed {row['bcubed_precision']:.3f} / {row['bcubed_recall']:.3f} / "
            f"{row['bcubed_f1']:.3f}  ({min(f1):.3f} to {max(f1):.3f} over {len(scores)} parts of "
            f"{row['gold_stories']:g} stories on average)",
            flush=True,
        )
    return row


if __name__ == "__main__":
    raise SystemExit(main())
