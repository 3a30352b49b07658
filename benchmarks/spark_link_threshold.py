"""The Spark job on replicated input at several link thresholds: largest component and BCubed against the gold.

    python benchmarks/spark_job.py throughput --articles 20000 --cores 2 --keep /tmp/sp_tp20   # makes the input
    python benchmarks/spark_link_threshold.py /tmp/sp_tp20/input 0.1 0.3

Runs the job (local[2], static vectors, no facts) with ``spark_link_probability``
set to each value and prints one JSON line per run: largest component, links,
stories, seconds per stage and BCubed P / R / F1 against the replicated gold.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

from spark_job import gold_scores

from consilience.settings import DEFAULT_SETTINGS
from consilience.spark import JobConfig, run_job, spark_session


def main() -> int:
    """Command line; see the module docstring."""
    inputs = Path(sys.argv[1])
    spark = spark_session("local[2]", driver_memory="3g")
    for link in [float(x) for x in sys.argv[2:]]:
        output = Path(tempfile.mkdtemp(prefix=f"consilience-link-{link}-"))
        settings = dataclasses.replace(DEFAULT_SETTINGS, cluster_embedder="minilm-static", spark_link_probability=link)
        report = run_job(spark, JobConfig(inputs=[str(inputs)], output=str(output), facts="none", settings=settings))
        data = report.to_dict()
        row = {"link": link, "largest": data["largest_component"], "links": data["links"], "stories": data["stories"],
               "seconds": data["seconds"], "gold": gold_scores(inputs, output)}  # fmt: skip
        print(json.dumps(row), flush=True)
        shutil.rmtree(output, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
