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
