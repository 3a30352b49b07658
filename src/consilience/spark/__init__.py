"""Spark engine: the same stories and facts for archives too large for one machine.

- :mod:`~consilience.spark.job`: the driver (``consilience spark run``, or ``spark-submit``
  with :mod:`~consilience.spark.submit`): stages, blocking, connected components, outputs.
- :mod:`~consilience.spark.tasks`: what executors run, the local engine's stage functions
  over pandas batches (no second implementation of cleaning, scoring or comparison).
- :mod:`~consilience.spark.load`: a run's Parquet outputs into a store, for the web app.

Needs the ``spark`` extra (pyspark) and Java 17; see docs/spark.md.
"""

from .job import JobConfig, JobReport, SparkJobError, connected_components, run_job, spark_session
from .load import LoadReport, load_results

__all__ = [
    "JobConfig",
    "JobReport",
    "LoadReport",
    "SparkJobError",
    "connected_components",
    "load_results",
    "run_job",
    "spark_session",
]
