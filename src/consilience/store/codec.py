"""Binary forms of what the store keeps for the clusterer: article signals and term statistics.

Vectors and hashed keys are stored as little-endian numpy bytes, not pickles,
so a store is plain data any version (or any language) can read.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from ..cluster.signals import ArticleSignals, TermStats

SIGNAL_COLUMNS = (
    "article_id", "language", "time", "outlet", "lead", "words", "dense", "multilingual",
    "term_keys", "term_weights", "names", "numbers", "minhash",
)  # fmt: skip

# years share the numbers column, each with this prefix: a store written before years were kept reads as one whose
# articles name none
YEAR_PREFIX = "y"


def signals_to_row(signals: ArticleSignals) -> tuple[Any, ...]:
    """One ``signals`` table row (in :data:`SIGNAL_COLUMNS` order)."""
    keys = np.fromiter(signals.terms.keys(), dtype="<i4", count=len(signals.terms))
    weights = np.fromiter(signals.terms.values(), dtype="<f4", count=len(signals.terms))
    names = np.fromiter(sorted(signals.names), dtype="<i4", count=len(signals.names))
    return (
        signals.id,
        signals.language,
        signals.time,
        signals.outlet,
        signals.lead,
        signals.words,
        np.asarray(signals.dense, dtype="<f4").tobytes(),
        None if signals.multilingual is None else np.asarray(signals.multilingual, dtype="<f4").tobytes(),
        keys.tobytes(),
        weights.tobytes(),
        names.tobytes(),
        " ".join([*sorted(signals.numbers), *(f"{YEAR_PREFIX}{year}" for year in sorted(signals.years))]),
        None if signals.minhash is None else np.asarray(signals.minhash, dtype="<u8").tobytes(),
    )


def row_to_signals(row: tuple[Any, ...] | Any) -> ArticleSignals:
    """Back from a ``signals`` row (as selected in :data:`SIGNAL_COLUMNS` order)."""
    (article_id, language, time, outlet, lead, words, dense, multilingual,
     term_keys, term_weights, names, numbers, minhash) = row  # fmt: skip
    keys = np.frombuffer(bytes(term_keys), dtype="<i4")
    weights = np.frombuffer(bytes(term_weights), dtype="<f4")
    return ArticleSignals(
        id=article_id,
        language=language,
        time=time,
        outlet=outlet,
        lead=lead,
        dense=np.frombuffer(bytes(dense), dtype="<f4").copy(),
        terms=dict(zip(keys.tolist(), weights.tolist(), strict=True)),
        names=frozenset(np.frombuffer(bytes(names), dtype="<i4").tolist()),
        numbers=frozenset(n for n in numbers.split() if not n.startswith(YEAR_PREFIX)),
        years=frozenset(int(n[len(YEAR_PREFIX) :]) for n in numbers.split() if n.startswith(YEAR_PREFIX)),
        words=words,
        multilingual=None if multilingual is None else np.frombuffer(bytes(multilingual), dtype="<f4").copy(),
        minhash=None if minhash is None else np.frombuffer(bytes(minhash), dtype="<u8").copy(),
    )


def vector_bytes(vector: np.ndarray) -> bytes:
    """A float vector as little-endian float32 bytes."""
    return np.asarray(vector, dtype="<f4").tobytes()


def stats_to_bytes(stats: TermStats) -> bytes:
    """Document count and document frequencies, compressed (most buckets repeat the prior or are zero)."""
    header = np.array([stats.documents, stats.buckets], dtype="<i8").tobytes()
    return zlib.compress(header + stats.document_frequency.astype("<i4").tobytes(), 1)


def stats_from_bytes(data: bytes) -> TermStats:
    """Back from :func:`stats_to_bytes`."""
    raw = zlib.decompress(bytes(data))
    documents, buckets = np.frombuffer(raw[:16], dtype="<i8").tolist()
    stats = TermStats(buckets=int(buckets), prior=False)
    stats.documents = int(documents)
    stats.document_frequency = np.frombuffer(raw[16:], dtype="<i4").astype(np.int32)
    return stats
