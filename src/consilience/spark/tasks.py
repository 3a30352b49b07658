"""What the Spark executors run: the local engine's stage functions over pandas batches.

Every function here takes and yields ``pandas.DataFrame`` batches (the
``mapInPandas`` / ``applyInPandas`` contract) and calls the same code the
local pipeline calls: :func:`~consilience.ingest.files.record_to_article`,
:func:`~consilience.clean.clean_article`, :class:`~consilience.cluster.SignalExtractor`,
:meth:`~consilience.cluster.PairModel.scored`,
:class:`~consilience.cluster.StreamClusterer`, :func:`~consilience.annotate.annotate_articles`
and :func:`~consilience.compare.compare_story`. Models are loaded once per
Python worker (module-level caches) and reused by every task it runs.

Nothing here imports pyspark: the functions are plain pandas in, pandas out,
and are tested without a Spark session.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import tempfile
import traceback
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..clean import clean_article, content_hash
from ..cluster import ClusterEvent, PairModel, StoryLedger, StoryState, StreamClusterer
from ..cluster.neardup import NUM_PERM
from ..cluster.signals import ArticleSignals, PartialStreamStats, SignalExtractor, TermStats
from ..embed import Embedder, OnnxMiniLM, get_embedder, get_multilingual_embedder
from ..ingest.files import parse_published, record_to_article
from ..ingest.web import canonical_url
from ..model import Article, Story, to_plain
from ..settings import Settings
from ..store.base import cleaning_json, iso
from ..store.codec import SIGNAL_COLUMNS, row_to_signals, signals_to_row, stats_from_bytes

RECORD_CHARS = 500  # how much of a rejected record the rejects output keeps

# -- schemas (Spark DDL), shared by the driver and the tests ----------------------------------------------------------
SIGNAL_FIELDS = (
    "language string, time double, outlet string, lead string, words int, dense binary, multilingual binary, "
    "term_keys binary, term_weights binary, names binary, numbers string, minhash binary"
)
PREPARED_SCHEMA = (
    "id string, seq long, title string, text string, raw_text string, url string, canonical_url string, "
    "published string, source string, content_hash string, cleaning string, " + SIGNAL_FIELDS + ", "
    "reject string, record string"
)
RECORD_SCHEMA = "value string, source string, seq long, reject string"
KEY_SCHEMA = "key long, base long, copy boolean, n long, time double, guest boolean"
PAIR_SCHEMA = "a long, b long, probability double, kind string"
# what cluster_partition reads: an article with its stream position, component and segment (-1: a whole component)
PLACED_SCHEMA = (
    "id string, position long, component long, segment long, lead_in boolean, "
    + SIGNAL_FIELDS
    + ", duplicate_of string"
)
SEGMENT_SCHEMA = "n long, segment long, lead_in boolean"
ASSIGNMENT_SCHEMA = "id string, story_id string, join_probability double, republished_of string"
# what cluster_partition writes: a segment's stories are named "<story>@<segment>" until stitch_segments joins them
CLUSTERED_SCHEMA = ASSIGNMENT_SCHEMA + ", segment long, lead_in boolean, position long"
COMPARED_SCHEMA = "story_id string, comparison string, annotations string, conflicts int, error string"
FACT_SCHEMA = (
    "story_id string, fact_id string, status string, slot string, text string, sources int, "
    "articles array<string>, mentions string, updates string, disputed_by array<string>"
)
_SIGNAL_NAMES = SIGNAL_COLUMNS[1:]  # the codec's columns after article_id
# articles whose one-article story state (signals decoded, folded TF-IDF, caches) a pair-scoring task keeps:
# pairs arrive sorted by their first article, so each is decoded about once, not once per pair
PAIR_STATE_CACHE = 4096


# -- models, once per Python worker -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def executor_embedder(name: str) -> Embedder:
    """The clustering embedder of this worker; ONNX runs on one thread (Spark runs one task per core)."""
    if name in ("auto", "minilm", OnnxMiniLM.name):
        try:
            return OnnxMiniLM(threads=1)
        except ImportError:
            if name != "auto":
                raise
    return get_embedder(name)


@functools.lru_cache(maxsize=2)
def pair_model(embedder: str, model_json: str = "") -> PairModel:
    """The run's pair model: ``model_json`` (a user's model, read on the driver), else the shipped one for
    ``embedder``'s vectors (the file the local engine reads)."""
    return PairModel.from_json(model_json, "the run's pair model") if model_json else PairModel.for_embedder(embedder)


@functools.lru_cache(maxsize=2)
def term_stats(data: bytes) -> TermStats:
    """Term statistics of the whole input, decoded once per worker from the broadcast bytes."""
    return stats_from_bytes(data)


# -- stage 1: records -> cleaned articles with signals ----------------------------------------------------------------
def warc_records(batches: Iterator[pd.DataFrame], settings: Settings) -> Iterator[pd.DataFrame]:
    """WARC files (``path``, ``content``) -> one JSON record per archived page, or one reject per unreadable file."""
    import tempfile
    from pathlib import Path

    from ..errors import InputError
    from ..ingest.warc import read_warc

    for batch in batches:
        rows: list[dict[str, Any]] = []
        for path, content in zip(batch["path"], batch["content"], strict=True):
            warnings: list[str] = []
            name = str(path)
            suffix = ".warc.gz" if name.lower().endswith(".gz") else ".warc"
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                handle.write(bytes(content))
                handle.flush()
                try:
                    for article in read_warc(Path(handle.name), warnings):
                        record = {"id": article.id, "title": article.title, "text": article.text, "url": article.url,
                                  "published": iso(article.published), "outlet": article.outlet,
                                  "language": article.language}  # fmt: skip
                        source = name + (f"#{article.url}" if article.url else "")
                        rows.append({"value": json.dumps(record, ensure_ascii=False), "source": source, "reject": None})
                except InputError as error:
                    rows.append({"value": None, "source": name, "reject": error.problem})
                except Exception as error:  # a broken archive must not stop the job: it becomes a reject
                    rows.append({"value": None, "source": name, "reject": f"unreadable WARC: {error!r}"[:300]})
            rows.extend({"value": None, "source": name, "reject": w.split(": ", 1)[-1]} for w in warnings
                        if "skipped" in w)  # fmt: skip
        yield _frame(rows, "value string, source string, reject string")


def prepare_articles(
    batches: Iterator[pd.DataFrame], settings: Settings, multilingual: bool = True
) -> Iterator[pd.DataFrame]:
    """Records (``value`` JSON, ``source``, ``seq``) -> cleaned articles with clustering signals, or rejects.

    A record that is not JSON, holds no text, is too long or is empty after
    cleaning comes out with ``reject`` set (and the record's start) instead
    of failing the task.
    """
    extractor = SignalExtractor(
        executor_embedder(settings.cluster_embedder),
        settings.cluster_lead_chars,
        multilingual=get_multilingual_embedder() if multilingual else None,
    )
    for batch in batches:
        rows: list[dict[str, Any]] = []
        articles: list[tuple[Article, dict[str, Any]]] = []
        for value, source, seq, reject in zip(batch["value"], batch["source"], batch["seq"], batch["reject"],
                                              strict=True):  # fmt: skip
            where = f"{source}#{seq}"
            if isinstance(reject, str):
                rows.append(_reject(seq, source, reject, value))
                continue
            try:
                record = json.loads(value)
            except (TypeError, ValueError) as error:
                rows.append(_reject(seq, source, f"invalid JSON ({error})", value))
                continue
            warnings: list[str] = []
            article = record_to_article(record, where, warnings)
            if article is None:
                rows.append(_reject(seq, source, warnings[-1].split(": ", 1)[-1] if warnings else "no article", value))
                continue
            article.source = str(source)
            size = len(article.raw_text or article.text)
            if size > settings.max_article_chars:
                rows.append(_reject(seq, source, f"too long for one article ({size:,} characters)", value))
                continue
            try:
                clean_article(article, settings)
            except Exception as error:  # one pathological text must not stop the job
                rows.append(_reject(seq, source, f"cleaning failed: {error!r}"[:300], value))
                continue
            if not article.text.strip():
                rows.append(_reject(seq, source, "nothing left after cleaning", value))
                continue
            articles.append((article, {"seq": int(seq), "source": str(source)}))
        if articles:
            signals = extractor.extract([a for a, _ in articles])
            for (article, extra), article_signals in zip(articles, signals, strict=True):
                rows.append(_article_row(article, article_signals, extra))
        yield _frame(rows, PREPARED_SCHEMA)


def _article_row(article: Article, signals: ArticleSignals, extra: dict[str, Any]) -> dict[str, Any]:
    row = dict(zip(SIGNAL_COLUMNS, signals_to_row(signals), strict=True))
    row.pop("article_id")
    row.update(extra)
    row.update(
        id=article.id, title=article.title, text=article.text, url=article.url,
        raw_text=article.raw_text if article.raw_text != article.text else None,
        canonical_url=canonical_url(article.url), published=iso(article.published),
        content_hash=content_hash(article.text), cleaning=cleaning_json(article), reject=None, record=None,
    )  # fmt: skip
    row["language"] = article.language or signals.language
    return row


def _reject(seq: Any, source: Any, reason: str, value: Any) -> dict[str, Any]:
    record = value if isinstance(value, str) else None
    return {"seq": int(seq), "source": str(source), "reject": reason,
            "record": record[:RECORD_CHARS] if record else None}  # fmt: skip


def signals_of(row: Any) -> ArticleSignals:
    """The :class:`ArticleSignals` of a prepared-article row (by the codec, as the store reads them)."""
    signals = row_to_signals([row["id"], *(_value(row[name]) for name in _SIGNAL_NAMES)])
    if isinstance(signals.time, float) and math.isnan(signals.time):
        signals.time = None
    return signals


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


# -- stage 2: term statistics ---------------------------------------------------------------------------------------
def row_keys(term_keys: bytes, names: bytes) -> np.ndarray:
    """The hashed terms and names of a prepared row, each once: what counts toward document frequencies."""
    return np.union1d(np.frombuffer(bytes(term_keys), dtype="<i4"), np.frombuffer(bytes(names), dtype="<i4"))


def document_frequencies(batches: Iterator[pd.DataFrame], buckets: int) -> Iterator[pd.DataFrame]:
    """Per-partition document frequency of every hashed term and name (non-zero buckets only)."""
    counts = np.zeros(buckets, dtype=np.int64)
    documents = 0
    for batch in batches:
        for keys, names in zip(batch["term_keys"], batch["names"], strict=True):
            counts[row_keys(keys, names)] += 1
            documents += 1
    nonzero = np.flatnonzero(counts)
    frame = pd.DataFrame({"bucket": nonzero.astype(np.int64), "df": counts[nonzero]})
    yield pd.concat([frame, pd.DataFrame({"bucket": [-1], "df": [documents]})], ignore_index=True)


# -- stage 3: blocking keys ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def _hyperplanes(dimension: int, count: int) -> np.ndarray:
    return np.random.default_rng(20230222).standard_normal((dimension, count)).astype(np.float32)


def blocking_keys(
    batches: Iterator[pd.DataFrame], settings: Settings, stats_bytes: bytes, undated_exist: bool
) -> Iterator[pd.DataFrame]:
    """Blocking keys of each article: rare names, dense-vector bands, MinHash bands, each within a time bucket.

    Two articles become a candidate pair when they share ``spark_min_shared_keys``
    keys (``base``: the key without its time bucket), or one MinHash band. Dated articles
    get keys in their own :data:`window`-long time bucket and the next one, so
    any two within the window share a bucket; undated articles (and, when
    there are any, dated ones too) get keys in a bucket of their own.
    """
    stats = term_stats(stats_bytes)
    bands, bits = settings.spark_dense_bands, settings.spark_dense_bits
    rows_per_band, minhash_bands = _minhash_bands(settings.near_duplicate_jaccard)
    window = settings.cluster_window_days
    for batch in batches:
        out_key: list[int] = []
        out_base: list[int] = []
        out_copy: list[bool] = []
        out_n: list[int] = []
        out_time: list[float | None] = []
        out_guest: list[bool] = []
        dense = np.stack([np.frombuffer(bytes(v), dtype="<f4") for v in batch["dense"]]) if len(batch) else None
        codes = (dense @ _hyperplanes(dense.shape[1], bands * bits) > 0) if dense is not None else None
        for index, (n, time, names, minhash) in enumerate(
            zip(batch["n"], batch["time"], batch["names"], batch["minhash"], strict=True)
        ):
            dated = time is not None and not math.isnan(time)
            buckets = [f"w{math.floor(time / window)}", f"w{math.floor(time / window) + 1}"] if dated else []
            if not dated or undated_exist:
                buckets.append("u")
            keys: list[str] = []
            name_keys = np.frombuffer(bytes(names), dtype="<i4")
            if len(name_keys):
                frequency = stats.document_frequency[name_keys.astype(np.int64)]
                rare = name_keys[(frequency >= 2)][np.argsort(frequency[frequency >= 2], kind="stable")]
                keys += [f"n{k}" for k in rare[: settings.spark_name_keys]]
            assert codes is not None
            for band in range(bands):
                packed = int(np.packbits(codes[index, band * bits : (band + 1) * bits]).tobytes().hex(), 16)
                keys.append(f"d{band}:{packed}")
            if minhash is not None:
                values = np.frombuffer(bytes(minhash), dtype="<u8")
                for band in range(minhash_bands):
                    chunk = values[band * rows_per_band : (band + 1) * rows_per_band]
                    keys.append(f"m{band}:{zlib.crc32(chunk.tobytes())}")
            for key in keys:
                base = _key_hash(key)
                for bucket in buckets:
                    out_key.append(_key_hash(f"{key}@{bucket}"))
                    out_base.append(base)
                    out_copy.append(key.startswith("m"))
                    out_n.append(int(n))
                    out_time.append(time if dated else None)
                    out_guest.append(bucket == "u" and dated)  # there only to be found by undated articles
        yield _frame(list(zip(out_key, out_base, out_copy, out_n, out_time, out_guest, strict=True)), KEY_SCHEMA)


@functools.lru_cache(maxsize=4)
def _minhash_bands(threshold: float) -> tuple[int, int]:
    """Rows per band and bands of the MinHash LSH datasketch would build for ``threshold`` (same signatures)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return int(lsh.r), int(lsh.b)


def _key_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


# -- stage 4: scoring candidate pairs --------------------------------------------------------------------------------
def score_pairs(
    batches: Iterator[pd.DataFrame],
    settings: Settings,
    stats_bytes: bytes,
    multilingual: bool = True,
    model_json: str = "",
) -> Iterator[pd.DataFrame]:
    """Candidate pairs (both sides' signals, columns suffixed ``_a``/``_b``) -> pairs worth linking.

    A pair is kept when the pair model (the local engine's, on the two
    articles as stories of one) gives at least ``spark_link_probability``, or
    when the two are near-copies by MinHash (the local engine files those as
    republished).
    """
    stats = term_stats(stats_bytes)
    model = pair_model(executor_embedder(settings.cluster_embedder).name, model_json)
    embedder = get_multilingual_embedder() if multilingual else None
    threshold = settings.near_duplicate_jaccard
    link = settings.spark_link_probability

    def embed(members: list[ArticleSignals]) -> None:
        assert embedder is not None
        for member, vector in zip(members, embedder.encode([m.lead for m in members]), strict=True):
            member.multilingual = vector

    names = ["id", *_SIGNAL_NAMES]
    states: OrderedDict[str, StoryState] = OrderedDict()  # recent articles' states: the pairs come sorted by `a`

    def state(values: list[Any]) -> StoryState:
        found = states.get(values[0])
        if found is not None:
            states.move_to_end(values[0])
            return found
        signals = signals_of(dict(zip(names, values, strict=True)))
        signals.lexical = stats.lexical_vector(signals.terms)
        found = states[signals.id] = StoryState.of(signals.id, [signals])
        if len(states) > PAIR_STATE_CACHE:
            states.popitem(last=False)
        return found

    for batch in batches:
        out: list[tuple[int, int, float, str]] = []
        sides = {side: [batch[f"{name}_{side}"].tolist() for name in names] for side in ("a", "b")}
        numbers_a, numbers_b = batch["n_a"].tolist(), batch["n_b"].tolist()
        for index in range(len(batch)):
            left = state([column[index] for column in sides["a"]])
            right = state([column[index] for column in sides["b"]])
            n_a, n_b = int(numbers_a[index]), int(numbers_b[index])
            hashes_a, hashes_b = left.members[0].minhash, right.members[0].minhash
            if hashes_a is not None and hashes_b is not None:
                jaccard = float(np.mean(hashes_a == hashes_b))
                if jaccard >= threshold:
                    out.append((n_a, n_b, jaccard, "copy"))
                    continue
            [(regime, probability)] = model.scored(left, [right], stats, embed if embedder else None, floor=link)
            if probability >= link:
                out.append((n_a, n_b, probability, regime))
        yield _frame(out, PAIR_SCHEMA)


# -- stage 5: the local clusterer over each partition of connected articles -------------------------------------------
def segment_rows(frame: pd.DataFrame, size: int, lead_in: int) -> pd.DataFrame:
    """Articles of components larger than ``size`` -> the segments that cluster them (``SEGMENT_SCHEMA``).

    ``frame`` holds ``n``, ``rank`` (0-based position of the article within its
    component, in stream order) and ``members`` (the component's size). Segment
    ``k`` clusters the component's articles of rank ``k * size`` to ``(k + 1) *
    size - 1`` (``lead_in`` False) and, before them, the previous segment's last
    ``lead_in`` articles again (``lead_in`` True): the stories they open are
    the ones its own articles continue, and :func:`stitch_segments` uses them to
    join each segment's stories to the previous segment's.
    """
    lead_in = min(lead_in, size)
    n = frame["n"].to_numpy(dtype=np.int64)
    rank = frame["rank"].to_numpy(dtype=np.int64)
    members = frame["members"].to_numpy(dtype=np.int64)
    segment = rank // size
    following = segment + 1
    repeated = (rank >= following * size - lead_in) & (following * size < members)
    return pd.DataFrame({
        "n": np.concatenate([n, n[repeated]]),
        "segment": np.concatenate([segment, following[repeated]]),
        "lead_in": np.concatenate([np.zeros(len(n), dtype=bool), np.ones(int(repeated.sum()), dtype=bool)]),
    })  # fmt: skip


@dataclasses.dataclass
class _Lane:
    """One local clusterer of a partition: the whole components it holds, or one segment of a large component."""

    clusterer: StreamClusterer
    stats: PartialStreamStats
    segment: int
    last_position: int
    ledger: StoryLedger = dataclasses.field(default_factory=StoryLedger)
    order: list[str] = dataclasses.field(default_factory=list)
    probability: dict[str, float] = dataclasses.field(default_factory=dict)
    lead_in: set[str] = dataclasses.field(default_factory=set)
    position: dict[str, int] = dataclasses.field(default_factory=dict)


def cluster_partition(
    batches: Iterator[pd.DataFrame],
    settings: Settings,
    stats_bytes: bytes,
    multilingual: bool = True,
    total: int | None = None,
    model_json: str = "",
) -> Iterator[pd.DataFrame]:
    """Articles of whole components (or component segments), in stream order -> their stories (``CLUSTERED_SCHEMA``).

    The partition holds every article of the components it was given (no
    candidate link leaves a component), so the local engine, fed in
    publication order, decides joins, merges and re-checks as it would on one
    machine. Its IDF is the one the whole stream would have at each article
    (:class:`PartialStreamStats`, from each row's ``position`` in the stream of
    ``total`` articles), and so are its consolidation passes (each row's
    ``position`` goes to :meth:`StreamClusterer.add_signals`). Story ids are
    named after each story's first article.

    Whole components share one clusterer. Each segment of a large component
    (``segment`` >= 0, see :func:`segment_rows`) has a clusterer of its own,
    whose stories are named ``<story>@<segment>`` for :func:`stitch_segments`.
    """
    whole = term_stats(stats_bytes)
    own: dict[tuple[int, int], np.ndarray] = {}
    last: dict[tuple[int, int], int] = {}
    rows: list[tuple[Any, ...]] = []
    with tempfile.TemporaryFile() as spill:
        # first pass: each lane's own term counts and last position, the rows spilled to disk (a component can be large)
        writer = None
        rows_seen = 0
        for batch in batches:
            rows_seen += len(batch)
            lanes_of = zip(batch["component"], batch["segment"], strict=True)
            for keys, names, (component, segment), position in zip(
                batch["term_keys"], batch["names"], lanes_of, batch["position"], strict=True
            ):
                key = _lane_key(component, segment)
                counts = own.get(key)
                if counts is None:
                    counts = own[key] = np.zeros(whole.buckets, dtype=np.int32)
                counts[row_keys(keys, names)] += 1
                last[key] = int(position)
            table = pa.Table.from_pandas(batch[list(PLACED_ARROW.names)], schema=PLACED_ARROW, preserve_index=False)
            writer = writer or pa.ipc.new_stream(spill, PLACED_ARROW)
            writer.write_table(table)
        if writer is None:
            yield _frame([], CLUSTERED_SCHEMA)
            return
        writer.close()
        spill.seek(0)
        embedder = executor_embedder(settings.cluster_embedder)
        lanes: dict[tuple[int, int], _Lane] = {}
        for record_batch in pa.ipc.open_stream(spill):
            for _, row in record_batch.to_pandas().iterrows():
                lane_key = _lane_key(row["component"], row["segment"])
                lane = lanes.get(lane_key)
                if lane is None:
                    stats = PartialStreamStats(whole, own.pop(lane_key), total or rows_seen)
                    clusterer = StreamClusterer(
                        settings, embedder=embedder, multilingual="auto" if multilingual else None,
                        model=pair_model(embedder.name, model_json),
                    )  # fmt: skip
                    clusterer.stats = stats
                    lane = lanes[lane_key] = _Lane(clusterer, stats, lane_key[1], last[lane_key])
                article_id = str(row["id"])
                position = int(row["position"])
                lane.stats.position = position
                duplicate_of = row["duplicate_of"] if isinstance(row["duplicate_of"], str) else None
                events = lane.clusterer.add_signals(signals_of(row), duplicate_of, position + 1)
                lane.order.append(article_id)
                lane.position[article_id] = position
                if bool(row["lead_in"]):
                    lane.lead_in.add(article_id)
                _record(events, lane.ledger, lane.probability)
                if position == lane.last_position:  # the lane's last article: its stories are final
                    rows.extend(_lane_rows(lanes.pop(lane_key)))
    for lane in lanes.values():
        rows.extend(_lane_rows(lane))
    yield _frame(rows, CLUSTERED_SCHEMA)


def _lane_key(component: Any, segment: Any) -> tuple[int, int]:
    return (int(component), int(segment)) if int(segment) >= 0 else (-1, -1)


def _lane_rows(lane: _Lane) -> list[tuple[Any, ...]]:
    """A finished lane's assignments (``CLUSTERED_SCHEMA``)."""
    _record(lane.clusterer.consolidate(), lane.ledger, lane.probability)
    rows = []
    for story in lane.ledger.stories(lane.order):
        story_id = story_name(story.articles[0])
        if lane.segment >= 0:
            story_id = f"{story_id}@{lane.segment}"
        for article_id in story.articles:
            rows.append((
                article_id, story_id, lane.probability.get(article_id, 1.0), lane.ledger.republished_of.get(article_id),
                lane.segment, article_id in lane.lead_in, lane.position[article_id],
            ))  # fmt: skip
    return rows


def segment_parent(pairs: pd.DataFrame) -> pd.DataFrame:
    """One segment story's lead-in articles -> the previous segment's story it continues.

    ``pairs`` holds ``child`` (a story of segment ``k``) and ``parent`` (the
    story of segment ``k - 1`` that each of the child's lead-in articles
    belongs to). The child continues the parent most of them belong to (ties:
    the first by name); a child never joins two parents, so stitching cannot
    chain two stories the previous segment kept apart.
    """
    if pairs.empty:
        return pd.DataFrame({"child": pd.Series(dtype=object), "parent": pd.Series(dtype=object)})
    counted = pairs.groupby(["child", "parent"]).size().reset_index(name="votes")
    counted = counted.sort_values(["child", "votes", "parent"], ascending=[True, False, True])
    return counted.drop_duplicates("child")[["child", "parent"]].reset_index(drop=True)


def stitch_segments(clustered: pd.DataFrame) -> pd.DataFrame:
    """``cluster_partition`` output of a whole input -> final assignments (``ASSIGNMENT_SCHEMA``), in pandas.

    Lead-in rows are dropped; each segment story continues the story its lead-in
    articles belong to (:func:`segment_parent`), following those links back to
    the first segment's story, and every chain of segment stories is named
    after its first article. The Spark job does the same with DataFrames
    (``job.stitch_segments``); this version is for tests and benchmarks.
    """
    core = clustered[~clustered["lead_in"].astype(bool)]
    lead = clustered[clustered["lead_in"].astype(bool)]
    home = dict(zip(core["id"], core["story_id"], strict=True))
    chosen = segment_parent(pd.DataFrame({"child": lead["story_id"], "parent": [home[i] for i in lead["id"]]}))
    parent = dict(zip(chosen["child"], chosen["parent"], strict=True))

    def root(story: str) -> str:
        while story in parent:
            story = parent[story]
        return story

    segmented = core["segment"].astype(int).to_numpy() >= 0
    roots = [root(story) if cut else story for story, cut in zip(core["story_id"], segmented, strict=True)]
    core = core.assign(root=roots)
    first = core.sort_values("position").drop_duplicates("root").set_index("root")["id"]
    story_ids = [story_name(first[r]) if cut else r for r, cut in zip(roots, segmented, strict=True)]
    return core.assign(story_id=story_ids)[_columns(ASSIGNMENT_SCHEMA)].reset_index(drop=True)


def story_name(first_article: str) -> str:
    """A story's id: stable for the same first article, whichever executor built it."""
    return "st-" + hashlib.sha1(first_article.encode()).hexdigest()[:12]


def _record(events: list[ClusterEvent], ledger: StoryLedger, probability: dict[str, float]) -> None:
    ledger.apply(events)
    for event in events:
        if event.article and event.kind in ("join", "republished", "move") and event.probability is not None:
            probability[event.article] = event.probability


# -- stage 6: facts per story ---------------------------------------------------------------------------------------
def compare_group(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One story's articles -> its comparison (JSON) and its articles' annotations, by the local engine."""
    from ..annotate import annotate_articles
    from ..compare import compare_story
    from ..incremental import _annotations

    frame = frame.sort_values(["time_order", "seq"])
    story_id = str(frame["story_id"].iat[0])
    articles = [
        Article(
            id=str(row["id"]),
            text=str(row["text"]),
            title=_text(row["title"]),
            outlet=_text(row["outlet"]),
            published=parse_published(_text(row["published"])),
            url=_text(row["url"]),
            language=_text(row["language"]),
            source=_text(row["source"]),
            duplicate_of=_text(row["duplicate_of"]),
        )
        for _, row in frame.iterrows()
    ]
    republished = {a: o for a, o in zip(frame["id"], frame["republished_of"], strict=True) if isinstance(o, str)}
    try:
        annotate_articles(articles, dataclasses.replace(settings, annotate_processes=1))
        story = Story(id=story_id, articles=[a.id for a in articles], republished=republished)
        compared = compare_story(story, articles, settings, executor_embedder("auto"))
    except Exception:  # one story the engine cannot compare is reported, the others go on
        return _frame([(story_id, None, None, 0, traceback.format_exc(limit=3)[-1000:])], COMPARED_SCHEMA)  # fmt: skip
    conflicts = sum(1 for fact in compared.facts if fact.status.value == "conflict")
    annotations = {a.id: _annotations(a) for a in articles}
    return _frame(
        [(story_id, json.dumps(to_plain(compared), ensure_ascii=False),
          json.dumps(annotations, ensure_ascii=False), conflicts, None)],
        COMPARED_SCHEMA,
    )  # fmt: skip


def fact_rows(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Stories' comparison JSON -> one row per fact (status, slot, sources, mentions with sentence offsets)."""
    for batch in batches:
        rows = []
        for story_id, comparison in zip(batch["story_id"], batch["comparison"], strict=True):
            if not isinstance(comparison, str):
                continue
            for fact in json.loads(comparison).get("facts", []):
                mentions = fact.get("mentions", [])
                articles = sorted({m["article"] for m in mentions})
                rows.append((story_id, fact.get("id"), fact.get("status"), fact.get("slot"), fact.get("text"),
                             len(articles), articles, json.dumps(mentions, ensure_ascii=False),
                             json.dumps(fact.get("updates") or [], ensure_ascii=False),
                             list(fact.get("disputed_by") or [])))  # fmt: skip
        yield _frame(rows, FACT_SCHEMA)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _frame(rows: list[Any], schema: str) -> pd.DataFrame:
    """A batch in ``schema``'s column order and types: nullable integers, ``None`` (not NaN) for missing text.

    A column of missing values would otherwise be float NaN, which Arrow cannot
    hand to Spark as a string or binary column.
    """
    frame = pd.DataFrame(rows, columns=_columns(schema))
    for name, kind in _types(schema).items():
        if kind in ("int", "long"):
            frame[name] = frame[name].astype("Int64")
        elif kind in ("double", "boolean"):
            continue
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def _types(schema: str) -> dict[str, str]:
    types = {}
    depth = 0
    for part in schema.split(","):
        if depth == 0:
            name, _, kind = part.strip().partition(" ")
            types[name] = kind.split("<", 1)[0]
        depth += part.count("<") - part.count(">")
    return types


def _columns(schema: str) -> list[str]:
    names = []
    depth = 0
    for part in schema.split(","):
        if depth == 0:
            names.append(part.strip().split(" ", 1)[0])
        depth += part.count("<") - part.count(">")
    return names


_ARROW_TYPES = {"string": pa.string(), "long": pa.int64(), "int": pa.int32(), "double": pa.float64(),
                "binary": pa.binary(), "boolean": pa.bool_()}  # fmt: skip


def arrow_schema(schema: str) -> pa.Schema:
    """The Arrow schema of a flat Spark DDL ``schema`` (the scalar types the stages use)."""
    return pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in _types(schema).items()])


PLACED_ARROW = arrow_schema(PLACED_SCHEMA)
ASSIGNMENT_ARROW = arrow_schema(ASSIGNMENT_SCHEMA)
