"""Near-duplicate detection: syndicated copies and republished wire text.

MinHash signatures of word 5-gram shingles in an LSH index (datasketch). An
article whose estimated Jaccard similarity with an active article reaches the
threshold is a republication of it: it joins that article's story as a
``republished`` copy and is not counted as an independent source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

if TYPE_CHECKING:
    from .signals import ArticleSignals

NUM_PERM = 64
MIN_SHINGLES = 8  # shorter texts (headlines) are too short to call copies by shingles
_SEED = 1
_SCHEME = MinHash(num_perm=NUM_PERM, seed=_SEED).scheme


def minhash_values(shingles: list[str]) -> np.ndarray | None:
    """The MinHash signature (``NUM_PERM`` hash values) of a shingle list; None when too short to judge."""
    if len(shingles) < MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED)
    minhash.update_batch([s.encode() for s in shingles])
    return minhash.hashvalues.copy()


class NearDuplicateIndex:
    """MinHash LSH over the active articles."""

    def __init__(self, threshold: float = 0.8) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, LeanMinHash] = {}

    def _signature(self, signals: ArticleSignals) -> LeanMinHash | None:
        if signals.minhash is None:
            return None
        return LeanMinHash(seed=_SEED, hashvalues=signals.minhash, scheme=_SCHEME)

    def find(self, signals: ArticleSignals) -> str | None:
        """The id of the active article ``signals`` copies most closely, if any reaches the threshold."""
        signature = self._signature(signals)
        if signature is None:
            return None
        best: tuple[float, str] | None = None
        for key in self._lsh.query(signature):
            similarity = signature.jaccard(self._signatures[key])
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, key)
        return best[1] if best else None

    def add(self, signals: ArticleSignals) -> None:
        """Index an article (articles with too little text are skipped)."""
        if signals.id in self._signatures:
            return
        signature = self._signature(signals)
        if signature is not None:
            self._signatures[signals.id] = signature
            self._lsh.insert(signals.id, signature)

    def remove(self, article_id: str) -> None:
        """Forget an article (when its story is retired)."""
        if self._signatures.pop(article_id, None) is not None:
            self._lsh.remove(article_id)

    def __len__(self) -> int:
        return len(self._signatures)
