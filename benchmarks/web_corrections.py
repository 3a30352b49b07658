"""How long an editor waits for a correction made on the web pages, on a copy of a store.

    python benchmarks/web_corrections.py STORE.db

Copies the SQLite store (the given one is never written), builds the web app
over the copy in this process (FastAPI TestClient: no network, no server
start-up in the numbers), opens the first story of 10 or more articles, and
times what its forms do: move its last article to a new story (``POST /move``),
the page the browser lands on, the undo (moved back), and a merge of two
3-article stories (``POST /merge``). Prints one row per step and the peak RSS.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", help="a SQLite store made by `consilience ingest`")
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from consilience.web import create_app

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.db"
        shutil.copyfile(args.store, copy)
        web = TestClient(create_app(str(copy)), raise_server_exceptions=False)
        stories = web.get("/api/stories", params={"limit": 1000}).json()["stories"]
        big = next((s for s in stories if s["size"] >= 10), None)
        small = [s for s in stories if s["size"] == 3][:2]
        if big is None or len(small) < 2:
            print(f"{args.store}: needs a story of 10 or more articles and two of 3", file=sys.stderr)
            return 2
        rows: list[tuple[str, float, int]] = []

        def timed(step: str, call: Callable[[], Any]) -> Any:
            start = time.perf_counter()
            response = call()
            rows.append((step, time.perf_counter() - start, response.status_code))
            return response

        page = timed(f"story page, first view ({big['size']} articles)", lambda: web.get(f"/stories/{big['id']}"))
        found = re.search(r'name="key" value="([^"]+)"', page.text)
        assert found, "no correction form on the story page"
        key, article = found.group(1), big["articles"][-1]
        moved = timed("move an article to a new story", lambda: web.post(
            "/move", data={"key": key, "article": article, "new": "1"}, follow_redirects=False))  # fmt: skip
        timed("the page it lands on (1 article)", lambda: web.get(moved.headers["location"]))
        timed("undo: move it back", lambda: web.post(
            "/move", data={"key": key, "article": article, "to": big["id"]}, follow_redirects=False))  # fmt: skip
        timed("merge two 3-article stories", lambda: web.post(
            "/merge", data={"key": key, "story": small[0]["id"], "into": small[1]["id"]}, follow_redirects=False))  # fmt: skip
    print(f"{'step':<45} {'seconds':>8} {'status':>7}")
    for step, seconds, status in rows:
        print(f"{step:<45} {seconds:>8.2f} {status:>7}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
