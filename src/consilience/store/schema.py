"""The store's schema, as numbered migrations applied in order (versioned SQL).

A store records its version in ``meta``; opening an older store applies the
missing migrations in one transaction, so a store made by an older
consilience opens in a newer one. The same tables exist in both backends;
only column types and full-text search differ, and those differences are
written out here, per dialect, next to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]
APPLICATION = "consilience"

_TYPES: dict[Dialect, dict[str, str]] = {
    "sqlite": {"BLOB": "BLOB", "SEQ": "INTEGER PRIMARY KEY AUTOINCREMENT", "REAL": "REAL", "BIGINT": "INTEGER"},
    "postgresql": {"BLOB": "BYTEA", "SEQ": "BIGSERIAL PRIMARY KEY", "REAL": "DOUBLE PRECISION", "BIGINT": "BIGINT"},
}


@dataclass(frozen=True)
class Migration:
    """One schema step: SQL statements common to both backends, then each backend's own."""

    version: int
    description: str
    common: tuple[str, ...]
    sqlite: tuple[str, ...] = ()
    postgresql: tuple[str, ...] = ()

    def statements(self, dialect: Dialect) -> list[str]:
        """The statements to run on ``dialect``, column types filled in."""
        types = _TYPES[dialect]
        own = self.sqlite if dialect == "sqlite" else self.postgresql
        return [statement.format(**types) for statement in (*self.common, *own)]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles, their clustering signals, stories, the clusterer's state, full-text search",
        common=(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """CREATE TABLE articles (
                seq {SEQ},
                id TEXT NOT NULL UNIQUE,
                url TEXT,
                canonical_url TEXT UNIQUE,
                content_hash TEXT NOT NULL UNIQUE,
                title TEXT,
                outlet TEXT,
                published TEXT,
                language TEXT,
                source TEXT,
                text TEXT NOT NULL,
                raw_text TEXT,
                cleaning TEXT,
                story_id TEXT,
                join_probability {REAL},
                republished_of TEXT,
                ingested_at TEXT NOT NULL
            )""",
            "CREATE INDEX articles_story ON articles (story_id)",
            "CREATE INDEX articles_published ON articles (published)",
            "CREATE INDEX articles_outlet ON articles (outlet)",
            """CREATE TABLE signals (
                article_id TEXT PRIMARY KEY REFERENCES articles (id),
                language TEXT NOT NULL,
                time {REAL},
                outlet TEXT,
                lead TEXT NOT NULL,
                words INTEGER NOT NULL,
                dense {BLOB} NOT NULL,
                multilingual {BLOB},
                term_keys {BLOB} NOT NULL,
                term_weights {BLOB} NOT NULL,
                names {BLOB} NOT NULL,
                numbers TEXT NOT NULL,
                minhash {BLOB}
            )""",
            """CREATE TABLE stories (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL CHECK (status IN ('active', 'retired', 'merged')),
                merged_into TEXT,
                size INTEGER NOT NULL,
                first_published TEXT,
                last_published TEXT,
                first_time {REAL},
                last_time {REAL},
                last_seen {BIGINT} NOT NULL,
                version {BIGINT} NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            "CREATE INDEX stories_status ON stories (status, last_time)",
            "CREATE TABLE clusterer_state (key TEXT PRIMARY KEY, value {BLOB} NOT NULL)",
        ),
        sqlite=(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='seq')",
            """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
                INSERT INTO articles_fts (rowid, title, text) VALUES (new.seq, new.title, new.text);
            END""",
            """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
                INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.seq, old.title, old.text);
            END""",
        ),
        postgresql=(
            """ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS
                (to_tsvector('simple', coalesce(title, '') || ' ' || text)) STORED""",
            "CREATE INDEX articles_search ON articles USING GIN (search)",
        ),
    ),
    Migration(
        2,
        "cached annotations and comparisons, and the fetch log of watched feeds (conditional GET)",
        common=(
            """CREATE TABLE annotations (
                article_id TEXT PRIMARY KEY REFERENCES articles (id),
                pipeline TEXT NOT NULL,
                data TEXT NOT NULL
            )""",
            """CREATE TABLE comparisons (
                story_id TEXT PRIMARY KEY,
                members TEXT NOT NULL,
                pipeline TEXT NOT NULL,
                data TEXT NOT NULL,
                conflicts INTEGER NOT NULL,
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE fetch_log (
                url TEXT PRIMARY KEY,
                etag TEXT,
                last_modified TEXT,
                status INTEGER,
                error TEXT,
                fetched_at TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        3,
        "each story's look-alikes: the stories that read most like it, as the clusterer judged them",
        common=(
            """CREATE TABLE look_alikes (
                story_id TEXT NOT NULL,
                rank INTEGER NOT NULL,
                other_id TEXT NOT NULL,
                cosine {REAL} NOT NULL,
                probability {REAL},
                days_apart {REAL},
                PRIMARY KEY (story_id, rank)
            )""",
        ),
    ),
    Migration(
        4,
        "look-alikes found by the other story: an ingest run judges again the stories that list a story it changed",
        common=("CREATE INDEX look_alikes_other ON look_alikes (other_id)",),
    ),
    Migration(
        5,
        "each article's membership of its story: how firmly it belongs, and the signals why, as judged at ingest",
        common=(
            """CREATE TABLE memberships (
                story_id TEXT NOT NULL,
                article_id TEXT NOT NULL,
                rank INTEGER NOT NULL,
                probability {REAL} NOT NULL,
                regime TEXT NOT NULL,
                bias {REAL} NOT NULL,
                evidence TEXT NOT NULL,
                PRIMARY KEY (story_id, article_id)
            )""",
        ),
    ),
    Migration(
        6,
        "editors' moves of articles between stories (`consilience move`), which the clusterer then keeps to",
        common=(
            """CREATE TABLE editor_moves (
                seq {SEQ},
                article_id TEXT NOT NULL,
                from_story TEXT NOT NULL,
                to_story TEXT NOT NULL,
                moved_at TEXT NOT NULL
            )""",
            "CREATE INDEX editor_moves_article ON editor_moves (article_id)",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
