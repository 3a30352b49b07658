"""kill -9 a real ingest at random points, several times: the store stays consistent and a re-run finishes the job."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consilience.store import open_store

from .conftest import DATASETS

ARTICLES = 600
KILLS = 3


def check_consistent(location: str) -> int:
    """Assert the invariants a committed batch leaves behind; returns the number of stored articles."""
    with open_store(location, create=False) as store:
        if store.dialect == "sqlite":
            assert store.value("PRAGMA integrity_check") == "ok"
        articles = store.count_articles()
        assert store.value("SELECT COUNT(*) FROM signals") == articles
        assert store.value("SELECT COUNT(*) FROM articles WHERE story_id IS NULL") == 0
        orphans = store.value(
            "SELECT COUNT(*) FROM articles a LEFT JOIN stories s ON s.id = a.story_id "
            "WHERE s.id IS NULL OR s.status = 'merged'"
        )
        assert orphans == 0, "every article points to a live story"
        wrong_sizes = store.rows(
            "SELECT s.id, s.size, COUNT(a.id) FROM stories s LEFT JOIN articles a ON a.story_id = s.id "
            "WHERE s.status != 'merged' GROUP BY s.id, s.size HAVING s.size != COUNT(a.id)"
        )
        assert wrong_sizes == []
        counters = store.get_state("counters")
        if articles:
            assert counters is not None
            assert json.loads(counters)["position"] == articles, "the clusterer's state was saved with its articles"
        return articles


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = DATASETS / "allsides-dev.jsonl"
    if not source.exists():
        pytest.skip(f"{source} not found (datasets live in ../shared, outside the repository)")
    lines = source.read_text(encoding="utf-8").splitlines()[:ARTICLES]
    path = tmp_path_factory.mktemp("durability") / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_kill_nine_during_ingest_loses_nothing_committed(store_location: str, dump: Path) -> None:
    records = [json.loads(line) for line in dump.read_text().splitlines()]
    expected = len({(r.get("title"), r["text"]) for r in records})  # the cleaned text opens with the title
    command = [sys.executable, "-m", "consilience.cli", "ingest", str(dump), "--db", store_location]
    rng = random.Random(7)
    stored = 0
    killed = 0
    for _ in range(KILLS):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # wait until this run has committed something new, then kill it at a random moment after that
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            try:
                now = (
                    check_consistent(store_location) if os.path.exists(store_location) or "://" in store_location else 0
                )
            except Exception:
                now = stored  # the schema may not exist yet in the very first second
            if now > stored:
                break
        time.sleep(rng.uniform(0.0, 1.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        killed += process.wait() == -signal.SIGKILL
        after = check_consistent(store_location)
        assert after >= stored, "nothing committed is ever lost"
        stored = after
        # a reader can always open the store after a crash
        with open_store(store_location, create=False) as store:
            assert len(store.stories()) > 0
    assert killed >= 2 and stored < expected, "the ingest was really interrupted part-way"
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert check_consistent(store_location) == expected
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert "added 0" in again.stdout and check_consistent(store_location) == expected
