"""SQLite backend: one file, WAL mode (readers never wait for the writer), FTS5 full-text search."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .base import SearchHit, Store, StoreError
from .schema import Dialect


class SQLiteStore(Store):
    """A store in one SQLite file (``:memory:`` for a throwaway one)."""

    dialect: Dialect = "sqlite"
    begin_statement = "BEGIN IMMEDIATE"  # take the write lock at once, not at the first write

    def __init__(self, path: str | os.PathLike[str]) -> None:
        location = str(path)
        if location != ":memory:":
            file = Path(location)
            if file.is_dir():
                raise StoreError(f"{location}: is a folder, not a store file")
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"{location}: cannot create its folder: {error.strerror}") from None
        try:
            connection = sqlite3.connect(location, isolation_level=None, timeout=30.0, check_same_thread=False)
            connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{location}: not a consilience store ({error})") from None
        # WAL + NORMAL: a committed transaction survives a killed process (not a power cut mid-checkpoint).
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        super().__init__(connection, location)

    def _tables(self) -> set[str]:
        try:
            return {r[0] for r in self.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.location}: not a consilience store ({error})") from None

    @contextmanager
    def writer(self) -> Iterator[None]:
        """An exclusive lock file beside the store, held while one process ingests."""
        if self.location == ":memory:":
            yield
            return
        lock = open(self.location + ".lock", "wb")  # noqa: SIM115 -- held for the whole block
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"{self.location}: another process is ingesting into this store; try again when it ends"
                ) from None
            yield
        finally:
            lock.close()

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Articles holding every word of ``query`` (FTS5, ranked by BM25)."""
        match = _fts_query(query)
        if not match:
            return []
        rows = self.rows(
            "SELECT a.id, a.story_id, a.title, a.outlet, a.published, "
            "snippet(articles_fts, 1, '[', ']', '…', 16), bm25(articles_fts) "
            "FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? ORDER BY bm25(articles_fts) LIMIT {int(limit)}",
            (match,),
        )
        return [SearchHit(r[0], r[1], r[2], r[3], r[4], r[5], -float(r[6])) for r in rows]

    def _entity_clause(self) -> str:
        return "a.seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"

    def _entity_parameter(self, phrase: str) -> str:
        return _fts_query(phrase, phrase=True)


def _fts_query(text: str, phrase: bool = False) -> str:
    """User words as an FTS5 query: each word quoted (no operators), all required, or one phrase."""
    words = [w.replace('"', '""') for w in text.split() if w.strip('"')]
    if not words:
        return ""
    return '"' + " ".join(words) + '"' if phrase else " ".join(f'"{w}"' for w in words)
