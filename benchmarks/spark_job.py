"""The Spark job against the local engine, and its throughput on this machine.

``agreement``: for each dataset file, the local engine's stories
(:func:`consilience.cluster.cluster_articles`, the clusterer of
``consilience stories``) and the Spark job's stories on the same file; prints
the pairwise F1 between the two clusterings (target >= 0.95) and each one's
BCubed F1 against the gold stories.

    python benchmarks/spark_job.py agreement ../shared/datasets/*.jsonl

``throughput``: replicates the datasets (new ids, dates shifted 90 days per
copy, beyond the reopen horizon; an undated file's stories spread over the
copy's first 30 days, one day per story) into JSONL files of ``--articles``
articles, runs ``consilience spark run`` on them with each ``--cores`` setting (local[N]) and prints the stage
times and articles/s from each run's summary.json, and each run's BCubed
against the gold stories (one per dataset story and copy), overall and per file.

    python benchmarks/spark_job.py throughput --articles 200000 --cores 1 2 --facts none --embedder minilm-static

``runs``: how far two runs' stories agree (pairwise and BCubed F1 of one
``assignments`` output against the other), e.g. before and after a change.

    python benchmarks/spark_job.py runs OUTPUT_A OUTPUT_B
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from rich.console import Console
from rich.table import Table

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
# each copy is a new season of news, beyond the clusterer's reopen horizon (cluster_reopen_days), so copies never
# reopen one another's stories; an undated file's stories are spread over a month of each copy
COPY_SHIFT_DAYS = 90
UNDATED_SPREAD_DAYS = 30


def agreement(files: list[Path], master: str, embedder: str) -> int:
    """Local engine vs Spark job on each file."""
    import dataclasses

    import pyarrow.parquet as pq

    from consilience.cluster import cluster_articles
    from consilience.evaluate import load_labelled
    from consilience.evaluate.metrics import score_clustering
    from consilience.pipeline import mark_duplicates
    from consilience.settings import DEFAULT_SETTINGS
    from consilience.spark import JobConfig, run_job, spark_session

    settings = dataclasses.replace(DEFAULT_SETTINGS, cluster_embedder=embedder)
    spark = spark_session(master)
    table = Table(title=f"Spark job vs local engine ({master}, embedder {embedder})")
    # pairwise F1 weighs a story by its pairs, so one look-alike blob cut differently moves it a lot; BCubed
    # weighs every article alike
    for column in ("file", "articles", "pairwise F1 spark vs local", "BCubed F1 spark vs local", "BCubed F1 local",
                   "BCubed F1 spark", "candidates", "links", "largest component", "local s", "spark s"):  # fmt: skip
        table.add_column(column, justify="right")
    for path in files:
        data = load_labelled(path)
        articles = [a for a in data.articles if a.text.strip()]
        mark_duplicates(articles, [])
        started = time.perf_counter()
        local = {a: s.id for s in cluster_articles(articles, settings) for a in s.articles}
        local_seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as output:
            started = time.perf_counter()
            run_job(spark, JobConfig(inputs=[str(path)], output=output, facts="none", settings=settings))
            spark_seconds = time.perf_counter() - started
            rows = pq.read_table(Path(output) / "assignments").to_pylist()
            summary = json.loads((Path(output) / "summary.json").read_text())
        distributed = {row["article_id"]: row["story_id"] for row in rows}
        together = score_clustering(local, distributed)
        gold = {a: data.gold[a] for a in local}
        row = (
            path.name,
            f"{len(local):,}",
            f"{together.pairwise_f1:.3f}",
            f"{together.bcubed_f1:.3f}",
            f"{score_clustering(gold, local).bcubed_f1:.3f}",
            f"{score_clustering(gold, distributed).bcubed_f1:.3f}",
            f"{summary['candidate_pairs']:,}",
            f"{summary['links']:,}",
            f"{summary['largest_component']:,}",
            f"{local_seconds:.0f}",
            f"{spark_seconds:.0f}",
        )
        print("  ".join(row), file=sys.stderr, flush=True)
        table.add_row(*row)
    Console(width=160).print(table)
    return 0


def replicate(articles: int, folder: Path, per_file: int = 20_000) -> int:
    """Write ``articles`` replicated dataset records as JSONL files in ``folder``; returns how many."""
    files = sorted(f for f in DATASETS.glob("*.jsonl") if "summaries" not in f.name)
    base = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    written = 0
    handle = None
    for copy in itertools.count():
        for record in base:
            if written >= articles:
                break
            if written % per_file == 0:
                if handle:
                    handle.close()
                handle = (folder / f"part-{written // per_file:04d}.jsonl").open("w", encoding="utf-8")
            published = record.get("published")
            # an undated file's events are spread over a month of the copy (all reports of one story on one day):
            # piling thousands of unrelated articles onto one day would make every pair look same-day
            day = zlib.crc32(str(record.get("story", record["id"])).encode()) % UNDATED_SPREAD_DAYS
            moment = dt.datetime.fromisoformat(published) if published else start + dt.timedelta(days=day)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            copied = dict(record, id=f"{record['id']}#{copy}",
                          published=(moment + dt.timedelta(days=COPY_SHIFT_DAYS * copy)).isoformat())  # fmt: skip
            assert handle is not None
            handle.write(json.dumps(copied, ensure_ascii=False) + "\n")
            written += 1
        if written >= articles:
            break
    if handle:
        handle.close()
    return written


def throughput(articles: int, cores: list[int], facts: str, embedder: str, keep: Path | None) -> int:
    """Run the job on replicated input with each core count; print the stage table."""
    folder = keep or Path(tempfile.mkdtemp(prefix="consilience-spark-"))
    inputs = folder / "input"
    if not inputs.exists():
        inputs.mkdir(parents=True)
        print(f"replicating the datasets to {articles:,} articles in {inputs}", file=sys.stderr)
        replicate(articles, inputs)
    table = Table(title=f"consilience spark run: {articles:,} replicated articles, facts {facts}, embedder {embedder}")
    summaries = []
    for count in cores:
        output = folder / f"output-{count}"
        command = [sys.executable, "-m", "consilience", "spark", "run", "--input", str(inputs), "--output",
                   str(output), "--master", f"local[{count}]", "--facts", facts, "--embedder", embedder,
                   "--driver-memory", "3g", "--json"]  # fmt: skip
        print(" ".join(command), file=sys.stderr, flush=True)
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            return result.returncode
        summary = json.loads(result.stdout)
        summary["wall"] = wall
        summary["gold"] = gold_scores(inputs, output)
        summaries.append((count, summary))
    stages = list(summaries[0][1]["seconds"])
    table.add_column("stage")
    for count, _ in summaries:
        table.add_column(f"local[{count}] s", justify="right")
    for stage in stages:
        table.add_row(stage, *(f"{s['seconds'].get(stage, 0):.1f}" for _, s in summaries))
    table.add_row("total (job)", *(f"{s['seconds_total']:.1f}" for _, s in summaries))
    table.add_row("wall (with JVM start)", *(f"{s['wall']:.1f}" for _, s in summaries))
    table.add_row("articles/s (job)", *(f"{s['articles_per_second']:.1f}" for _, s in summaries))
    for key in ("articles", "candidate_pairs", "links", "largest_component", "stories", "facts"):
        table.add_row(key, *(f"{s[key]:,}" for _, s in summaries))
    for name in sorted(summaries[0][1]["gold"]):
        table.add_row(f"BCubed P / R / F1, {name}", *(s["gold"][name] for _, s in summaries))
    Console(width=160).print(table)
    return 0


def gold_scores(inputs: Path, output: Path) -> dict[str, str]:
    """BCubed of the job's stories against the replicated gold stories (a story per dataset story and copy)."""
    import pyarrow.parquet as pq

    from consilience.evaluate.metrics import score_clustering

    gold: dict[str, str] = {}
    source: dict[str, str] = {}
    names = {
        json.loads(line)["id"]: f.stem
        for f in DATASETS.glob("*.jsonl")
        if "summaries" not in f.name
        for line in f.open(encoding="utf-8")
        if line.strip()
    }
    for part in sorted(inputs.glob("*.jsonl")):
        for line in part.open(encoding="utf-8"):
            record = json.loads(line)
            original, copy = record["id"].rsplit("#", 1)
            gold[record["id"]] = f"{record['story']}#{copy}"
            source[record["id"]] = names.get(original, "?")
    predicted = {row["article_id"]: row["story_id"] for row in pq.read_table(output / "assignments").to_pylist()}
    scores: dict[str, str] = {}
    for name in ["all", *sorted(set(source.values()))]:
        ids = [i for i in gold if name == "all" or source[i] == name]
        result = score_clustering({i: gold[i] for i in ids}, {i: predicted[i] for i in ids if i in predicted})
        scores[name] = f"{result.bcubed_precision:.3f} / {result.bcubed_recall:.3f} / {result.bcubed_f1:.3f}"
    return scores


def runs(first: Path, second: Path) -> int:
    """Print the agreement between two runs' ``assignments`` (article -> story)."""
    import pyarrow.parquet as pq

    from consilience.evaluate.metrics import score_clustering

    stories = [
        {row["article_id"]: row["story_id"] for row in pq.read_table(output / "assignments").to_pylist()}
        for output in (first, second)
    ]
    result = score_clustering(*stories)
    print(f"{len(stories[0]):,} / {len(stories[1]):,} articles, {len(set(stories[0].values())):,} / "
          f"{len(set(stories[1].values())):,} stories; pairwise F1 {result.pairwise_f1:.3f} "
          f"(P {result.pairwise_precision:.3f}, R {result.pairwise_recall:.3f}), BCubed F1 {result.bcubed_f1:.3f}")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    agree = commands.add_parser("agreement")
    agree.add_argument("files", nargs="+", type=Path)
    agree.add_argument("--master", default="local[2]")
    agree.add_argument("--embedder", default="auto")
    speed = commands.add_parser("throughput")
    speed.add_argument("--articles", type=int, default=200_000)
    speed.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    speed.add_argument("--facts", choices=("all", "multi", "none"), default="none")
    speed.add_argument("--embedder", default="minilm-static")
    speed.add_argument("--keep", type=Path, help="folder for the replicated input and outputs (reused when present)")
    between = commands.add_parser("runs")
    between.add_argument("outputs", nargs=2, type=Path, help="two --output folders of finished runs")
    args = parser.parse_args()
    if args.command == "runs":
        return runs(*args.outputs)
    if args.command == "agreement":
        files = [f for f in args.files if "summaries" not in f.name]
        return agreement(files, args.master, args.embedder)
    return throughput(args.articles, args.cores, args.facts, args.embedder, args.keep)


if __name__ == "__main__":
    raise SystemExit(main())
