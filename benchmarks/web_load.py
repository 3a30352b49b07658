"""A bounded load test of the web app on loopback: concurrent requests to story pages for N seconds.

    python benchmarks/web_load.py --seconds 30 --clients 8

Builds a store from the bundled examples, starts ``consilience serve`` in its
own process, opens every story once (the first view annotates and caches),
then has ``--clients`` threads fetch story pages and the story list for
``--seconds``; prints requests/s, latency percentiles and the error count.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp(prefix="consilience-load-")) / "web.db"
    cli = [sys.executable, "-m", "consilience.cli"]
    subprocess.run([*cli, "ingest", *map(str, sorted((REPO / "examples").glob("*.jsonl"))), "--db", str(db)],
                   check=True, capture_output=True)  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*cli, "serve", "--db", str(db), "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/api/health", timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        stories = [s["id"] for s in httpx.get(base + "/api/stories").json()["stories"]]
        paths = ["/"] + [f"/stories/{s}" for s in stories]
        for path in paths:  # first views annotate and cache
            httpx.get(base + path, timeout=300.0).raise_for_status()
        latencies: list[float] = []
        errors = 0
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(offset: int) -> None:
            nonlocal errors
            with httpx.Client(base_url=base, timeout=30.0) as session:
                for path in itertools.islice(itertools.cycle(paths), offset, None):
                    if time.monotonic() >= stop:
                        return
                    started = time.perf_counter()
                    try:
                        ok = session.get(path).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    with lock:
                        latencies.append(time.perf_counter() - started)
                        errors += not ok

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        cuts = statistics.quantiles(latencies, n=100)
        print("| seconds | clients | requests | requests/s | p50 ms | p95 ms | p99 ms | errors |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| {elapsed:.0f} | {args.clients} | {len(latencies):,} | {len(latencies) / elapsed:.0f} | "
              f"{cuts[49] * 1000:.0f} | {cuts[94] * 1000:.0f} | {cuts[98] * 1000:.0f} | {errors} |")  # fmt: skip
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
