"""Storage: one :class:`Store` interface, two backends (SQLite by default, PostgreSQL for teams).

- :mod:`~consilience.store.schema`: versioned migrations.
- :mod:`~consilience.store.base`: the interface and everything both backends share.
- :mod:`~consilience.store.sqlite`, :mod:`~consilience.store.postgres`: the backends.
- :mod:`~consilience.store.codec`: how clustering signals are stored.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import Doubt, SearchHit, Store, StoreError, StoryFilter, StoryRecord
from .schema import SCHEMA_VERSION

ENVIRONMENT_VARIABLE = "CONSILIENCE_DB"


def default_location() -> str:
    """``$CONSILIENCE_DB``, else ``consilience.db`` in the user's data directory."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        return configured
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("consilience", appauthor=False)) / "consilience.db")


def open_store(location: str | os.PathLike[str] | None = None, create: bool = True) -> Store:
    """Open (and create or migrate) the store at a SQLite path or a ``postgresql://`` URL.

    ``create=False`` refuses to make a new store (for commands that only read).
    """
    where = str(location) if location is not None else default_location()
    store: Store
    if where.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        store = PostgresStore(where)
    else:
        from .sqlite import SQLiteStore

        if not create and where != ":memory:" and not Path(where).exists():
            raise StoreError(f"{where}: no store here (run `consilience ingest ... --db {where}` first)")
        store = SQLiteStore(where)
    try:
        store.prepare(create=create)
    except BaseException:
        store.close()
        raise
    return store


__all__ = [
    "SCHEMA_VERSION",
    "Doubt",
    "SearchHit",
    "Store",
    "StoreError",
    "StoryFilter",
    "StoryRecord",
    "default_location",
    "open_store",
]
