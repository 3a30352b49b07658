"""Load a Spark run's outputs into a store (``consilience spark load OUTPUT --db URL``), so the web app can browse them.

Reads the Parquet tables with pyarrow (no Spark needed) and writes, one
transaction per batch of stories: the articles with their signals (so a later
``consilience ingest`` can file new articles under these stories), the
stories (as retired: a later article reopens the one it matches), the
republished links, and each story's cached annotations and comparison (so
``consilience show`` and the web app open a story without recomputing it); then
each loaded story's look-alikes among the loaded stories.
Articles already in the store (same id, URL or text) are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cluster.signals import ArticleSignals
from ..incremental import PIPELINE_VERSION
from ..settings import DEFAULT_SETTINGS
from ..store import Store
from ..store.base import now
from ..store.codec import SIGNAL_COLUMNS, row_to_signals, stats_from_bytes
from .job import MARKER, PAIR_MODEL_FILE, STATS_FILE, SparkJobError

BATCH_STORIES = 200


@dataclass
class LoadReport:
    """What a load did."""

    stories: int = 0
    articles: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # why -> articles not added
    comparisons: int = 0
    look_alikes: int = 0  # loaded stories with look-alikes among the loaded stories
    memberships: int = 0  # loaded articles whose membership of their story was judged

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``consilience spark load --json``."""
        return {"stories": self.stories, "articles": self.articles, "skipped": self.skipped,
                "comparisons": self.comparisons, "look_alikes": self.look_alikes,
                "memberships": self.memberships}  # fmt: skip


def load_results(output: str | Path, store: Store, progress: Callable[[int], None] | None = None) -> LoadReport:
    """Copy a run's articles, stories, annotations and comparisons into ``store`` (hold ``store.writer()``)."""
    import pyarrow.parquet as pq

    folder = Path(output)
    if not (folder / MARKER).exists() or not (folder / "articles").exists():
        raise SparkJobError(f"{output}: not the output of `consilience spark run` (no {MARKER} and articles/)")
    summary = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    articles = pq.read_table(folder / "articles").to_pylist()
    stories = pq.read_table(folder / "stories").to_pylist()
    by_id = {row["id"]: row for row in articles}
    report = LoadReport()
    store_embedder = (store.get_state("embedder") or b"").decode()
    loaded: dict[str, list[ArticleSignals]] = {}
    for begin in range(0, len(stories), BATCH_STORIES):
        batch = stories[begin : begin + BATCH_STORIES]
        with store.transaction():
            for story in batch:
                members = _load_story(store, story, by_id, report)
                if members:
                    loaded[story["id"]] = members
        if progress:
            progress(report.articles)
    stats = (folder / STATS_FILE).read_bytes() if (folder / STATS_FILE).exists() else None
    embedder = str(summary.get("embedder") or "all-MiniLM-L6-v2-onnx-int8")
    own_model = (folder / PAIR_MODEL_FILE).read_text(encoding="utf-8") if (folder / PAIR_MODEL_FILE).exists() else ""
    report.look_alikes, report.memberships = _store_judgements(store, loaded, embedder, stats, own_model)
    del loaded
    if store.get_state("counters") is None and report.articles:
        # a new store: the stream goes on from this run (its IDF, its stories reopenable by later articles)
        times = [row["time"] for row in articles if row.get("time") is not None]
        counters = {"position": report.articles, "clock": max(times) if times else None, "next_story_number": 1,
                    "consolidated_at": report.articles}  # fmt: skip
        with store.transaction():
            store.put_state("counters", json.dumps(counters).encode())
            if not store_embedder:
                store.put_state("embedder", embedder.encode())
            if stats is not None:
                store.put_state("term_stats", stats)
            if own_model:  # later ingests, moves and the web app judge with the model the run clustered with
                store.put_state("pair_model", own_model.encode())
    return report


def _store_judgements(store: Store, loaded: dict[str, list[ArticleSignals]], embedder: str,
                      stats: bytes | None, model_json: str = "") -> tuple[int, int]:  # fmt: skip
    """Store each loaded story's look-alikes among the stories of this load, and its articles' memberships, as an
    ingest run does; how many stories have look-alikes, and how many articles a membership.

    Judged by the run's pair model (``model_json``, else the shipped one of its embedder), with the run's IDF, from
    the signals the run computed (nothing is embedded again, except leads in
    other languages than English when a cross-language pair needs them). The
    loaded stories are retired, so a membership has no active rival story.
    """
    from ..cluster import PairModel, StoryState, StreamClusterer
    from ..embed import HashingEmbedder

    if not loaded:
        return 0, 0
    states = []
    for story_id, members in loaded.items():
        state = StoryState.of(story_id, members)
        state.forgotten.clear()  # a state holds its MAX_KEPT_MEMBERS most recent members, and sums of all
        states.append(state)
    # the signals carry the run's vectors, so the clusterer's own embedder is never called here: a hashing one of the
    # same width spares loading a model (multilingual-e5 loads on first use, when a pair crosses languages)
    width = len(states[0].members[0].dense)
    model = PairModel.from_json(model_json, PAIR_MODEL_FILE) if model_json else PairModel.for_embedder(embedder)
    clusterer = StreamClusterer(DEFAULT_SETTINGS, HashingEmbedder(width), model=model)
    if stats is not None:
        clusterer.stats = stats_from_bytes(stats)
    for state in states:
        for member in state.members:
            member.lexical = clusterer.stats.lexical_vector(member.terms)
    found = clusterer.look_alikes(states) if len(states) > 1 else {}
    memberships = {state.id: clusterer.memberships(state) for state in states if state.size > 1}
    with store.transaction():
        store.put_look_alikes(found)
        store.put_memberships(memberships)
    return sum(1 for alikes in found.values() if alikes), sum(len(m) for m in memberships.values())


def _load_story(
    store: Store, story: dict[str, Any], by_id: dict[str, dict[str, Any]], report: LoadReport
) -> list[ArticleSignals]:
    """Store one story's articles not yet in the store, as a retired story; their signals."""
    rows, signals, assignments, copies = [], [], [], []
    seen: set[str] = set()  # texts and URLs of this story's articles (not yet in the store to be found there)
    for article_id in story["articles"]:
        row = by_id.get(article_id)
        if row is None:
            continue
        existing = store.find_existing(article_id, row.get("canonical_url"), row["content_hash"])
        why = existing[1] if existing is not None else None
        if why is None and (row["content_hash"] in seen or (row.get("canonical_url") or "") in seen):
            why = "same text or URL in this input"
        if why is not None:
            report.skipped[why] = report.skipped.get(why, 0) + 1
            continue
        seen.update(v for v in (row["content_hash"], row.get("canonical_url")) if v)
        rows.append(_article_row(row))
        signals.append(row_to_signals([article_id, *(row[c] for c in SIGNAL_COLUMNS[1:])]))
        assignments.append((article_id, story["id"], row.get("join_probability")))
        if row.get("republished_of"):
            copies.append((article_id, row["republished_of"]))
    if not rows:
        return []
    store.insert_articles(rows, signals)
    store.assign(assignments)
    store.mark_republished(copies)
    stamp = now()
    store.upsert_stories([{
        "id": story["id"], "status": "retired", "merged_into": None, "size": len(rows),
        "first_published": story.get("first_published"), "last_published": story.get("last_published"),
        "first_time": story.get("first_time"), "last_time": story.get("last_time"), "last_seen": 0, "version": 1,
        "created_at": stamp, "updated_at": stamp,
    }])  # fmt: skip
    report.stories += 1
    report.articles += len(rows)
    annotations = json.loads(story["annotations"]) if story.get("annotations") else {}
    items = [
        (a, json.dumps(data, ensure_ascii=False)) for a, data in annotations.items() if a in {r["id"] for r in rows}
    ]
    if items:
        store.put_annotations(items, PIPELINE_VERSION)  # joins the story's transaction
    if story.get("comparison") and len(rows) == len(story["articles"]):
        store.put_comparison(story["id"], story["articles"], PIPELINE_VERSION, story["comparison"],
                             int(story.get("conflicts") or 0))  # fmt: skip
        report.comparisons += 1
    return signals


def _article_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "url": row.get("url"), "canonical_url": row.get("canonical_url"),
        "content_hash": row["content_hash"], "title": row.get("title"), "outlet": row.get("outlet"),
        "published": row.get("published"), "language": row.get("language"), "source": row.get("source"),
        "text": row["text"], "raw_text": row.get("raw_text"), "cleaning": row.get("cleaning"), "ingested_at": now(),
    }  # fmt: skip
