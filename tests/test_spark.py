"""The Spark engine: executor functions on pandas batches, and the whole job in local mode.

The job tests need pyspark (the test extra installs it) and Java 17; they are
skipped with a message when either is missing.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from consilience.cli import main
from consilience.settings import DEFAULT_SETTINGS
from consilience.spark import tasks
from consilience.store import open_store

from .conftest import DATASETS
from .test_web_ingest import make_warc


def _records(*values: object) -> pd.DataFrame:
    lines = [v if isinstance(v, str) or v is None else json.dumps(v) for v in values]
    return pd.DataFrame({"value": lines, "source": ["in.jsonl"] * len(lines), "seq": list(range(len(lines))),
                         "reject": [None] * len(lines)})  # fmt: skip


QUAKE = (
    "A magnitude 6.1 earthquake struck eastern Turkey on Monday, killing at least 12 people in the province of "
    "Elazig, the disaster agency AFAD said. Rescue teams searched collapsed buildings through the night."
)


def test_prepare_articles_cleans_signals_and_rejects() -> None:
    batch = _records(
        {"id": "a", "title": "Quake in Turkey", "text": QUAKE, "published": "2020-01-24T10:00:00Z"},
        "{not json",
        {"id": "b", "title": "", "text": "   "},
        {"id": "c", "text": "x" * (DEFAULT_SETTINGS.max_article_chars + 1)},
    )
    out = pd.concat(list(tasks.prepare_articles(iter([batch]), DEFAULT_SETTINGS, multilingual=False)))
    good = out[out["reject"].isna()]
    assert list(good["id"]) == ["a"]
    signals = tasks.signals_of(good.iloc[0])
    assert signals.id == "a" and signals.time is not None and signals.dense.shape == (384,)
    assert "12" in signals.numbers and good.iloc[0]["language"] == "en"
    reasons = sorted(out[out["reject"].notna()]["reject"])
    assert reasons[0].startswith("invalid JSON")
    assert any("no text and no title" in r for r in reasons)
    assert any(r.startswith("too long") for r in reasons)


def test_blocking_keys_pair_two_reports_of_one_event() -> None:
    batch = _records(
        {"id": "a", "title": "Quake in Turkey", "text": QUAKE, "published": "2020-01-24T10:00:00Z"},
        {
            "id": "b",
            "title": "Earthquake kills 12 in Turkey",
            "text": QUAKE.replace("Monday", "Friday"),
            "published": "2020-01-25T08:00:00Z",
        },
        {"id": "c", "title": "Quake in Turkey", "text": QUAKE, "published": "2020-06-24T10:00:00Z"},
    )
    prepared = pd.concat(list(tasks.prepare_articles(iter([batch]), DEFAULT_SETTINGS, multilingual=False)))
    prepared["n"] = range(len(prepared))
    stats = tasks.TermStats()
    from consilience.store.codec import stats_to_bytes

    keys = pd.concat(list(tasks.blocking_keys(iter([prepared]), DEFAULT_SETTINGS, stats_to_bytes(stats), False)))
    by_article = keys.groupby("n")["key"].apply(set)
    assert by_article[0] & by_article[1], "two reports of one event a day apart share a key"
    assert not by_article[0] & by_article[2], "five months apart: no shared time bucket, no key"


def test_partial_stream_stats_give_one_worker_the_whole_streams_idf() -> None:
    from consilience.cluster.signals import PartialStreamStats, TermStats

    rng = np.random.default_rng(7)
    documents = [sorted(set(rng.integers(0, 50, size=8).tolist())) for _ in range(40)]
    whole = TermStats()
    for keys in documents:
        whole.add(keys)
    own = np.zeros(whole.buckets, dtype=np.int32)
    for keys in documents:
        own[keys] += 1
    alone, stream = PartialStreamStats(whole, own, len(documents)), TermStats()
    for position, keys in enumerate(documents):  # one worker with every article: exactly the local engine's IDF
        alone.position = position
        alone.add(keys)
        stream.add(keys)
        assert np.allclose(alone.idfs(range(50)), stream.idfs(range(50)))
    mine = documents[::2]  # a worker with half: its own counts as they come, the others' spread over the stream
    own[:] = 0
    for keys in mine:
        own[keys] += 1
    half = PartialStreamStats(whole, own, len(documents))
    for index, keys in enumerate(mine):
        half.position = 2 * index
        half.add(keys)
    key = documents[1][0]
    elsewhere = sum(key in keys for keys in documents[1::2])
    counted = TermStats().document_frequency[key] + sum(key in keys for keys in mine) + elsewhere * (38 / 40)
    assert half.documents == TermStats().documents + 39
    assert half.idf(key) == pytest.approx(np.log((half.documents + 1) / (counted + 1)) + 1)


def test_cluster_partition_of_the_whole_stream_is_the_local_engine(ecbplus_dev: Path) -> None:
    from consilience.cluster import StoryLedger, StreamClusterer
    from consilience.store.codec import stats_to_bytes

    records = [json.loads(line) for line in ecbplus_dev.read_text(encoding="utf-8").splitlines()[:60]]
    prepared = pd.concat(list(tasks.prepare_articles(iter([_records(*records)]), DEFAULT_SETTINGS, multilingual=False)))
    prepared = prepared[prepared["reject"].isna()].sort_values(["time", "seq"], na_position="last")
    prepared["position"] = range(len(prepared))
    prepared["duplicate_of"] = None
    prepared = prepared.assign(component=7, segment=-1, lead_in=False)
    whole = tasks.TermStats()
    for keys, names in zip(prepared["term_keys"], prepared["names"], strict=True):
        whole.add(tasks.row_keys(keys, names).tolist())
    out = pd.concat(list(tasks.cluster_partition(iter([prepared]), DEFAULT_SETTINGS, stats_to_bytes(whole), False)))
    spark_groups = out.groupby("story_id")["id"].apply(frozenset)
    clusterer = StreamClusterer(embedder=tasks.executor_embedder("auto"), multilingual=None)
    ledger = StoryLedger()
    for _, row in prepared.iterrows():
        ledger.apply(clusterer.add_signals(tasks.signals_of(row)))
    ledger.apply(clusterer.consolidate())
    local_groups = {frozenset(story.articles) for story in ledger.stories()}
    assert set(spark_groups) == local_groups
    assert len(local_groups) < len(prepared), "some reports joined a story"
    assert not out["lead_in"].any() and set(out["segment"]) == {-1}


def test_segment_rows_cut_a_large_component_with_a_lead_in() -> None:
    frame = pd.DataFrame({"n": range(100, 110), "rank": range(10), "members": [10] * 10})
    rows = tasks.segment_rows(frame, size=4, lead_in=2)
    core = rows[~rows["lead_in"]]
    assert dict(zip(core["n"], core["segment"], strict=True)) == {100 + r: r // 4 for r in range(10)}
    lead = rows[rows["lead_in"]]
    # each segment re-reads the previous one's last two articles; no segment follows the last
    assert sorted(zip(lead["n"], lead["segment"], strict=True)) == [(102, 1), (103, 1), (106, 2), (107, 2)]


def test_stitching_continues_each_segment_story_from_its_lead_in() -> None:
    rows = [
        # id, story, segment, lead_in, position
        ("a1", "A@0", 0, False, 0), ("b1", "B@0", 0, False, 1), ("a2", "A@0", 0, False, 2), ("b2", "B@0", 0, False, 3),
        ("a2", "X@1", 1, True, 2), ("b2", "X@1", 1, True, 3), ("a3", "X@1", 1, False, 4), ("c1", "C@1", 1, False, 5),
        ("a3", "Z@2", 2, True, 4), ("a4", "Z@2", 2, False, 6),
        ("w1", "st-whole", -1, False, 7),
    ]  # fmt: skip
    clustered = pd.DataFrame(rows, columns=["id", "story_id", "segment", "lead_in", "position"])
    clustered = clustered.assign(join_probability=1.0, republished_of=None)
    out = tasks.stitch_segments(clustered)
    story = dict(zip(out["id"], out["story_id"], strict=True))
    assert len(out) == 8, "every article once, lead-in rows dropped"
    # X@1 re-read a2 (story A) and b2 (story B): a tie, so it continues A, and never merges A with B
    assert story["a3"] == story["a1"] == story["a2"] == story["a4"] == tasks.story_name("a1")
    assert story["b1"] == story["b2"] == tasks.story_name("b1")
    assert story["c1"] == tasks.story_name("c1")
    assert story["w1"] == "st-whole"


def test_segments_with_a_lead_in_reproduce_the_whole_stream(ecbplus_dev: Path) -> None:
    from consilience.evaluate.metrics import score_clustering
    from consilience.store.codec import stats_to_bytes

    records = [json.loads(line) for line in ecbplus_dev.read_text(encoding="utf-8").splitlines()[:80]]
    prepared = pd.concat(list(tasks.prepare_articles(iter([_records(*records)]), DEFAULT_SETTINGS, multilingual=False)))
    prepared = prepared[prepared["reject"].isna()].sort_values(["time", "seq"], na_position="last")
    prepared = prepared.assign(position=range(len(prepared)), duplicate_of=None, component=7).reset_index(drop=True)
    whole = tasks.TermStats()
    for keys, names in zip(prepared["term_keys"], prepared["names"], strict=True):
        whole.add(tasks.row_keys(keys, names).tolist())
    stats = stats_to_bytes(whole)

    def stories(placed: pd.DataFrame) -> dict[str, str]:
        clustered = pd.concat(list(tasks.cluster_partition(iter([placed]), DEFAULT_SETTINGS, stats, False)))
        out = tasks.stitch_segments(clustered)
        assert sorted(out["id"]) == sorted(prepared["id"]), "every article once"
        return dict(zip(out["id"], out["story_id"], strict=True))

    unsegmented = stories(prepared.assign(segment=-1, lead_in=False))
    ranks = pd.DataFrame({"n": prepared.index, "rank": prepared.index, "members": len(prepared)})
    agreement = {}
    for lead_in in (30, 0):
        cut = tasks.segment_rows(ranks, 30, lead_in)
        placed = prepared.loc[cut["n"]].assign(segment=cut["segment"].to_numpy(), lead_in=cut["lead_in"].to_numpy())
        assert len(set(cut["segment"])) == 3
        segmented = stories(placed.sort_values(["position", "segment"]))
        agreement[lead_in] = score_clustering(unsegmented, segmented).bcubed_f1
    # the lead-in is what lets a segment continue the stories of the one before (BCubed agreement 0.967 with it, 0.853
    # without; BCubed weighs each article alike, where one 3-article story joining an 18-article one moves the
    # pairwise F1 of 80 articles by 0.05)
    assert agreement[30] >= 0.95 and agreement[30] > agreement[0] + 0.05


def test_job_stitches_segments_as_the_pandas_stitch(spark: object, tmp_path: Path) -> None:
    """A job forced to cut its components: every article once, stitched as tasks.stitch_segments stitches."""
    import dataclasses

    import pyarrow.parquet as pq

    from consilience.spark import JobConfig, run_job

    path = DATASETS / "ecbplus-dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found (datasets live in ../shared, outside the repository)")
    lines = path.read_text(encoding="utf-8").splitlines()[:150]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = dataclasses.replace(DEFAULT_SETTINGS, spark_segment_articles=20, spark_segment_lead_in=10)
    config = JobConfig(
        inputs=[str(tmp_path / "in.jsonl")], output=str(tmp_path / "out"), facts="none", settings=settings
    )
    report = run_job(spark, config)  # type: ignore[arg-type]
    assert report.segmented_components >= 1 and report.segments > report.segmented_components
    assignments = pq.read_table(tmp_path / "out" / "assignments").to_pandas()
    assert sorted(assignments["article_id"]) == sorted(json.loads(line)["id"] for line in lines)
    clustered = pq.read_table(tmp_path / "out" / "_work" / "clustered").to_pandas()
    expected = tasks.stitch_segments(clustered)
    assert dict(zip(assignments["article_id"], assignments["story_id"], strict=True)) == dict(
        zip(expected["id"], expected["story_id"], strict=True)
    )


def test_connected_components_and_stories(spark: object) -> None:
    from consilience.spark import connected_components

    edges = spark.createDataFrame([(1, 2), (2, 3), (10, 11), (5, 5)], "a long, b long")  # type: ignore[attr-defined]
    labels = {row["n"]: row["component"] for row in connected_components(spark, edges).collect()}  # type: ignore[arg-type]
    assert labels == {1: 1, 2: 1, 3: 1, 10: 10, 11: 10}


@pytest.fixture(scope="module")
def spark() -> object:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'consilience[spark]')")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 on the PATH")
    from consilience.spark import spark_session

    return spark_session("local[2]")


@pytest.fixture(scope="module")
def spark_run(spark: object, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict[str, object]]]:
    """One job over dataset stories plus broken inputs, shared by the checks below."""
    path = DATASETS / "ecbplus-dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found (datasets live in ../shared, outside the repository)")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    stories = sorted({r["story"] for r in rows})[:6]
    chosen = [r for r in rows if r["story"] in stories]
    folder = tmp_path_factory.mktemp("spark")
    inputs = folder / "input"
    inputs.mkdir()
    with (inputs / "part-1.jsonl").open("w", encoding="utf-8") as handle:
        for record in chosen:
            handle.write(json.dumps(record) + "\n")
        handle.write("{broken json\n")
        handle.write(json.dumps({"id": chosen[0]["id"], "text": "Another text under an id already used."}) + "\n")
    (inputs / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    make_warc(inputs / "crawl.warc.gz", "")
    (inputs / "corrupt.warc.gz").write_bytes(gzip.compress(b"this is not a warc record\r\n" * 20))
    (inputs / "notes.docx").write_bytes(b"PK\x03\x04")
    pd.DataFrame([{"id": "pq-1", "title": "Parquet row", "text": QUAKE, "published": "2020-01-24"}]).to_parquet(
        inputs / "rows.parquet"
    )
    from consilience.spark import JobConfig, run_job

    output = folder / "output"
    run_job(spark, JobConfig(inputs=[str(inputs)], output=str(output), facts="multi"))  # type: ignore[arg-type]
    return output, inputs, chosen


def test_job_outputs_assignments_for_every_input_article(spark_run: tuple[Path, Path, list[dict[str, object]]]) -> None:
    import pyarrow.parquet as pq

    output, _, chosen = spark_run
    assignments = pq.read_table(output / "assignments").to_pylist()
    assert set(pq.read_table(output / "assignments").column_names) == {"article_id", "story_id"}
    ids = {row["article_id"] for row in assignments}
    assert ids == {str(r["id"]) for r in chosen} | {"pq-1", "https://archive.example/a1", "https://archive.example/a2"}
    summary = json.loads((output / "summary.json").read_text())
    assert summary["articles"] == len(ids) and summary["stories"] >= 6
    facts = pq.read_table(output / "facts").to_pylist()
    assert facts and {f["status"] for f in facts} <= {"corroborated", "single-source", "conflict", "updated"}
    ids = {f["fact_id"] for f in facts}
    assert all(isinstance(f["disputed_by"], list) and set(f["disputed_by"]) <= ids for f in facts)
    mention = json.loads(facts[0]["mentions"])[0]
    assert {"article", "start", "end"} <= set(mention)


def test_job_counts_bad_input_as_rejects(spark_run: tuple[Path, Path, list[dict[str, object]]]) -> None:
    import pyarrow.parquet as pq

    output, _, _ = spark_run
    rejects = pq.read_table(output / "rejects").to_pylist()
    reasons = " | ".join(str(r["reason"]) for r in rejects)
    assert "invalid JSON" in reasons
    assert "id already used" in reasons
    assert any(str(r["source"]).endswith("broken.jsonl.gz") for r in rejects), reasons
    assert any(str(r["source"]).endswith("notes.docx") for r in rejects), reasons
    assert any(str(r["source"]).endswith("corrupt.warc.gz") for r in rejects), reasons


def test_job_agrees_with_local_engine(spark: object, tmp_path: Path) -> None:
    """The issue's check on a whole dataset file (benchmarks/spark_job.py agreement runs every file)."""
    import pyarrow.parquet as pq

    from consilience.clean import clean_article
    from consilience.cluster import cluster_articles
    from consilience.evaluate.metrics import score_clustering
    from consilience.ingest import read_jsonl
    from consilience.pipeline import mark_duplicates
    from consilience.spark import JobConfig, run_job

    path = DATASETS / "basil-dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found (datasets live in ../shared, outside the repository)")
    output = tmp_path / "output"
    run_job(spark, JobConfig(inputs=[str(path)], output=str(output), facts="none"))  # type: ignore[arg-type]
    articles = [clean_article(a) for a in read_jsonl(path.read_text(encoding="utf-8"), str(path), [])]
    mark_duplicates(articles, [])
    local = {a: s.id for s in cluster_articles(articles) for a in s.articles}
    distributed = {r["article_id"]: r["story_id"] for r in pq.read_table(output / "assignments").to_pylist()}
    assert score_clustering(local, distributed).pairwise_f1 >= 0.95


def test_load_into_store_and_show(spark_run: tuple[Path, Path, list[dict[str, object]]], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    import pyarrow.parquet as pq

    output, _, _ = spark_run
    db = tmp_path / "store.db"
    assert main(["spark", "load", str(output), "--db", str(db), "--json"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    stories = pq.read_table(output / "stories").to_pylist()
    articles = pq.read_table(output / "articles").to_pylist()
    copies = sum(1 for a in articles if a["duplicate_of"])  # exact copies are stored once, as `ingest` does
    assert loaded["articles"] == len(articles) - copies and loaded["stories"] == len(stories)
    assert loaded["look_alikes"] > 0  # the two events of one ECB+ topic read alike
    with open_store(db) as store:
        records = store.stories()
        ids = {r.id for r in records}
        listing = [r for r in records if r.look_alikes]
        assert len(listing) == loaded["look_alikes"]
        assert all(a.story in ids and a.story != r.id and a.cosine >= 0.5 for r in listing for a in r.look_alikes)
        # and each article of a loaded story of several has its membership, as an ingest run stores them
        several = [r for r in records if r.size > 1]
        memberships = store.memberships([r.id for r in several])
        assert loaded["memberships"] == sum(len(m) for m in memberships.values()) > 0
        assert all(sorted(m.article for m in memberships[r.id]) == sorted(r.articles) for r in several if r.size <= 32)
    compared = next(s for s in stories if s["comparison"])
    assert main(["show", compared["id"], "--db", str(db), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["stories"][0]["id"] == compared["id"]
    assert main(["spark", "load", str(output), "--db", str(db), "--json"]) == 0  # again: nothing added twice
    assert json.loads(capsys.readouterr().out)["articles"] == 0


def test_job_refuses_a_folder_it_did_not_write(spark: object, tmp_path: Path) -> None:
    from consilience.spark import JobConfig, SparkJobError, run_job

    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SparkJobError, match="not the output of an earlier run"):
        run_job(spark, JobConfig(inputs=[str(tmp_path)], output=str(tmp_path)))  # type: ignore[arg-type]
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_job_with_no_readable_input_says_so(spark: object, tmp_path: Path) -> None:
    from consilience.spark import JobConfig, SparkJobError, run_job

    with pytest.raises(SparkJobError, match="no input files"):
        run_job(spark, JobConfig(inputs=[str(tmp_path / "missing")], output=str(tmp_path / "out")))  # type: ignore[arg-type]
    gz = tmp_path / "only.jsonl.gz"
    gz.write_bytes(gzip.compress(b"") + b"")
    report = run_job(spark, JobConfig(inputs=[str(gz)], output=str(tmp_path / "out2")))  # type: ignore[arg-type]
    assert report.articles == 0 and report.rejects == 1


def test_job_clusters_with_the_pair_model_it_is_given(spark: object, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """--pair-model reaches the workers (read on the driver), the local engine agrees, and a load keeps the model."""
    import dataclasses

    import pyarrow.parquet as pq

    from consilience.clean import clean_article
    from consilience.cluster import PairModel, cluster_articles
    from consilience.ingest import read_jsonl
    from consilience.pipeline import mark_duplicates
    from consilience.spark import JobConfig, SparkJobError, run_job

    examples = sorted((Path(__file__).parent.parent / "examples").glob("*.jsonl"))
    shipped = PairModel.load().to_dict()
    for regime in shipped["regimes"].values():
        regime["bias"] = -60.0  # a desk's model that never files two reports together
    never = tmp_path / "never.json"
    never.write_text(json.dumps(shipped), encoding="utf-8")
    settings = dataclasses.replace(DEFAULT_SETTINGS, cluster_pair_model=str(never))
    output = tmp_path / "output"
    report = run_job(spark, JobConfig(inputs=[str(p) for p in examples], output=str(output), facts="none",
                                      settings=settings))  # type: ignore[arg-type]  # fmt: skip
    assert report.pair_model == str(never)
    distributed = {r["article_id"]: r["story_id"] for r in pq.read_table(output / "assignments").to_pylist()}
    articles = [clean_article(a) for p in examples for a in read_jsonl(p.read_text(encoding="utf-8"), str(p), [])]
    mark_duplicates(articles, [])
    local = {a: s.id for s in cluster_articles(articles, settings) for a in s.articles}
    shipped_stories = {s.id for s in cluster_articles(articles)}
    assert len(set(local.values())) == len(set(distributed.values())) == len(articles) > len(shipped_stories)

    db = tmp_path / "store.db"
    assert main(["spark", "load", str(output), "--db", str(db), "--json"]) == 0
    capsys.readouterr()
    with open_store(db) as store:
        assert json.loads(store.get_state("pair_model") or b"{}")["regimes"]["long"]["bias"] == -60.0

    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    bad = dataclasses.replace(DEFAULT_SETTINGS, cluster_pair_model=str(broken))
    with pytest.raises(SparkJobError, match=r"broken\.json: not a pair model"):
        run_job(spark, JobConfig(inputs=[str(examples[0])], output=str(tmp_path / "out2"), settings=bad))  # type: ignore[arg-type]
    assert not (tmp_path / "out2").exists()
