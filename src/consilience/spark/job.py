"""The Spark job: the local engine's stages, distributed (``consilience spark run`` or ``spark-submit``).

Stages, each written to ``OUTPUT/_work`` before the next reads it (no stage is
computed twice, and a failed run shows how far it got):

1. **records**: JSONL lines, Parquet rows (as JSON) and WARC pages (read by the
   local WARC reader on the executors); a file Spark cannot read is a reject.
2. **articles**: each record parsed, cleaned and given its clustering signals
   by the local code (:func:`tasks.prepare_articles`); bad records are rejects.
   A repeated id keeps its first record; exact copies of a text point to the
   first one (``duplicate_of``), as in the local pipeline.
3. **term statistics**: document frequencies over the whole input (the IDF
   every later stage uses), broadcast to the executors.
4. **candidate pairs**: articles sharing ``spark_min_shared_keys`` blocking keys
   (rare names, bands of the dense vector's random-hyperplane signature) or one
   MinHash band, within a time bucket; buckets above ``spark_bucket_max`` are skipped.
5. **links**: each pair scored by the local pair model; pairs above
   ``spark_link_probability``, MinHash near-copies and exact copies are links.
6. **components**: connected components of the links (label propagation with
   DataFrame joins, no GraphFrames jar needed).
7. **stories**: whole components per partition, fed in publication order to
   the local :class:`~consilience.cluster.StreamClusterer`, which makes the
   join, merge and republished decisions as it does on one machine, with the
   IDF the whole stream would have at each article (its rank in the stream)
   and consolidation passes where the whole stream has them.
   A component larger than ``spark_segment_articles`` is cut into segments of
   the stream, clustered on several workers; each segment first re-reads the
   previous one's last ``spark_segment_lead_in`` articles, and its stories are
   stitched to the stories those articles belong to.
8. **facts**: each story compared by :func:`~consilience.compare.compare_story`
   (annotation included), in ``applyInPandas`` per story.

Outputs (Parquet): ``articles``, ``assignments`` (``article_id``, ``story_id``),
``stories``, ``facts``, ``rejects``; ``summary.json`` holds the counts and timings.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ..cluster.pairs import SHIPPED, PairModel
from ..errors import ConsilienceError, InputError
from ..ingest.files import WARC_SUFFIXES
from ..settings import DEFAULT_SETTINGS, Settings
from . import tasks

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".json", ".json.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
MARKER = "summary.json"
PAIR_MODEL_FILE = "pair_model.json"  # a run with its own pair model: that model, for `consilience spark load`
STATS_FILE = "term_stats.bin"  # an output folder holding this was written by this job and may be replaced
FACT_MODES = ("all", "multi", "none")


class SparkJobError(ConsilienceError):
    """The job cannot start: no Spark, an output folder that is not ours, no input files."""

    exit_code = 3


@dataclass
class JobConfig:
    """What to read, where to write, and how."""

    inputs: list[str]
    output: str
    input_format: str = "auto"  # auto (by file name), jsonl, parquet or warc
    facts: str = "all"  # all stories, "multi" (stories of 2+ articles) or "none"
    multilingual: bool = True  # cross-lingual pairs compared with the multilingual embedder
    settings: Settings = DEFAULT_SETTINGS
    partitions: int | None = None  # default: from the number of articles


@dataclass
class JobReport:
    """What a run did: counts, seconds per stage, where the outputs are."""

    output: str
    embedder: str = ""
    pair_model: str = "shipped"  # or the file given with --pair-model (copied to PAIR_MODEL_FILE)
    files: int = 0
    records: int = 0
    articles: int = 0
    rejects: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    candidate_pairs: int = 0
    links: int = 0
    largest_component: int = 0
    segmented_components: int = 0  # components clustered in segments (larger than settings.spark_segment_articles)
    segments: int = 0
    stories: int = 0
    multi_article_stories: int = 0
    facts: int = 0
    conflicts: int = 0
    stories_not_compared: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    cores: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``summary.json``, ``consilience spark run --json``)."""
        total = sum(self.seconds.values())
        return dataclasses.asdict(self) | {
            "seconds_total": round(total, 1),
            "articles_per_second": round(self.articles / total, 1) if total else None,
        }


def spark_session(master: str | None = "local[*]", app: str = "consilience", driver_memory: str = "2g") -> SparkSession:
    """A Spark session configured for the job (Arrow batches, corrupt files skipped and then reported)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkJobError(
            "Spark is not installed: pip install 'consilience[spark]' (pyspark; Java 17 must be on the PATH)"
        ) from None
    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    if not master or master.startswith("local"):
        builder = builder.config("spark.ui.enabled", "false").config("spark.driver.memory", driver_memory)
    return (
        builder.config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
        .config("spark.sql.files.ignoreCorruptFiles", "true")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )


def run_job(spark: SparkSession, config: JobConfig, log: Callable[[str], None] = lambda message: None) -> JobReport:
    """Run every stage; see the module docstring."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    output = config.output.rstrip("/")
    settings = config.settings
    embedder = tasks.executor_embedder(settings.cluster_embedder).name
    model_json = _pair_model_json(settings.cluster_pair_model, embedder)
    _prepare_output(output)
    work = f"{output}/_work"
    report = JobReport(output=output, cores=spark.sparkContext.defaultParallelism, embedder=embedder,
                       pair_model=settings.cluster_pair_model if model_json else SHIPPED)  # fmt: skip
    if model_json:
        _write_bytes(output, PAIR_MODEL_FILE, model_json.encode())
    clock = _Clock(report, log)

    # 1-2. records -> articles (or rejects)
    with clock("read and prepare"):
        records, missing, kinds = _read_records(spark, config)
        report.files = sum(len(paths) for paths in kinds.values())
        prepared = records.mapInPandas(
            partial(tasks.prepare_articles, settings=settings, multilingual=config.multilingual),
            tasks.PREPARED_SCHEMA,
        )
        prepared.write.mode("overwrite").parquet(f"{work}/prepared")
        prepared = spark.read.parquet(f"{work}/prepared")
        first = Window.partitionBy("id").orderBy("seq")
        ranked = prepared.where(F.col("reject").isNull()).withColumn("rank", F.row_number().over(first))
        repeated = ranked.where(F.col("rank") > 1).select(
            "source", F.lit("id already used by an earlier record").alias("reason"), F.col("id").alias("record")
        )
        by_text = Window.partitionBy("content_hash").orderBy("seq")
        articles = (
            ranked.where(F.col("rank") == 1)
            .drop("rank", "reject", "record")
            .withColumn("original", F.first("id").over(by_text))
            .withColumn("duplicate_of", F.when(F.col("original") != F.col("id"), F.col("original")))
            .drop("original")
            .withColumn("n", F.col("seq"))
            .withColumn("time_order", F.coalesce(F.col("time"), F.lit(math.inf)))
        )
        articles.write.mode("overwrite").parquet(f"{work}/articles")
        articles = spark.read.parquet(f"{work}/articles")
        rejects = prepared.where(F.col("reject").isNotNull()).select(
            "source", F.col("reject").alias("reason"), "record"
        )
        rejects = rejects.unionByName(repeated).unionByName(_unreadable(spark, prepared, missing, kinds))
        rejects.write.mode("overwrite").parquet(f"{output}/rejects")
        report.articles = articles.count()
        report.rejects = spark.read.parquet(f"{output}/rejects").count()
        report.records = report.articles + report.rejects
        report.reject_reasons = {
            str(row["reason"])[:120]: int(row["count"])
            for row in spark.read.parquet(f"{output}/rejects")
            .groupBy("reason")
            .count()
            .orderBy(F.desc("count"))
            .take(20)
        }
    if report.articles == 0:
        _write_summary(output, report)
        log("no articles to cluster")
        return report

    # 3. term statistics over the whole input
    with clock("term statistics"):
        buckets = tasks.TermStats().buckets
        frequencies = (
            articles.select("term_keys", "names")
            .mapInPandas(partial(tasks.document_frequencies, buckets=buckets), "bucket long, df long")
            .groupBy("bucket")
            .agg(F.sum("df").alias("df"))
            .collect()
        )
        stats_bytes = _stats_bytes(frequencies)
        _write_bytes(output, STATS_FILE, stats_bytes)  # `consilience spark load` gives them to the store
        stats = spark.sparkContext.broadcast(stats_bytes)

    # 4. candidate pairs from blocking keys
    with clock("candidate pairs"):
        undated_exist = articles.where(F.col("time").isNull()).limit(1).count() > 0
        keys = articles.select("n", "time", "names", "minhash", "dense").mapInPandas(
            lambda batches: tasks.blocking_keys(batches, settings, stats.value, undated_exist), tasks.KEY_SCHEMA
        )
        keys.write.mode("overwrite").parquet(f"{work}/keys")
        keys = spark.read.parquet(f"{work}/keys")
        sizes = keys.groupBy("key").count().where((F.col("count") >= 2) & (F.col("count") <= settings.spark_bucket_max))
        usable = keys.join(sizes.select("key"), "key")
        left = usable.select("key", "base", "copy", F.col("n").alias("a"), F.col("time").alias("time_a"),
                             F.col("guest").alias("guest_a"))  # fmt: skip
        right = usable.select(
            "key", F.col("n").alias("b"), F.col("time").alias("time_b"), F.col("guest").alias("guest_b")
        )
        window = settings.cluster_window_days
        pairs = (
            left.join(right, "key")
            .where(F.col("a") < F.col("b"))
            .where(~(F.col("guest_a") & F.col("guest_b")))
            .where(
                F.col("time_a").isNull()
                | F.col("time_b").isNull()
                | (F.abs(F.col("time_a") - F.col("time_b")) <= window)
            )
            .groupBy("a", "b")
            .agg(F.countDistinct("base").alias("shared"), F.max("copy").alias("copy"))
            .where((F.col("shared") >= settings.spark_min_shared_keys) | F.col("copy"))
            .select("a", "b")
        )
        pairs.write.mode("overwrite").parquet(f"{work}/pairs")
        pairs = spark.read.parquet(f"{work}/pairs")
        report.candidate_pairs = pairs.count()

    # 5. links: pairs the pair model accepts, near-copies, exact copies
    with clock("score pairs"):
        signal_columns = ["n", "id", *tasks._SIGNAL_NAMES]
        side_a = articles.select([F.col(c).alias(f"{c}_a") for c in signal_columns])
        side_b = articles.select([F.col(c).alias(f"{c}_b") for c in signal_columns])
        joined = (
            pairs.join(side_a, pairs.a == side_a.n_a)
            .join(side_b, pairs.b == side_b.n_b)
            .drop("a", "b")
            .sortWithinPartitions("n_a")  # runs of one article, whose decoded state score_pairs keeps
        )
        scored = joined.mapInPandas(
            lambda batches: tasks.score_pairs(batches, settings, stats.value, config.multilingual, model_json),
            tasks.PAIR_SCHEMA,
        )
        copies = (
            articles.where(F.col("duplicate_of").isNotNull())
            .alias("copy")
            .join(articles.alias("original"), F.col("copy.duplicate_of") == F.col("original.id"))
            .select(
                F.col("copy.n").alias("a"),
                F.col("original.n").alias("b"),
                F.lit(1.0).alias("probability"),
                F.lit("same text").alias("kind"),
            )
        )
        scored.unionByName(copies).write.mode("overwrite").parquet(f"{work}/links")
        links = spark.read.parquet(f"{work}/links")
        report.links = links.count()

    # 6. connected components
    with clock("components"):
        labels = connected_components(spark, links.select("a", "b"), settings.spark_component_iterations)
        labels.write.mode("overwrite").parquet(f"{work}/components")
        labels = spark.read.parquet(f"{work}/components")
        largest = labels.groupBy("component").count().agg(F.max("count")).first()
        report.largest_component = int(largest[0]) if largest and largest[0] is not None else 1

    # 7. stories: the local clusterer over whole components, in publication order
    with clock("stories"):
        partitions = config.partitions or max(
            spark.sparkContext.defaultParallelism, math.ceil(report.articles / settings.spark_articles_per_partition)
        )
        # each article's rank in the whole stream, for the IDF the local engine would have at that point
        positions = (
            articles.select("n", "time_order", "seq")
            .orderBy("time_order", "seq")
            .rdd.zipWithIndex()
            .map(lambda pair: (pair[0]["n"], pair[1]))
            .toDF("n long, position long")
        )
        placed = (
            articles.select("n")
            .join(labels, "n", "left")
            .join(positions, "n")
            .withColumn("component", F.coalesce(F.col("component"), F.col("n")))
        )
        # components too large for one worker: segments of the stream, each with a lead-in from the one before
        size = settings.spark_segment_articles
        members = placed.groupBy("component").agg(F.count("*").alias("members")).where(F.col("members") > size)
        report.segmented_components = members.count()
        if report.segmented_components:
            ranked = placed.join(F.broadcast(members), "component").withColumn(
                "rank", F.row_number().over(Window.partitionBy("component").orderBy("position")) - 1
            )
            lead_in = settings.spark_segment_lead_in
            segments = ranked.select("n", "rank", "members").mapInPandas(
                lambda batches: (tasks.segment_rows(batch, size, lead_in) for batch in batches), tasks.SEGMENT_SCHEMA
            )
            segments.write.mode("overwrite").parquet(f"{work}/segments")
            segments = spark.read.parquet(f"{work}/segments")
            counted = members.agg(F.sum(F.ceil(F.col("members") / size))).first()
            report.segments = int(counted[0]) if counted else 0
            placed = placed.join(segments, "n", "left").fillna({"segment": -1, "lead_in": False})
        else:
            placed = placed.withColumn("segment", F.lit(-1).cast("long")).withColumn("lead_in", F.lit(False))
        placed = (
            placed.join(articles, "n")
            .repartition(partitions, "component", "segment")
            .sortWithinPartitions("position")
            .select(*tasks.PLACED_ARROW.names)
        )
        total = report.articles
        clustered = placed.mapInPandas(
            lambda batches: tasks.cluster_partition(
                batches, settings, stats.value, config.multilingual, total, model_json
            ),
            tasks.CLUSTERED_SCHEMA,
        )
        clustered.write.mode("overwrite").parquet(f"{work}/clustered")
        clustered = spark.read.parquet(f"{work}/clustered")
        if report.segmented_components:
            assignments = stitch_segments(clustered)
        else:
            assignments = clustered.select(*tasks.ASSIGNMENT_ARROW.names)
        assignments.write.mode("overwrite").parquet(f"{work}/assignments")
        assignments = spark.read.parquet(f"{work}/assignments")
        assignments.select(F.col("id").alias("article_id"), "story_id").write.mode("overwrite").parquet(
            f"{output}/assignments"
        )
        sizes = assignments.groupBy("story_id").agg(F.count("*").alias("size"))
        counted = sizes.agg(F.count("*"), F.sum(F.when(F.col("size") > 1, 1).otherwise(0))).first()
        report.stories = int(counted[0]) if counted else 0
        report.multi_article_stories = int(counted[1] or 0) if counted else 0

    # 8. facts per story
    members = articles.join(assignments, "id")
    if config.facts != "none":
        with clock("facts"):
            chosen = members.join(sizes, "story_id")
            if config.facts == "multi":
                chosen = chosen.where(F.col("size") > 1)
            compared = (
                chosen.select(
                    "story_id",
                    "id",
                    "seq",
                    "time_order",
                    "title",
                    "text",
                    "outlet",
                    "published",
                    "url",
                    "language",
                    "source",
                    "duplicate_of",
                    "republished_of",
                )
                .groupBy("story_id")
                .applyInPandas(lambda frame: tasks.compare_group(frame, settings), tasks.COMPARED_SCHEMA)
            )
            compared.write.mode("overwrite").parquet(f"{work}/compared")
            compared = spark.read.parquet(f"{work}/compared")
            compared.mapInPandas(tasks.fact_rows, tasks.FACT_SCHEMA).write.mode("overwrite").parquet(f"{output}/facts")
            facts = spark.read.parquet(f"{output}/facts")
            report.facts = facts.count()
            report.conflicts = facts.where(F.col("status") == "conflict").count()
            report.stories_not_compared = compared.where(F.col("error").isNotNull()).count()
    else:
        compared = None

    # outputs: articles and stories
    with clock("write outputs"):
        members.drop("n", "time_order").write.mode("overwrite").parquet(f"{output}/articles")
        ordered = F.array_sort(F.collect_list(F.struct("time_order", "seq", "id")))
        stories = members.groupBy("story_id").agg(
            F.count("*").alias("size"),
            ordered.alias("_order"),
            F.min("published").alias("first_published"),
            F.max("published").alias("last_published"),
            F.min("time").alias("first_time"),
            F.max("time").alias("last_time"),
            F.array_sort(F.collect_set("language")).alias("languages"),
            F.array_sort(F.collect_set("outlet")).alias("outlets"),
        )
        stories = stories.withColumn("articles", F.col("_order.id")).drop("_order")
        if compared is not None:
            stories = stories.join(
                compared.select("story_id", "comparison", "annotations", "conflicts", "error"), "story_id", "left"
            )
        stories.withColumnRenamed("story_id", "id").write.mode("overwrite").parquet(f"{output}/stories")
    _write_summary(output, report)
    return report


def stitch_segments(clustered: DataFrame) -> DataFrame:
    """``cluster_partition`` output -> final assignments: each segment story joined to the one it continues.

    The DataFrame form of :func:`tasks.stitch_segments` (the two are checked
    against each other in tests/test_spark.py): lead-in rows vote for the
    previous segment's story (:func:`tasks.segment_parent`), the child -> parent
    links are followed to the first segment by pointer jumping (a chain of
    ``k`` segments needs ``log2 k`` rounds), and each chain is named after its
    first article.
    """
    from pyspark.sql import functions as F

    core = clustered.where(~F.col("lead_in"))
    lead = clustered.where(F.col("lead_in"))
    pairs = lead.select("id", F.col("story_id").alias("child")).join(
        core.select("id", F.col("story_id").alias("parent")), "id"
    )
    parents = (
        pairs.select("child", "parent")
        .groupBy("child")
        .applyInPandas(tasks.segment_parent, "child string, parent string")
    )
    parents = parents.localCheckpoint()
    while True:
        step = parents.alias("p").join(parents.alias("q"), F.col("p.parent") == F.col("q.child"), "left")
        jumped = step.select(
            F.col("p.child").alias("child"),
            F.coalesce(F.col("q.parent"), F.col("p.parent")).alias("parent"),
            F.col("q.parent").isNotNull().alias("moved"),
        ).localCheckpoint()
        parents = jumped.select("child", "parent")
        if jumped.where("moved").limit(1).count() == 0:
            break
    segmented = (
        core.where(F.col("segment") >= 0)
        .join(parents.withColumnRenamed("child", "story_id"), "story_id", "left")
        .withColumn("root", F.coalesce(F.col("parent"), F.col("story_id")))
    )
    first = segmented.groupBy("root").agg(F.min_by("id", "position").alias("first"))
    named = segmented.join(first, "root").withColumn(
        "story_id", F.concat(F.lit("st-"), F.substring(F.sha1(F.col("first")), 1, 12))
    )
    columns = tasks.ASSIGNMENT_ARROW.names
    return core.where(F.col("segment") < 0).select(*columns).unionByName(named.select(*columns))


def connected_components(spark: SparkSession, edges: DataFrame, max_iterations: int = 60) -> DataFrame:
    """``(n, component)`` for every vertex of ``edges`` (``a``, ``b``): the smallest vertex of its component.

    Label propagation: each vertex takes the smallest label among itself and
    its neighbours until no label changes (as many rounds as the widest
    component's diameter). Vertices on no edge are their own component and
    are not listed.
    """
    from pyspark.sql import functions as F

    both = edges.select(F.col("a").alias("src"), F.col("b").alias("dst")).unionByName(
        edges.select(F.col("b").alias("src"), F.col("a").alias("dst"))
    )
    both = both.where(F.col("src") != F.col("dst")).distinct().localCheckpoint()
    labels = both.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("component"))
    labels = labels.select(F.col("src").alias("n"), "component").localCheckpoint()
    for _ in range(max_iterations):
        incoming = (
            both.join(labels.select(F.col("n").alias("dst"), F.col("component").alias("neighbour")), "dst")
            .groupBy("src")
            .agg(F.min("neighbour").alias("neighbour"))
        )
        updated = (
            labels.join(incoming, labels.n == incoming.src)
            .select("n", F.least("component", "neighbour").alias("component"), F.col("component").alias("before"))
            .localCheckpoint()
        )
        changed = updated.where(F.col("component") != F.col("before")).count()
        labels = updated.drop("before")
        if changed == 0:
            break
    return labels


def _read_records(
    spark: SparkSession, config: JobConfig
) -> tuple[DataFrame, list[tuple[str, str]], dict[str, list[str]]]:
    """``(records, inputs that name nothing readable, files by kind)``; records are ``value`` (JSON), ``source``, ``seq``."""
    from pyspark.sql import functions as F

    listed: list[str] = []
    missing: list[tuple[str, str]] = []
    for pattern in config.inputs:
        try:
            found = (
                spark.read.format("binaryFile")
                .option("recursiveFileLookup", "true")
                .load(pattern)
                .select("path")
                .collect()
            )
        except Exception as error:  # Spark's AnalysisException: a path that names nothing
            missing.append((pattern, _first_line(error)))
            continue
        if not found:
            missing.append((pattern, "no files"))
        listed.extend(str(row["path"]) for row in found)
    kinds: dict[str, list[str]] = {"jsonl": [], "parquet": [], "warc": []}
    for path in sorted(set(listed)):
        kind = config.input_format if config.input_format != "auto" else _kind(path)
        if kind is None:
            missing.append((path, "not JSONL, Parquet or WARC (by its name; --format names the kind)"))
        elif not Path(urlsplit(path).path).name.startswith(("_", ".")):
            kinds[kind].append(path)
    if not any(kinds.values()):
        problems = "; ".join(f"{path}: {why}" for path, why in missing) or "nothing listed"
        raise SparkJobError(f"no input files to read ({problems})")
    frames: list[DataFrame] = []
    if kinds["jsonl"]:
        lines = spark.read.text(kinds["jsonl"]).select("value", F.col("_metadata.file_path").alias("source"))
        frames.append(lines.where(F.trim(F.col("value")) != "").withColumn("reject", F.lit(None).cast("string")))
    if kinds["parquet"]:
        table = spark.read.option("mergeSchema", "true").parquet(*kinds["parquet"])
        rows = table.select(
            F.to_json(F.struct(*[F.col(f"`{c}`") for c in table.columns])).alias("value"),
            F.col("_metadata.file_path").alias("source"),
        )
        frames.append(rows.withColumn("reject", F.lit(None).cast("string")))
    if kinds["warc"]:
        archives = spark.read.format("binaryFile").load(kinds["warc"]).select("path", "content")
        frames.append(
            archives.mapInPandas(
                partial(tasks.warc_records, settings=config.settings), "value string, source string, reject string"
            )
        )
    records = frames[0]
    for frame in frames[1:]:
        records = records.unionByName(frame)
    return records.withColumn("seq", F.monotonically_increasing_id()), missing, kinds


def _unreadable(spark: SparkSession, prepared: DataFrame, missing: list[tuple[str, str]],
                kinds: dict[str, list[str]]) -> DataFrame:  # fmt: skip
    """Rejects for inputs that gave no record: paths naming nothing, and files Spark skipped as corrupt (or empty)."""
    seen = {_plain_path(row["source"]) for row in prepared.select("source").distinct().collect()}
    for kind in ("jsonl", "parquet"):
        missing.extend((path, "unreadable or empty file") for path in kinds[kind] if _plain_path(path) not in seen)
    return spark.createDataFrame(
        [(path, why, None) for path, why in missing], "source string, reason string, record string"
    )


def _kind(path: str) -> str | None:
    name = path.lower()
    for kind, suffixes in (("jsonl", JSONL_SUFFIXES), ("parquet", PARQUET_SUFFIXES), ("warc", WARC_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    return None


def _plain_path(path: str) -> str:
    parts = urlsplit(path)
    return unquote(parts.path) if parts.scheme in ("", "file") else path


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def _stats_bytes(frequencies: list[Any]) -> bytes:
    import numpy as np

    from ..store.codec import stats_to_bytes

    stats = tasks.TermStats()
    for row in frequencies:
        if int(row["bucket"]) == -1:
            stats.documents += int(row["df"])
        else:
            stats.document_frequency[int(row["bucket"])] += np.int32(min(int(row["df"]), 2**31 - 1))
    return stats_to_bytes(stats)


def _prepare_output(output: str) -> None:
    """Refuse to overwrite a folder this job did not write (local paths; other file systems are left to Spark)."""
    parts = urlsplit(output)
    if parts.scheme not in ("", "file"):
        return
    path = Path(unquote(parts.path))
    if path.exists() and (not path.is_dir() or (any(path.iterdir()) and not (path / MARKER).exists())):
        raise SparkJobError(f"{output}: exists and is not the output of an earlier run; choose another --output")
    if path.exists():
        for child in path.iterdir():  # an earlier run's tables: all replaced, none left half-stale
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    path.mkdir(parents=True, exist_ok=True)


def _pair_model_json(path: str, embedder: str) -> str:
    """The JSON of the model at ``path`` (``--pair-model``), read here on the driver and sent to the workers with
    their tasks (a cluster's workers need not see the file); ``""`` for the shipped one."""
    try:
        model = PairModel.chosen(path, embedder)
    except InputError as error:
        raise SparkJobError(str(error)) from None
    return "" if model.shipped else json.dumps(model.to_dict())


def _write_bytes(output: str, name: str, data: bytes) -> None:
    parts = urlsplit(output)
    if parts.scheme in ("", "file"):
        Path(unquote(parts.path), name).write_bytes(data)


def _write_summary(output: str, report: JobReport) -> None:
    parts = urlsplit(output)
    text = json.dumps(report.to_dict(), indent=2)
    if parts.scheme in ("", "file"):
        Path(unquote(parts.path), MARKER).write_text(text + "\n", encoding="utf-8")
    else:  # a cluster file system: write through Spark's Hadoop configuration
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
        if spark is not None:
            spark.createDataFrame([(text,)], "value string").coalesce(1).write.mode("overwrite").text(
                f"{output}/_summary"
            )


class _Clock:
    def __init__(self, report: JobReport, log: Callable[[str], None]) -> None:
        self.report = report
        self.log = log

    def __call__(self, stage: str) -> _Stage:
        return _Stage(self, stage)


class _Stage:
    def __init__(self, clock: _Clock, name: str) -> None:
        self.clock = clock
        self.name = name
        self.started = 0.0

    def __enter__(self) -> None:
        self.clock.log(f"{self.name}...")
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        seconds = time.perf_counter() - self.started
        self.clock.report.seconds[self.name] = round(seconds, 2)
        if exc[0] is None:
            self.clock.log(f"{self.name}: {seconds:.1f} s")


# -- command line (also the spark-submit entry point) ------------------------------------------------------------------
def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``consilience spark run`` (and of the spark-submit script)."""
    parser.add_argument("--input", "-i", nargs="+", required=True, metavar="PATH",
                        help="files, folders or globs: JSONL (.jsonl/.json[.gz]), Parquet, WARC (local, hdfs://, s3a://)")  # fmt: skip
    parser.add_argument("--output", "-o", required=True, metavar="PATH", help="folder for the Parquet outputs")
    parser.add_argument("--format", dest="input_format", choices=("auto", "jsonl", "parquet", "warc"), default="auto",
                        help="input kind (default: by file name)")  # fmt: skip
    parser.add_argument("--master", default=None,
                        help="Spark master (default: local[*] from this command, spark-submit's own otherwise)")  # fmt: skip
    parser.add_argument("--facts", choices=FACT_MODES, default="all",
                        help="compare all stories (default), only stories of 2+ articles, or none")  # fmt: skip
    parser.add_argument("--embedder", choices=("auto", "minilm", "minilm-static"), default="auto",
                        help="clustering embedder (as `consilience stories`; minilm-static is ~50x faster)")  # fmt: skip
    parser.add_argument(
        "--no-multilingual", action="store_true", help="compare cross-language pairs with the English embedder only"
    )
    parser.add_argument("--pair-model", metavar="PATH", default="",
                        help="cluster with a pair model fitted by `consilience train` (default: the shipped one)")  # fmt: skip
    parser.add_argument("--partitions", type=int, default=None, help="partitions for the story stage")
    parser.add_argument("--driver-memory", default="2g", help="driver memory in local mode (default 2g)")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")


def config_from(args: argparse.Namespace) -> JobConfig:
    """A :class:`JobConfig` from parsed ``run`` arguments."""
    return JobConfig(
        inputs=list(args.input), output=args.output, input_format=args.input_format, facts=args.facts,
        multilingual=not args.no_multilingual, partitions=args.partitions,
        settings=dataclasses.replace(DEFAULT_SETTINGS, cluster_embedder=args.embedder, cluster_pair_model=args.pair_model),
    )  # fmt: skip


def main(argv: Sequence[str] | None = None, default_master: str | None = None) -> int:
    """Parse arguments, run the job, print the summary; the spark-submit entry point."""
    parser = argparse.ArgumentParser(prog="consilience spark run", description="Run consilience on Spark.")
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_command(args, default_master)
    except SparkJobError as error:
        print(f"consilience spark: error: {error}", file=sys.stderr)
        return error.exit_code


def run_command(args: argparse.Namespace, default_master: str | None) -> int:
    """Run the job of parsed ``run`` arguments and print its summary (``consilience spark run``, spark-submit)."""
    config = config_from(args)
    # a model file that cannot be used is said before Spark starts (run_job checks it again, for library callers)
    _pair_model_json(config.settings.cluster_pair_model, tasks.executor_embedder(args.embedder).name)
    spark = spark_session(args.master or default_master, driver_memory=args.driver_memory)
    report = run_job(spark, config, log=lambda m: print(f"consilience spark: {m}", file=sys.stderr))
    print_report(report, args.json)
    return 0


def print_report(report: JobReport, as_json: bool) -> None:
    """The run summary on standard output."""
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    data = report.to_dict()
    rejects = f"{report.rejects:,} reject{'' if report.rejects == 1 else 's'}"
    print(f"{report.articles:,} articles from {report.files} files ({rejects}) -> "
          f"{report.stories:,} stories ({report.multi_article_stories:,} with 2+ articles), "
          f"{report.facts:,} facts ({report.conflicts:,} conflicts)")  # fmt: skip
    cut = (f" ({report.segmented_components:,} components cut into {report.segments:,} segments)"
           if report.segmented_components else "")  # fmt: skip
    print(f"{report.candidate_pairs:,} candidate pairs, {report.links:,} links, largest component "
          f"{report.largest_component:,} articles{cut}; {data['seconds_total']} s, {data['articles_per_second']} "
          f"articles/s on {report.cores} cores")  # fmt: skip
    if report.pair_model != SHIPPED:
        print(f"clustered with the pair model {report.pair_model} (kept as {report.output}/{PAIR_MODEL_FILE})")
    for reason, count in list(report.reject_reasons.items())[:5]:
        print(f"  reject: {count:,} x {reason}")
    print(f"outputs: {report.output}/{{articles,assignments,stories,facts,rejects}}")
