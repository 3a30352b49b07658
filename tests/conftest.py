"""Shared fixtures: paths to ../shared (skipped with a clear message when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "examples" / "seeds"
DATASETS = SHARED / "datasets"
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    paths = sorted(SEEDS.glob("*.txt"))
    if len(paths) < 2:
        pytest.skip(f"seed articles not found in {SEEDS} (they live in ../shared, outside the repository)")
    return paths


@pytest.fixture(scope="session")
def ecbplus_dev() -> Path:
    path = DATASETS / "ecbplus-dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found (datasets live in ../shared, outside the repository)")
    return path


POSTGRES_VARIABLE = "CONSILIENCE_TEST_POSTGRES"


def _fresh_postgres_database(base_url: str) -> str:
    """A new empty database on the test server; returns its URL."""
    import uuid

    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return base_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh store lives: a SQLite file, or a new database on the PostgreSQL test server."""
    import os

    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    base = os.environ.get(POSTGRES_VARIABLE)
    if not base:
        pytest.skip(f"PostgreSQL tests need a server: set {POSTGRES_VARIABLE} (.ci/run starts one with .ci/postgres)")
    return _fresh_postgres_database(base)


@pytest.fixture(scope="session")
def hashing_embedder():  # type: ignore[no-untyped-def]
    """A fast, deterministic embedder for store tests that are not about clustering quality."""
    from consilience.embed import HashingEmbedder

    return HashingEmbedder(384)
