"""The store interface, written once over a DB-API connection; backends supply the dialect.

:class:`Store` keeps articles (raw and cleaned text, metadata), their
clustering signals, stories, the clusterer's state, cached annotations and
comparisons, and the fetch log of watched feeds. Every write that belongs
together (a batch of articles, their story assignments and the clusterer's
state after them) happens in one transaction, so a crash at any point leaves
the store as it was after the last committed batch.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..cluster.signals import ArticleSignals
from ..errors import ConsilienceError
from ..model import WEAK_MEMBERSHIP, Article, CleaningEdit, Evidence, LookAlike, Membership, to_plain
from .codec import SIGNAL_COLUMNS, row_to_signals, signals_to_row
from .schema import APPLICATION, MIGRATIONS, SCHEMA_VERSION, Dialect


class StoreError(ConsilienceError):
    """The store cannot be opened or used (names the store and the problem)."""

    exit_code = 5


ARTICLE_COLUMNS = (
    "id", "url", "canonical_url", "content_hash", "title", "outlet", "published", "language", "source",
    "text", "raw_text", "cleaning", "story_id", "join_probability", "republished_of", "ingested_at",
)  # fmt: skip
_READ_COLUMNS = "id, url, title, outlet, published, language, source, text, raw_text, story_id, republished_of"


@dataclass
class StoryRecord:
    """A stored story: its articles (first filed first) and what a list of stories shows about it."""

    id: str
    status: str
    articles: list[str]
    first_published: str | None = None
    last_published: str | None = None
    languages: list[str] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    opening: str = ""  # the first words of its first article, when none of its articles has a title
    republished: dict[str, str] = field(default_factory=dict)
    conflicts: int | None = None  # from the cached comparison, when one was made
    # articles whose stored membership is weak (Membership.weak: below WEAK_MEMBERSHIP, not placed by an editor)
    weakly_filed: int = 0
    look_alikes: list[LookAlike] = field(default_factory=list)  # as judged when the story last changed

    @property
    def size(self) -> int:
        """Number of articles."""
        return len(self.articles)

    @property
    def label(self) -> str:
        """What a listing calls the story: its first headline, else its first article's opening words."""
        return self.titles[0] if self.titles else self.opening

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the one of ``consilience stories --json``)."""
        return {
            "id": self.id,
            "articles": self.articles,
            "size": self.size,
            "status": self.status,
            "republished": self.republished,
            "first_published": self.first_published,
            "last_published": self.last_published,
            "languages": self.languages,
            "outlets": self.outlets,
            "titles": self.titles[:3],
            "label": self.label,
            "conflicts": self.conflicts,
            "weakly_filed": self.weakly_filed,
            "look_alikes": [to_plain(alike) for alike in self.look_alikes],
        }


OPENING_CHARS = 120  # of an untitled article's text, to name its story in listings


def _opening_words(text: str) -> str:
    """The first line of ``text`` (up to :data:`OPENING_CHARS`), cut at a word with an ellipsis when longer."""
    first, newline, _ = text.partition("\n")
    line = " ".join(first.split())
    if newline or len(text) < OPENING_CHARS:
        return line
    return line.rsplit(" ", 1)[0].rstrip(",;:") + "…"


@dataclass(frozen=True)
class StoryFilter:
    """Which stories a listing shows, and in which order."""

    since: str | None = None  # ISO date or time: stories with an article published on or after it
    until: str | None = None  # ...on or before it
    entity: str | None = None  # a name (phrase) some article of the story mentions
    outlet: str | None = None
    language: str | None = None
    sort: str = "size"  # "size" or "recent"
    limit: int | None = None
    min_size: int = 1


@dataclass
class SearchHit:
    """One article matching a full-text query."""

    article: str
    story: str | None
    title: str | None
    outlet: str | None
    published: str | None
    snippet: str  # matched words in [brackets]; neighbours in one pair ("[Wang Yi]")
    score: float

    def __post_init__(self) -> None:
        self.snippet = self.snippet.replace("] [", " ")


@dataclass
class Doubt:
    """A weakly filed article, for an editor to review (``consilience review``)."""

    story: str
    title: str | None
    outlet: str | None
    published: str | None
    story_size: int
    membership: Membership


class Store:
    """One consilience store; see the module docstring. Use :func:`consilience.store.open_store`."""

    dialect: Dialect

    def __init__(self, connection: Any, location: str) -> None:
        self.connection = connection
        self.location = location
        self._in_transaction = False

    # -- backend hooks ----------------------------------------------------------------------------------------
    # both backends run on autocommit connections and open transactions explicitly
    begin_statement = "BEGIN"

    def _begin(self) -> None:
        self.connection.execute(self.begin_statement)

    def _commit(self) -> None:
        self.connection.execute("COMMIT")

    def _rollback(self) -> None:
        self.connection.execute("ROLLBACK")

    def _tables(self) -> set[str]:
        raise NotImplementedError

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Articles matching ``query`` (words, all required), best first."""
        raise NotImplementedError

    def _entity_clause(self) -> str:
        """SQL condition on ``a`` (an articles row) that is true when it mentions the phrase parameter."""
        raise NotImplementedError

    def _entity_parameter(self, phrase: str) -> str:
        return phrase

    @contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the store's single-writer lock (the clusterer's state is one per store)."""
        yield

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------------------------
    def _sql(self, query: str) -> str:
        return query if self.dialect == "sqlite" else query.replace("?", "%s")

    def execute(self, query: str, parameters: Sequence[Any] = ()) -> Any:
        """Run one statement (``?`` placeholders in both backends)."""
        cursor = self.connection.cursor()
        cursor.execute(self._sql(query), tuple(parameters))
        return cursor

    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""
        rows = [tuple(r) for r in rows]
        if rows:
            self.connection.cursor().executemany(self._sql(query), rows)

    def rows(self, query: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of a query."""
        return [tuple(r) for r in self.execute(query, parameters).fetchall()]

    def value(self, query: str, parameters: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.execute(query, parameters).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        if self._in_transaction:
            yield
            return
        self._begin()
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        else:
            self._commit()
        finally:
            self._in_transaction = False

    # -- schema -----------------------------------------------------------------------------------------------
    def prepare(self, create: bool = True, target_version: int = SCHEMA_VERSION) -> None:
        """Create the schema in an empty database, or migrate an older store; refuse anything else."""
        tables = self._tables()
        if "meta" not in tables:
            if tables - {"sqlite_sequence"}:
                raise StoreError(
                    f"{self.location}: not a consilience store (it holds other tables: {', '.join(sorted(tables)[:5])})"
                )
            if not create:
                raise StoreError(f"{self.location}: no consilience store here (run `consilience ingest` first)")
            version = 0
        else:
            meta = dict(self.rows("SELECT key, value FROM meta"))
            if meta.get("application") != APPLICATION:
                raise StoreError(f"{self.location}: not a consilience store (its meta table is someone else's)")
            version = int(meta.get("schema_version", "0"))
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location}: store has schema version {version}, this consilience knows up to "
                    f"{SCHEMA_VERSION}; upgrade consilience"
                )
        pending = [m for m in MIGRATIONS if version < m.version <= target_version]
        if not pending:
            return
        with self.transaction():
            for migration in pending:
                for statement in migration.statements(self.dialect):
                    self.execute(statement)
            upsert = (
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )
            self.execute(upsert, ("application", APPLICATION))
            self.execute(upsert, ("schema_version", str(pending[-1].version)))

    @property
    def schema_version(self) -> int:
        """The schema version this store is at."""
        return int(self.value("SELECT value FROM meta WHERE key = 'schema_version'") or 0)

    # -- writing ----------------------------------------------------------------------------------------------
    def find_existing(self, article_id: str, canonical_url: str | None, content_hash: str) -> tuple[str, str] | None:
        """``(stored id, why)`` when an article with this id, canonical URL or text is stored already."""
        row = self.execute(
            "SELECT id, content_hash, canonical_url FROM articles WHERE id = ? OR content_hash = ? OR canonical_url = ?",
            (article_id, content_hash, canonical_url),
        ).fetchall()
        for stored_id, stored_hash, stored_url in row:
            if stored_hash == content_hash:
                return stored_id, "same text"
            if canonical_url and stored_url == canonical_url:
                return stored_id, "same URL"
            if stored_id == article_id:
                return stored_id, "same id, different text"
        return None

    def insert_articles(self, rows: Sequence[dict[str, Any]], signals: Sequence[ArticleSignals]) -> None:
        """Insert article rows (dicts over :data:`ARTICLE_COLUMNS`) and their signals."""
        columns = ", ".join(ARTICLE_COLUMNS)
        marks = ", ".join("?" for _ in ARTICLE_COLUMNS)
        self.executemany(
            f"INSERT INTO articles ({columns}) VALUES ({marks})", [[r.get(c) for c in ARTICLE_COLUMNS] for r in rows]
        )
        marks = ", ".join("?" for _ in SIGNAL_COLUMNS)
        self.executemany(
            f"INSERT INTO signals ({', '.join(SIGNAL_COLUMNS)}) VALUES ({marks})", [signals_to_row(s) for s in signals]
        )

    def assign(self, assignments: Sequence[tuple[str, str, float | None]]) -> None:
        """Set ``(article, story, join probability)``."""
        self.executemany("UPDATE articles SET story_id = ?, join_probability = ? WHERE id = ?",
                         [(story, probability, article) for article, story, probability in assignments])  # fmt: skip

    def mark_republished(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Record ``(copy, original)`` links."""
        self.executemany("UPDATE articles SET republished_of = ? WHERE id = ?", [(o, c) for c, o in pairs])

    def upsert_stories(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or update story rows."""
        columns = ("id", "status", "merged_into", "size", "first_published", "last_published", "first_time",
                   "last_time", "last_seen", "version", "created_at", "updated_at")  # fmt: skip
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("id", "created_at"))
        self.executemany(
            f"INSERT INTO stories ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}",
            [[r.get(c) for c in columns] for r in rows],
        )

    def _delete_of_stories(self, table: str, story_ids: list[str]) -> None:
        for chunk, marks in _chunks(story_ids):
            self.execute(f"DELETE FROM {table} WHERE story_id IN ({marks})", chunk)

    def put_look_alikes(self, found: dict[str, list[LookAlike]]) -> None:
        """Replace the look-alikes of the stories in ``found`` (call inside a transaction)."""
        self._delete_of_stories("look_alikes", list(found))
        self.executemany(
            "INSERT INTO look_alikes (story_id, rank, other_id, cosine, probability, days_apart) VALUES (?, ?, ?, ?, ?, ?)",
            [(story, rank, a.story, a.cosine, a.probability, a.days_apart)
             for story, alikes in found.items() for rank, a in enumerate(alikes)],
        )  # fmt: skip

    def put_memberships(self, found: dict[str, list[Membership]]) -> None:
        """Replace the memberships of the stories in ``found`` (call inside a transaction)."""
        self._delete_of_stories("memberships", list(found))
        self.executemany(
            "INSERT INTO memberships (story_id, article_id, rank, probability, regime, bias, evidence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(story, m.article, rank, m.probability, m.regime, m.bias,
              json.dumps([[e.signal, e.value, e.logit] for e in m.evidence]))
             for story, memberships in found.items() for rank, m in enumerate(memberships)],
        )  # fmt: skip

    def memberships(self, story_ids: Sequence[str]) -> dict[str, list[Membership]]:
        """The stored memberships of ``story_ids`` (as judged when each story last changed); stories without any are left out."""
        found: dict[str, list[Membership]] = {}
        for chunk, marks in _chunks(story_ids):
            rows = self.rows(
                "SELECT story_id, article_id, probability, regime, bias, evidence FROM memberships "
                f"WHERE story_id IN ({marks}) ORDER BY story_id, rank",
                chunk,
            )
            for story_id, article_id, probability, regime, bias, evidence in rows:
                found.setdefault(story_id, []).append(
                    Membership(article_id, probability, regime, bias, [Evidence(*e) for e in json.loads(evidence)])
                )
        # the clusterer never moves an article an editor placed (its story may merge on), so a moved article is where
        # its last move put it
        moves = self.editor_moves([m.article for members in found.values() for m in members])
        for members in found.values():
            for membership in members:
                if membership.article in moves:
                    membership.placed_by_editor = moves[membership.article][-1][2]
        return found

    def log_editor_move(self, article_id: str, from_story: str, to_story: str) -> None:
        """Record that an editor moved ``article_id`` (call inside a transaction)."""
        self.execute(
            "INSERT INTO editor_moves (article_id, from_story, to_story, moved_at) VALUES (?, ?, ?, ?)",
            (article_id, from_story, to_story, now()),
        )

    def editor_moves(self, article_ids: Sequence[str]) -> dict[str, list[tuple[str, str, str]]]:
        """Each article's moves by an editor, oldest first: ``(from story, to story, when)``."""
        found: dict[str, list[tuple[str, str, str]]] = {}
        for chunk, marks in _chunks(article_ids):
            for article_id, from_story, to_story, moved_at in self.rows(
                "SELECT article_id, from_story, to_story, moved_at FROM editor_moves "
                f"WHERE article_id IN ({marks}) ORDER BY seq",
                chunk,
            ):
                found.setdefault(article_id, []).append((from_story, to_story, moved_at))
        return found

    def story_of(self, article_id: str) -> str | None:
        """The story an article is filed under, or None (no such article, or not filed)."""
        value = self.value("SELECT story_id FROM articles WHERE id = ?", (article_id,))
        return str(value) if value is not None else None

    def weakly_filed(self, limit: int = 50) -> list[Doubt]:
        """The articles whose stored membership is weakest (below WEAK_MEMBERSHIP, none an editor placed), weakest
        first: where an editor's review of the clustering is best spent."""
        rows = self.rows(
            "SELECT m.story_id, m.article_id, m.probability, m.regime, m.bias, m.evidence, a.title, a.outlet, "
            "a.published, st.size FROM memberships m JOIN articles a ON a.id = m.article_id AND a.story_id = m.story_id "
            "JOIN stories st ON st.id = m.story_id WHERE m.probability < ? "
            "AND m.article_id NOT IN (SELECT article_id FROM editor_moves) "
            f"ORDER BY m.probability, m.article_id LIMIT {int(limit)}",
            (WEAK_MEMBERSHIP,),
        )
        return [
            Doubt(story_id, title, outlet, published, size,
                  Membership(article_id, probability, regime, bias, [Evidence(*e) for e in json.loads(evidence)]))
            for story_id, article_id, probability, regime, bias, evidence, title, outlet, published, size in rows
        ]  # fmt: skip

    def stories_listing(self, story_ids: Iterable[str]) -> set[str]:
        """The stories that list any of ``story_ids`` among their stored look-alikes."""
        ids, listing = list(story_ids), set[str]()
        for chunk, marks in _chunks(ids):
            listing.update(
                r[0] for r in self.rows(f"SELECT DISTINCT story_id FROM look_alikes WHERE other_id IN ({marks})", chunk)
            )
        return listing

    def look_alikes(self, story_ids: Sequence[str]) -> dict[str, list[LookAlike]]:
        """The stories' look-alikes as judged when each last changed, most alike first, other stories' merges followed."""
        found: dict[str, dict[str, LookAlike]] = {story_id: {} for story_id in story_ids}
        for chunk, marks in _chunks(story_ids):
            rows = self.rows(
                "SELECT l.story_id, l.other_id, l.cosine, l.probability, l.days_apart, s.status "
                "FROM look_alikes l LEFT JOIN stories s ON s.id = l.other_id "
                f"WHERE l.story_id IN ({marks}) ORDER BY l.story_id, l.rank",
                chunk,
            )
            for story_id, other, cosine, probability, days_apart, status in rows:
                current = self.resolve_story(other) if status == "merged" else other if status else None
                if current is not None and current != story_id and current not in found[story_id]:
                    found[story_id][current] = LookAlike(current, cosine, probability, days_apart)
        return {story_id: list(alikes.values()) for story_id, alikes in found.items()}

    def set_story_status(self, story_id: str, status: str, merged_into: str | None = None) -> None:
        """Mark a story retired, active or merged into another."""
        self.execute("UPDATE stories SET status = ?, merged_into = ?, updated_at = ? WHERE id = ?",
                     (status, merged_into, now(), story_id))  # fmt: skip

    def put_state(self, key: str, value: bytes) -> None:
        """Save one piece of the clusterer's state."""
        self.execute(
            "INSERT INTO clusterer_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def get_state(self, key: str) -> bytes | None:
        """One piece of the clusterer's state, None before the first ingest."""
        value = self.value("SELECT value FROM clusterer_state WHERE key = ?", (key,))
        return None if value is None else bytes(value)

    # -- the clusterer's stories ------------------------------------------------------------------------------
    def story_signals(
        self, statuses: Sequence[str], limit: int | None = None, ids: Sequence[str] | None = None
    ) -> list[tuple[str, int, list[tuple[ArticleSignals, float | None]]]]:
        """``(story id, last_seen, [(member signals, join probability)])`` of stories in ``statuses``, oldest first.

        With ``limit``, only the ``limit`` most recently changed stories; with ``ids``, only these stories.
        """
        marks = ", ".join("?" for _ in statuses)
        query = f"SELECT id, last_seen FROM stories WHERE status IN ({marks})"
        if ids is None:
            query += " ORDER BY last_seen DESC" + (f" LIMIT {int(limit)}" if limit is not None else "")
            stories = self.rows(query, tuple(statuses))
        else:
            wanted = list(dict.fromkeys(ids))
            stories = []
            for chunk, marks in _chunks(wanted):
                stories += self.rows(f"{query} AND id IN ({marks})", (*statuses, *chunk))
            stories = sorted(stories, key=lambda row: -row[1])[:limit]
        stories.reverse()
        members: dict[str, list[tuple[ArticleSignals, float | None]]] = {story_id: [] for story_id, _ in stories}
        columns = ", ".join(f"s.{c}" for c in SIGNAL_COLUMNS)
        found = list(members)
        for chunk, marks in _chunks(found):
            rows = self.rows(
                f"SELECT a.story_id, a.join_probability, {columns} FROM articles a JOIN signals s ON s.article_id = a.id "
                f"WHERE a.story_id IN ({marks}) ORDER BY a.seq",
                chunk,
            )
            for story_id, probability, *signal_row in rows:
                members[story_id].append((row_to_signals(signal_row), probability))
        return [(story_id, last_seen, members[story_id]) for story_id, last_seen in stories if members[story_id]]

    # -- reading ----------------------------------------------------------------------------------------------
    def count_articles(self) -> int:
        """Number of stored articles."""
        return int(self.value("SELECT COUNT(*) FROM articles") or 0)

    def count_stories(self) -> int:
        """Number of stories (merged ones not counted)."""
        return int(self.value("SELECT COUNT(*) FROM stories WHERE status != 'merged'") or 0)

    def articles(self, ids: Sequence[str]) -> list[Article]:
        """Stored articles by id, in the order given (unknown ids are skipped)."""
        found: dict[str, Article] = {}
        for chunk, marks in _chunks(ids):
            query = f"SELECT {_READ_COLUMNS}, cleaning FROM articles WHERE id IN ({marks})"
            for row in self.rows(query, chunk):
                article = _article(row[:-1])
                article.cleaning = [CleaningEdit(**edit) for edit in json.loads(row[-1] or "[]")]
                found[article.id] = article
        return [found[i] for i in ids if i in found]

    def iter_articles(self, batch: int = 1000) -> Iterator[Article]:
        """Every stored article, in arrival order, without holding them all in memory."""
        last = 0
        while True:
            rows = self.rows(f"SELECT seq, {_READ_COLUMNS} FROM articles WHERE seq > ? ORDER BY seq LIMIT {int(batch)}",
                             (last,))  # fmt: skip
            if not rows:
                return
            for row in rows:
                yield _article(row[1:])
            last = rows[-1][0]

    def resolve_story(self, story_id: str) -> str | None:
        """The current id of a story (following merges), or None when unknown."""
        for _ in range(1000):
            row = self.execute("SELECT status, merged_into FROM stories WHERE id = ?", (story_id,)).fetchone()
            if row is None:
                return None
            if row[0] != "merged" or not row[1]:
                return story_id
            story_id = row[1]
        return None

    def story(self, story_id: str) -> StoryRecord | None:
        """One story with its articles, or None."""
        resolved = self.resolve_story(story_id)
        if resolved is None:
            return None
        records = self._records([resolved])
        return records[0] if records else None

    def stories(self, where: StoryFilter | None = None) -> list[StoryRecord]:
        """Stories matching ``where`` (default: all), largest or most recent first."""
        where = where or StoryFilter()
        clauses = ["st.status != 'merged'"]
        parameters: list[Any] = []
        if where.since:
            clauses.append("st.last_published >= ?")
            parameters.append(where.since)
        if where.until:
            clauses.append("st.first_published <= ?")
            parameters.append(_end_of(where.until))
        for column, wanted in (("outlet", where.outlet), ("language", where.language)):
            if wanted:
                clauses.append(
                    f"EXISTS (SELECT 1 FROM articles a WHERE a.story_id = st.id AND lower(a.{column}) = lower(?))"
                )
                parameters.append(wanted)
        if where.entity:
            clauses.append(f"EXISTS (SELECT 1 FROM articles a WHERE a.story_id = st.id AND {self._entity_clause()})")
            parameters.append(self._entity_parameter(where.entity))
        if where.min_size > 1:
            clauses.append("st.size >= ?")
            parameters.append(where.min_size)
        order = (
            "st.last_published DESC, st.size DESC" if where.sort == "recent" else "st.size DESC, st.last_published DESC"
        )
        query = f"SELECT st.id FROM stories st WHERE {' AND '.join(clauses)} ORDER BY {order}, st.id"
        if where.limit is not None:
            query += f" LIMIT {int(where.limit)}"
        return self._records([r[0] for r in self.rows(query, parameters)])

    def story_records(self, story_ids: Sequence[str]) -> list[StoryRecord]:
        """The records of ``story_ids`` that exist, in that order (merged ones are not followed)."""
        return self._records(list(story_ids))

    def _records(self, story_ids: list[str]) -> list[StoryRecord]:
        if not story_ids:
            return []
        records: dict[str, StoryRecord] = {}
        for chunk, marks in _chunks(story_ids):
            for story_id, status, first, last in self.rows(
                f"SELECT id, status, first_published, last_published FROM stories WHERE id IN ({marks})", chunk
            ):
                records[story_id] = StoryRecord(story_id, status, [], first, last)
            for story_id, conflicts in self.rows(
                f"SELECT story_id, conflicts FROM comparisons WHERE story_id IN ({marks})", chunk
            ):
                records[story_id].conflicts = conflicts
            for story_id, weak in self.rows(
                f"SELECT story_id, COUNT(*) FROM memberships WHERE story_id IN ({marks}) AND probability < ? "
                "AND article_id NOT IN (SELECT article_id FROM editor_moves) GROUP BY story_id",
                [*chunk, WEAK_MEMBERSHIP],
            ):
                records[story_id].weakly_filed = weak
            languages: dict[str, set[str]] = {}
            outlets: dict[str, set[str]] = {}
            for story_id, article_id, title, outlet, language, copy_of, opening in self.rows(
                f"SELECT story_id, id, title, outlet, language, republished_of, "
                f"CASE WHEN title IS NULL OR title = '' THEN substr(text, 1, {OPENING_CHARS}) ELSE '' END "
                f"FROM articles WHERE story_id IN ({marks}) ORDER BY seq",
                chunk,
            ):
                record = records[story_id]
                record.articles.append(article_id)
                if title:
                    record.titles.append(title)
                elif not record.opening and opening:
                    record.opening = _opening_words(opening)
                if outlet:
                    outlets.setdefault(story_id, set()).add(outlet)
                if language:
                    languages.setdefault(story_id, set()).add(language)
                if copy_of:
                    record.republished[article_id] = copy_of
            for story_id, record in records.items():
                record.languages = sorted(languages.get(story_id, ()))
                record.outlets = sorted(outlets.get(story_id, ()))
            for story_id, alikes in self.look_alikes([i for i in chunk if i in records]).items():
                records[story_id].look_alikes = alikes
        return [records[i] for i in story_ids if i in records and records[i].articles]

    # -- caches -----------------------------------------------------------------------------------------------
    def cached_annotations(self, ids: Sequence[str], pipeline: str) -> dict[str, str]:
        """Stored annotation JSON of ``ids`` made by ``pipeline`` (a version string)."""
        found: dict[str, str] = {}
        for chunk, marks in _chunks(ids):
            query = f"SELECT article_id, data FROM annotations WHERE pipeline = ? AND article_id IN ({marks})"
            found.update(dict(self.rows(query, [pipeline, *chunk])))
        return found

    def put_annotations(self, items: Sequence[tuple[str, str]], pipeline: str) -> None:
        """Cache annotation JSON per article."""
        with self.transaction():
            self.executemany(
                "INSERT INTO annotations (article_id, pipeline, data) VALUES (?, ?, ?) "
                "ON CONFLICT (article_id) DO UPDATE SET pipeline = excluded.pipeline, data = excluded.data",
                [(article_id, pipeline, data) for article_id, data in items],
            )

    def cached_comparison(self, story_id: str, members: Sequence[str], pipeline: str) -> str | None:
        """The cached comparison JSON of a story, if made for exactly these members by ``pipeline``."""
        row = self.execute("SELECT members, pipeline, data FROM comparisons WHERE story_id = ?", (story_id,)).fetchone()
        if row is None or row[0] != " ".join(members) or row[1] != pipeline:
            return None
        return str(row[2])

    def current_comparisons(self, pipeline: str, conflicts_only: bool = False) -> Iterator[tuple[StoryRecord, str]]:
        """``(story, comparison JSON)`` of every story whose cached comparison is current: made by ``pipeline`` for
        its articles as they stand (a story changed since, or compared by another version, is left out); with
        ``conflicts_only``, of the stories whose comparison found conflicts."""
        last = ""
        having = " AND conflicts > 0" if conflicts_only else ""
        while True:
            rows = self.rows(
                f"SELECT story_id, members, data FROM comparisons WHERE pipeline = ? AND story_id > ?{having} "
                "ORDER BY story_id LIMIT 200",
                (pipeline, last),
            )
            if not rows:
                return
            records = {record.id: record for record in self.story_records([row[0] for row in rows])}
            for story_id, members, data in rows:
                record = records.get(story_id)
                if record is not None and " ".join(record.articles) == members:
                    yield record, str(data)
            last = rows[-1][0]

    def put_comparison(self, story_id: str, members: Sequence[str], pipeline: str, data: str, conflicts: int) -> None:
        """Cache a story's comparison JSON."""
        with self.transaction():
            self.execute(
                "INSERT INTO comparisons (story_id, members, pipeline, data, conflicts, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (story_id) DO UPDATE SET members = excluded.members, pipeline = excluded.pipeline, "
                "data = excluded.data, conflicts = excluded.conflicts, created_at = excluded.created_at",
                (story_id, " ".join(members), pipeline, data, conflicts, now()),
            )

    # -- fetch log --------------------------------------------------------------------------------------------
    def fetch_validators(self, url: str) -> tuple[str | None, str | None]:
        """``(ETag, Last-Modified)`` of the last successful fetch of ``url``."""
        row = self.execute("SELECT etag, last_modified FROM fetch_log WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def log_fetch(
        self, url: str, status: int | None, etag: str | None, last_modified: str | None, error: str | None
    ) -> None:
        """Record a fetch (validators are kept from the last success when this one failed)."""
        with self.transaction():
            old_etag, old_modified = self.fetch_validators(url)
            if error is not None or status == 304:
                etag, last_modified = etag or old_etag, last_modified or old_modified
            self.execute(
                "INSERT INTO fetch_log (url, etag, last_modified, status, error, fetched_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "status = excluded.status, error = excluded.error, fetched_at = excluded.fetched_at",
                (url, etag, last_modified, status, error, now()),
            )

    # -- export -----------------------------------------------------------------------------------------------
    def export_rows(self) -> Iterator[dict[str, Any]]:
        """One plain dict per article (with its current story), in arrival order."""
        last = 0
        while True:
            rows = self.rows(
                "SELECT a.seq, a.id, a.url, a.title, a.outlet, a.published, a.language, a.source, a.text, "
                "a.story_id, m.probability, (SELECT MAX(e.moved_at) FROM editor_moves e WHERE e.article_id = a.id), "
                "a.republished_of, a.ingested_at FROM articles a "
                "LEFT JOIN memberships m ON m.article_id = a.id AND m.story_id = a.story_id "
                "WHERE a.seq > ? ORDER BY a.seq LIMIT 1000",
                (last,),
            )
            if not rows:
                return
            for row in rows:
                yield dict(zip(EXPORT_COLUMNS, row[1:], strict=True))
            last = rows[-1][0]

    def dataframe(self) -> Any:
        """Every article with its story as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise StoreError("pandas is not installed: pip install 'consilience[export]'") from None
        frame = pd.DataFrame(list(self.export_rows()))
        if not frame.empty:
            frame["published"] = pd.to_datetime(frame["published"], utc=True, errors="coerce", format="ISO8601")
        return frame


# `membership`: the stored probability that the article reports its story's event (docs/clustering.md, "Why an
# article is in its story"), null for a story of one; `placed_by_editor`: when `consilience move` put it there
EXPORT_COLUMNS = ("id", "url", "title", "outlet", "published", "language", "source", "text", "story", "membership",
                  "placed_by_editor", "republished_of", "ingested_at")  # fmt: skip


IN_CHUNK = 500  # ids per `IN (...)` list: well under SQLite's and PostgreSQL's limits on parameters


def _chunks(ids: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``ids`` in slices of :data:`IN_CHUNK`, each with its ``?, ?, ...`` placeholders."""
    for begin in range(0, len(ids), IN_CHUNK):
        chunk = list(ids[begin : begin + IN_CHUNK])
        yield chunk, ", ".join("?" for _ in chunk)


def now() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def iso(moment: dt.datetime | None) -> str | None:
    """A publication time as stored: ISO 8601 in UTC (naive times read as UTC), so text order is time order."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def _end_of(day_or_time: str) -> str:
    """An ``--until`` bound: a bare date includes that whole day."""
    return day_or_time + "T23:59:59.999999+00:00" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day_or_time) else day_or_time


def _article(row: Sequence[Any]) -> Article:
    article_id, url, title, outlet, published, language, source, text, raw_text, _story, _copy = row
    return Article(
        id=article_id,
        text=text,
        title=title,
        outlet=outlet,
        published=dt.datetime.fromisoformat(published) if published else None,
        url=url,
        language=language,
        source=source,
        raw_text=raw_text,
    )


def cleaning_json(article: Article) -> str:
    """The cleaner's edits as stored."""
    return json.dumps(to_plain(article.cleaning), ensure_ascii=False)
