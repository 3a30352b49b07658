"""The incremental pipeline: sources -> clean -> index -> cluster -> store, one committed batch at a time.

:class:`Ingestor` rebuilds the streaming clusterer from the store (its active
stories, the most recently retired ones and the term statistics), then files
each new article under a story the moment it is read. Each batch of articles
is written together with its story assignments and the clusterer's state in
one transaction: a process killed at any point leaves the store as it was
after the last batch, and a re-run skips what is stored and goes on.

Articles are deduplicated against the store by id, canonical URL and text
(hash of the cleaned text); republished near-copies are kept and linked to
their original. Annotation and fact comparison are not part of ingestion:
they run when a story is shown (:func:`compare_stored_story`) and are cached.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .clean import clean_article, content_hash
from .cluster import ClusterEvent, MemoryArchive, PairModel, StoryState, StreamClusterer, publication_order
from .cluster.signals import ArticleSignals
from .embed import Embedder
from .errors import InputError
from .ingest import SourceReader
from .ingest.web import canonical_url
from .model import Article, Comparison, Membership, Story, from_plain, to_plain
from .settings import DEFAULT_SETTINGS, Settings
from .store import Store, StoreError
from .store.base import cleaning_json, iso, now
from .store.codec import stats_from_bytes, stats_to_bytes

BATCH = 128  # articles per transaction: small enough that a crash loses little work, big enough to embed efficiently
# keys the store's cached annotations and comparisons: raise the revision when either's output changes
PIPELINE_VERSION = f"consilience-{__version__}/8"
_EMBEDDER_CHOICE = {"all-MiniLM-L6-v2-onnx-int8": "minilm"}  # stored embedder name -> the --embedder value
_ANNOTATION_FIELDS = ("sentences", "entities", "quantities", "dates", "quotes", "reference_date", "reference_evidence")


@dataclass
class IngestReport:
    """What an ingest did."""

    read: int = 0
    added: int = 0
    duplicates: dict[str, int] = field(default_factory=dict)  # reason -> count
    republished: int = 0
    new_stories: int = 0  # stories this run started that still stand at its end (not merged into another)
    skipped: int = 0  # empty after cleaning, or too long
    failed: list[str] = field(default_factory=list)  # inputs that could not be read, with the reason
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # the stories this run created or changed (articles joined, merged in, moved), as they stand at its end
    changed_stories: list[str] = field(default_factory=list)
    # with --compare: each changed story of two or more articles compared, {"story", "articles", "conflicts"}
    compared: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``consilience ingest --json``."""
        return to_plain(self) | {"articles_per_second": round(self.added / self.seconds, 1) if self.seconds else None}


class Ingestor:
    """Adds articles to a store and its stories; see the module docstring. Hold ``store.writer()`` while using it."""

    def __init__(self, store: Store, settings: Settings = DEFAULT_SETTINGS, embedder: Embedder | None = None,
                 progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.store = store
        self.settings = settings
        self.clusterer = restore_clusterer(store, settings, embedder)
        self.progress = progress or (lambda added: None)
        self._changed: set[str] = set()  # stories changed since their look-alikes were last stored
        self._merged: set[str] = set()  # ...and those merged away meanwhile, whose look-alikes go
        self._started: set[str] = set()  # stories started since the last finish(), counted in new_stories

    # -- sources ----------------------------------------------------------------------------------------------
    def ingest_sources(self, sources: Sequence[str], reader: SourceReader, report: IngestReport) -> IngestReport:
        """Read every source (each file, page, feed or archive as a unit) and add its articles."""
        started = time.perf_counter()
        try:
            units = list(reader.units(sources))
        except InputError as error:
            report.failed.append(str(error))
            units = []
        for unit in units:
            try:
                articles = list(unit.read())
                _check_ids(articles, unit.name)
            except InputError as error:
                report.failed.append(str(error))
                continue
            self.add(articles, report)
        self.finish(report)
        if reader.warnings is not report.warnings:  # the CLI's reader writes to the report's list already
            report.warnings.extend(reader.warnings)
        report.seconds += time.perf_counter() - started
        return report

    # -- articles ---------------------------------------------------------------------------------------------
    def add(self, articles: Iterable[Article], report: IngestReport) -> None:
        """Clean, deduplicate and file ``articles`` (fed in publication order), committing every :data:`BATCH`."""
        fresh: list[tuple[Article, dict[str, Any]]] = []
        seen_hashes: dict[str, str] = {}
        seen_urls: dict[str, str] = {}
        incoming = list(articles)
        for index in publication_order(incoming):
            article = incoming[index]
            report.read += 1
            row = self._prepare(article, report)
            if row is None:
                continue
            earlier = seen_hashes.get(row["content_hash"]) or (
                row["canonical_url"] and seen_urls.get(row["canonical_url"])
            )
            if earlier:
                report.duplicates["same text or URL in this input"] = (
                    report.duplicates.get("same text or URL in this input", 0) + 1
                )
                continue
            seen_hashes[row["content_hash"]] = article.id
            if row["canonical_url"]:
                seen_urls[row["canonical_url"]] = article.id
            fresh.append((article, row))
            if len(fresh) >= BATCH:
                self._file(fresh, report)
                fresh = []
        if fresh:
            self._file(fresh, report)

    def finish(self, report: IngestReport, consolidate: bool = True) -> None:
        """Merge stories that grew into one another during this run, store the changed stories' look-alikes and
        memberships, commit."""
        events = self.clusterer.consolidate() if consolidate else []
        if events:
            with self.store.transaction():
                self._persist(events, report)
                self._save_state()
        standing = (set(report.changed_stories) | self._changed) - self._merged
        self._started = set()
        report.changed_stories = sorted(standing, key=_natural)
        if self._changed:
            clusterer = self.clusterer
            states = list(clusterer.active.values())
            if isinstance(clusterer.archive, MemoryArchive):
                states += clusterer.archive.states()
            # a story the clusterer no longer holds (retired beyond the archive's limit) keeps its stored rows
            changed = self._changed - self._merged
            found = clusterer.look_alikes(states, of=changed)
            # a look-alike's probability is of the two stories as they stand: the stories that listed a changed or
            # merged story, or that a changed story now lists, are judged again
            held = {state.id for state in states}
            around = self.store.stories_listing(self._changed | self._merged)
            around |= {alike.story for alikes in found.values() for alike in alikes}
            around = (around & held) - self._changed
            if around:
                found |= clusterer.look_alikes(states, of=around)
            by_id = {state.id: state for state in states}
            memberships = {story: clusterer.memberships(by_id[story]) for story in changed if story in by_id}
            with self.store.transaction():
                self.store.put_look_alikes({story: [] for story in self._merged} | found)
                self.store.put_memberships({story: [] for story in self._merged} | memberships)
            self._changed, self._merged = set(), set()

    # -- editors --------------------------------------------------------------------------------------------------
    def move(self, article_id: str, to_story: str | None, report: IngestReport) -> tuple[str, str]:
        """An editor moves a stored article to another story (``to_story``, a merged story's old id is followed), or
        to a story of its own (None); the clusterer keeps to it from then on (:meth:`StreamClusterer.move_by_editor`).

        Returns ``(the story it left, the story it is in)``. Raises :class:`InputError` for an unknown article or
        story, or a move that changes nothing; the store is then untouched.
        """
        store = self.store
        source_id = store.story_of(article_id)
        if source_id is None:
            raise InputError(article_id, "no such article in the store (see `consilience search`)")
        target_id = None
        if to_story is not None:
            target_id = store.resolve_story(to_story)
            if target_id is None:
                raise InputError(to_story, "no such story in the store (see `consilience stories`)")
            if target_id == source_id:
                raise InputError(article_id, f"already in story {source_id}")
        found = {story_id: members for story_id, _, members in store.story_signals(
            ["active", "retired"], ids=[source_id, *([target_id] if target_id else [])])}  # fmt: skip
        source_members = found.get(source_id, [])
        if target_id is None and len(source_members) == 1:
            raise InputError(article_id, f"already alone in story {source_id}")
        probabilities = {s.id: p for members in found.values() for s, p in members if p is not None}
        events = self.clusterer.move_by_editor(
            article_id,
            (source_id, [s for s, _ in source_members]),
            (target_id, [s for s, _ in found.get(target_id, [])] if target_id else []),
            probabilities,
        )
        target_id = events[0].story
        with store.transaction():
            self._persist(events, report)
            store.log_editor_move(article_id, source_id, target_id)
            self._save_state()
        self.finish(report, consolidate=False)  # the stories stand as the editor left them until the next ingest
        return source_id, target_id

    def merge(self, story_id: str, into: str, report: IngestReport) -> str:
        """An editor merges two stored stories: every article of ``story_id`` moves to ``into`` (:meth:`move`), so
        the re-check never splits them again, and the emptied story leads to ``into``. Returns the merged story's id.
        """
        source = self.store.resolve_story(story_id)
        target = self.store.resolve_story(into)
        for given, found in ((story_id, source), (into, target)):
            if found is None:
                raise InputError(given, "no such story in the store (see `consilience stories`)")
        if source == target:
            raise InputError(
                story_id, f"already merged into story {target}" if story_id != target else "is the same story"
            )
        record = self.store.story(str(source))
        for article_id in record.articles if record else []:
            self.move(article_id, target, report)
        return str(target)

    def _prepare(self, article: Article, report: IngestReport) -> dict[str, Any] | None:
        size = len(article.raw_text or article.text)
        if size > self.settings.max_article_chars:
            report.skipped += 1
            report.warnings.append(
                f"{article.source or article.id}: skipped, {size:,} characters is too long for one article"
            )
            return None
        clean_article(article, self.settings)
        if not article.text.strip():
            report.skipped += 1
            report.warnings.append(f"{article.source or article.id}: skipped, nothing left after cleaning")
            return None
        row: dict[str, Any] = {
            "id": article.id, "url": article.url, "canonical_url": canonical_url(article.url),
            "content_hash": content_hash(article.text), "title": article.title, "outlet": article.outlet,
            "published": iso(article.published), "language": article.language, "source": article.source,
            "text": article.text, "raw_text": article.raw_text if article.raw_text != article.text else None,
            "cleaning": cleaning_json(article), "ingested_at": now(),
        }  # fmt: skip
        existing = self.store.find_existing(article.id, row["canonical_url"], row["content_hash"])
        if existing is not None:
            _, why = existing
            if why == "same id, different text":
                report.failed.append(
                    f"{article.source or article.id}: id {article.id!r} is already stored with a different text; not added"
                )
            else:
                report.duplicates[why] = report.duplicates.get(why, 0) + 1
            return None
        return row

    def _file(self, batch: list[tuple[Article, dict[str, Any]]], report: IngestReport) -> None:
        signals = self.clusterer.extractor.extract([a for a, _ in batch])
        events: list[ClusterEvent] = []
        for (article, row), article_signals in zip(batch, signals, strict=True):
            row["language"] = row["language"] or article_signals.language
            events.extend(self.clusterer.add_signals(article_signals, article.duplicate_of))
        with self.store.transaction():
            self.store.insert_articles([row for _, row in batch], signals)
            self._persist(events, report)
            self._save_state()
        report.added += len(batch)
        self.progress(report.added)

    def _persist(self, events: list[ClusterEvent], report: IngestReport) -> None:
        """Apply the clusterer's events to the stored articles and stories, in the order they happened."""
        store = self.store
        touched: dict[str, None] = {}
        for event in events:
            touched[event.story] = None
            if event.kind in ("new", "join", "republished", "move") and event.article:
                probability = self.clusterer.join_probability(event.article)
                store.assign([(event.article, event.story, probability)])
                if event.kind == "republished" and event.other:
                    store.mark_republished([(event.article, event.other)])
                    report.republished += 1
                if event.kind == "new":
                    report.new_stories += 1
                    self._started.add(event.story)
                if event.kind == "move" and event.other:
                    touched[event.other] = None  # the story it left
            elif event.kind == "merge" and event.other:
                store.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", (event.story, event.other))
                touched[event.other] = None
                if event.other in self._started:  # started by this run and merged away: not a new story after all
                    self._started.discard(event.other)
                    report.new_stories -= 1
        merged_into = {e.other: e.story for e in events if e.kind == "merge" and e.other}
        self._changed.update(touched)
        self._merged.update(merged_into)
        rows = []
        for story_id in touched:
            state = self.clusterer.active.get(story_id)
            status = "active"
            if state is None:
                state = self.clusterer.archive.peek(story_id)
                status = "retired"
            if story_id in merged_into:
                rows.append(_story_row(StoryState(story_id), "merged", merged_into[story_id]))
            elif state is not None:
                rows.append(_story_row(state, status))
            else:
                store.set_story_status(story_id, "retired")
        store.upsert_stories(rows)

    def _save_state(self) -> None:
        clusterer = self.clusterer
        counters = {"position": clusterer.position, "clock": clusterer.clock,
                    "next_story_number": clusterer.next_story_number, "consolidated_at": clusterer._consolidated_at}  # fmt: skip
        self.store.put_state("counters", json.dumps(counters).encode())
        self.store.put_state("embedder", clusterer.extractor.embedder.name.encode())
        self.store.put_state("term_stats", stats_to_bytes(clusterer.stats))
        # a pair model of the user's travels with the store (moves, reviews and later ingests use it); b"": shipped
        model = clusterer.model
        self.store.put_state("pair_model", b"" if model.shipped else json.dumps(model.to_dict()).encode())
        if clusterer.editor_home:
            self.store.put_state("editor_rules", json.dumps(clusterer.editor_rules()).encode())


def editor_move(store: Store, article_id: str, to_story: str | None) -> dict[str, Any]:
    """``consilience move`` and ``POST /api/move``: :meth:`Ingestor.move` on ``store`` (hold ``store.writer()``),
    then ``{"article", "from", "to", "sizes": {story: articles}}`` (0 for a story the move left empty)."""
    left, now_in = Ingestor(store).move(article_id, to_story, IngestReport())
    sizes = {record.id: record.size for record in store.story_records([left, now_in])}
    return {
        "article": article_id,
        "from": left,
        "to": now_in,
        "sizes": {left: sizes.get(left, 0), now_in: sizes[now_in]},
    }


def editor_merge(store: Store, story_id: str, into: str, smaller_moves: bool = False) -> dict[str, Any]:
    """``consilience merge`` and ``POST /api/merge``: :meth:`Ingestor.merge` on ``store`` (hold ``store.writer()``),
    then ``{"story", "into", "size"}`` (``into`` as resolved, ``size`` its articles now).

    With ``smaller_moves``, the smaller of the two stories joins the larger whichever was named first: an article
    moved is a few store writes, and the web page's "merge the two" names no direction.
    """
    source, target = store.resolve_story(story_id), store.resolve_story(into)
    if smaller_moves and source is not None and target is not None:
        sizes = {record.id: record.size for record in store.story_records([source, target])}
        if sizes.get(source, 0) > sizes.get(target, 0):
            story_id, into = into, story_id
    merged = Ingestor(store).merge(story_id, into, IngestReport())
    record = store.story(merged)
    return {"story": story_id, "into": merged, "size": record.size if record else 0}


def restore_clusterer(
    store: Store, settings: Settings = DEFAULT_SETTINGS, embedder: Embedder | None = None
) -> StreamClusterer:
    """A clusterer in the state the store's last committed batch left it (a fresh one for a new store)."""
    clusterer = StreamClusterer(settings, embedder)
    counters = store.get_state("counters")
    if counters is None:
        return clusterer
    own_model = store.get_state("pair_model")
    if own_model and not settings.cluster_pair_model:  # the model the store was built with, unless a run names one
        clusterer.model = PairModel.from_json(own_model.decode(), f"{store.location} (its pair model)")
    stored = (store.get_state("embedder") or b"").decode()
    if stored and stored != clusterer.extractor.embedder.name:
        raise StoreError(
            f"{store.location}: its stories were built with the {stored} embedder, not {clusterer.extractor.embedder.name}; "
            f"vectors of two embedders cannot share stories (use --embedder {_EMBEDDER_CHOICE.get(stored, stored)})"
        )
    values = json.loads(counters)
    clusterer.position = int(values["position"])
    clusterer.clock = values["clock"]
    clusterer.next_story_number = int(values["next_story_number"])
    clusterer._consolidated_at = int(values["consolidated_at"])
    stats = store.get_state("term_stats")
    if stats is not None:
        clusterer.stats = stats_from_bytes(stats)
    rules = store.get_state("editor_rules")
    if rules is not None:
        clusterer.restore_editor_rules(json.loads(rules))
    for story_id, last_seen, members in store.story_signals(["retired"], limit=settings.cluster_archive_limit):
        state = _state(story_id, last_seen, [s for s, _ in members])
        for member in state.members:
            member.lexical = clusterer.stats.lexical_vector(member.terms)
            member.minhash = None
        clusterer.archive.retire(state)
    for story_id, last_seen, members in store.story_signals(["active"]):
        state = _state(story_id, last_seen, [s for s, _ in members])
        clusterer.resume_story(state, {s.id: p for s, p in members if p is not None})
    return clusterer


def stored_memberships(
    store: Store, story_ids: Sequence[str], settings: Settings = DEFAULT_SETTINGS, embedder: Embedder | None = None
) -> dict[str, list[Membership]]:
    """How firmly each article of these stored stories belongs to its story, and why (:meth:`StreamClusterer.memberships`).

    As judged when each story last changed (stored at ingest, as look-alikes
    are). A story of several articles without stored memberships (a store
    made before they were stored) is scored now, by the clusterer the store's
    last batch left: with its term statistics and its active stories as
    rivals, or for a story retired beyond its archive, from the signals its
    members were stored with.
    """
    found = store.memberships(story_ids)
    missing = [record.id for record in store.story_records([i for i in story_ids if i not in found]) if record.size > 1]
    if not missing:
        return found
    clusterer = restore_clusterer(store, settings, embedder)
    held = {story_id: clusterer.active.get(story_id) or clusterer.archive.peek(story_id) for story_id in missing}
    found |= {story_id: clusterer.memberships(state) for story_id, state in held.items() if state is not None}
    unheld = [story_id for story_id, state in held.items() if state is None]
    for story_id, last_seen, members in store.story_signals(["active", "retired"], ids=unheld):
        state = _state(story_id, last_seen, [s for s, _ in members])
        for member in state.members:
            member.lexical = clusterer.stats.lexical_vector(member.terms)
        found[story_id] = clusterer.memberships(state)
    return found


def _state(story_id: str, last_seen: int, members: list[ArticleSignals]) -> StoryState:
    state = StoryState.of(story_id, members)
    state.forgotten.clear()
    state.last_seen = last_seen
    return state


def _story_row(state: StoryState, status: str, merged_into: str | None = None) -> dict[str, Any]:
    import datetime as dt

    def moment(days: float | None) -> str | None:
        return None if days is None else dt.datetime.fromtimestamp(days * 86400.0, tz=dt.UTC).isoformat()

    stamp = now()
    return {
        "id": state.id, "status": status, "merged_into": merged_into, "size": state.size,
        "first_published": moment(state.first), "last_published": moment(state.last), "first_time": state.first,
        "last_time": state.last, "last_seen": state.last_seen, "version": state.version, "created_at": stamp,
        "updated_at": stamp,
    }  # fmt: skip


def _check_ids(articles: list[Article], source: str) -> None:
    """One input may not use one id for two different texts (which one would be meant?)."""
    texts: dict[str, tuple[str, str | None]] = {}
    for article in articles:
        digest = content_hash(article.raw_text or article.text)
        if article.id in texts and texts[article.id][0] != digest:
            first = texts[article.id][1]
            raise InputError(source, f"id {article.id!r} is used for two different texts ({first} and {article.source}); "
                                     "nothing from this input was added")  # fmt: skip
        texts.setdefault(article.id, (digest, article.source))


# -- showing a stored story ----------------------------------------------------------------------------------------
def compare_stored_story(store: Store, story_id: str, settings: Settings = DEFAULT_SETTINGS,
                         embedder: Embedder | None = None) -> Comparison:  # fmt: skip
    """The comparison report of a stored story: annotations and the comparison are cached in the store."""
    from .compare import compare_story
    from .model import StoryComparison

    record = store.story(story_id)
    if record is None:
        raise InputError(story_id, "no such story in the store (see `consilience stories`)")
    articles = store.articles(record.articles)
    by_id = {a.id: a for a in articles}
    cached = store.cached_comparison(record.id, record.articles, PIPELINE_VERSION)
    annotations = store.cached_annotations(record.articles, PIPELINE_VERSION)
    for article_id, data in annotations.items():
        _load_annotations(by_id[article_id], json.loads(data))
    look_alikes = record.look_alikes  # stored with the story, not with its cached comparison
    memberships = store.memberships([record.id]).get(record.id, [])  # ...and so are its articles' memberships
    if cached is not None:
        item = from_plain(StoryComparison, json.loads(cached))
        item.story.look_alikes, item.story.memberships = look_alikes, memberships
        return Comparison(articles=articles, stories=[item])
    _annotate_and_cache(store, [a for a in articles if a.id not in annotations], settings)
    for article in articles:
        if article.id in record.republished:
            article.duplicate_of = record.republished[article.id]
    story = Story(id=record.id, articles=record.articles, republished=dict(record.republished), look_alikes=look_alikes,
                  memberships=memberships)  # fmt: skip
    compared = compare_story(story, articles, settings, embedder)
    conflicts = sum(1 for f in compared.facts if f.status.value == "conflict")
    store.put_comparison(
        record.id, record.articles, PIPELINE_VERSION, json.dumps(to_plain(compared), ensure_ascii=False), conflicts
    )
    return Comparison(articles=articles, stories=[compared])


def compare_changed(
    store: Store,
    report: IngestReport,
    settings: Settings = DEFAULT_SETTINGS,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Compare (and cache) each story of two or more articles an ingest changed (``report.changed_stories``), so that
    its report is ready when asked for; ``report.compared`` says how many conflicts each holds now."""
    records = {r.id: r for r in store.story_records(report.changed_stories)}
    # the articles not yet annotated, in one batch: spaCy in parallel processes from a few hundred texts, where
    # story by story it would start cold for each
    wanted = [a for r in records.values() if r.size >= 2 for a in r.articles]
    cached = store.cached_annotations(wanted, PIPELINE_VERSION)
    _annotate_and_cache(store, store.articles([a for a in wanted if a not in cached]), settings)
    for done, story_id in enumerate(report.changed_stories, 1):
        record = records.get(story_id)
        if record is not None and record.size >= 2:
            item = compare_stored_story(store, story_id, settings).stories[0]
            conflicts = sum(1 for f in item.facts if f.status.value == "conflict")
            report.compared.append({"story": story_id, "articles": record.size, "conflicts": conflicts})
        if progress:
            progress(done)


# `consilience export --table facts`: one row per fact of every story with a current comparison
FACT_EXPORT_COLUMNS = ("story", "fact", "status", "kind", "slot", "text", "sources", "articles", "conflict",
                       "disputed_by", "mentions")  # fmt: skip


def fact_export_rows(store: Store) -> Iterator[dict[str, Any]]:
    """The facts of every stored story whose comparison is cached and current (``show``, ``ingest --compare`` and
    the web app make them), story by story: status, slot, text, the articles that state it and where."""
    for record, data in store.current_comparisons(PIPELINE_VERSION):
        story_id = record.id
        for fact in json.loads(data).get("facts", []):
            mentions = fact.get("mentions") or []
            articles = list(dict.fromkeys(m["article"] for m in mentions))
            yield {"story": story_id, "fact": fact.get("id"), "status": fact.get("status"), "kind": fact.get("kind"),
                   "slot": fact.get("slot"), "text": fact.get("text"), "sources": len(articles), "articles": articles,
                   "conflict": fact.get("conflict"), "disputed_by": list(fact.get("disputed_by") or []),
                   "mentions": mentions}  # fmt: skip


def stored_conflicts(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    """The conflicts of the store's compared stories, the most recently published story first: for each, the story
    (id, label, last publication), the fact, what differs and the articles that disagree (``consilience conflicts``,
    the web app's Conflicts page)."""
    found = []
    for record, data in store.current_comparisons(PIPELINE_VERSION, conflicts_only=True):
        for fact in json.loads(data).get("facts", []):
            if fact.get("status") != "conflict":
                continue
            articles = list(dict.fromkeys(m["article"] for m in fact.get("mentions") or []))
            found.append({"story": record.id, "label": record.label, "story_size": record.size,
                          "last_published": record.last_published, "fact": fact.get("id"), "slot": fact.get("slot"),
                          "conflict": fact.get("conflict"), "text": fact.get("text"), "articles": articles})  # fmt: skip
    found.sort(key=lambda c: (_natural(c["story"]), _natural(c["fact"])))
    found.sort(key=lambda c: c["last_published"] or "", reverse=True)  # stable: a story's conflicts stay in order
    return found[:limit]


def uncompared(store: Store) -> tuple[int, int]:
    """``(stories of 2+ articles without a current comparison, stories of 2+ articles)``: what the store's conflict
    listings and fact export cannot see yet."""
    several = int(store.value("SELECT COUNT(*) FROM stories WHERE status != 'merged' AND size >= 2") or 0)
    compared = sum(1 for record, _ in store.current_comparisons(PIPELINE_VERSION) if record.size >= 2)
    return several - compared, several


def _natural(story_or_fact_id: str) -> tuple[int, str]:
    """Sort key of ids like "s9" < "s10", "s9-f2" < "s9-f10"."""
    return len(story_or_fact_id), story_or_fact_id


def _annotate_and_cache(store: Store, articles: list[Article], settings: Settings) -> None:
    """Annotate ``articles`` and cache their annotations in the store."""
    if not articles:
        return
    from .annotate import annotate_articles

    annotate_articles(articles, settings)
    store.put_annotations([(a.id, json.dumps(_annotations(a), ensure_ascii=False)) for a in articles], PIPELINE_VERSION)


def _annotations(article: Article) -> dict[str, Any]:
    return {name: to_plain(getattr(article, name)) for name in _ANNOTATION_FIELDS}


def _load_annotations(article: Article, data: dict[str, Any]) -> None:
    import typing

    hints = typing.get_type_hints(Article)
    for name in _ANNOTATION_FIELDS:
        if name in data:
            setattr(article, name, from_plain(hints[name], data[name]))
