"""PostgreSQL backend (psycopg 3): a store a team shares, full-text search over a ``tsvector`` column."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from .base import SearchHit, Store, StoreError
from .schema import Dialect

_WRITER_LOCK = 0x636F6E73  # pg_advisory_lock key: one ingest at a time per database


class PostgresStore(Store):
    """A store in a PostgreSQL database, opened from a ``postgresql://`` URL."""

    dialect: Dialect = "postgresql"

    def __init__(self, url: str, connect_timeout: int = 10) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError("PostgreSQL needs psycopg: pip install 'consilience[postgres]'") from None
        shown = redact(url)
        try:
            connection = psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout)
        except psycopg.Error as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise StoreError(f"{shown}: cannot connect to PostgreSQL: {reason}") from None
        super().__init__(connection, shown)

    def _tables(self) -> set[str]:
        return {r[0] for r in self.rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}

    @contextmanager
    def writer(self) -> Iterator[None]:
        """A session advisory lock: a second ingest into the same database is refused."""
        if not self.value("SELECT pg_try_advisory_lock(?)", (_WRITER_LOCK,)):
            raise StoreError(f"{self.location}: another process is ingesting into this store; try again when it ends")
        try:
            yield
        finally:
            self.execute("SELECT pg_advisory_unlock(?)", (_WRITER_LOCK,))

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Articles holding every word of ``query`` (tsvector, ranked by ts_rank)."""
        if not query.split():
            return []
        rows = self.rows(
            "SELECT a.id, a.story_id, a.title, a.outlet, a.published, "
            "ts_headline('simple', a.text, q, 'StartSel=[, StopSel=], MaxWords=16, MinWords=8'), ts_rank(a.search, q) "
            "FROM articles a, plainto_tsquery('simple', ?) q WHERE a.search @@ q "
            f"ORDER BY ts_rank(a.search, q) DESC, a.seq LIMIT {int(limit)}",
            (query,),
        )
        return [SearchHit(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6])) for r in rows]

    def _entity_clause(self) -> str:
        return "a.search @@ phraseto_tsquery('simple', ?)"


def redact(url: str) -> str:
    """A database URL with its password hidden, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)
