"""Index stage: what the clusterer reads of an article, computed once per article.

An article becomes :class:`ArticleSignals`: a dense vector of its title and
lead, a multilingual vector when it is not in English, hashed content terms
(weighted by an IDF that grows with the stream, :class:`TermStats`), hashed
name tokens (capitalised words and acronyms, which survive translation),
numbers, the years it names, publication time and outlet. Everything is
fixed-size or bounded by the article's length, so memory follows the number
of *active* articles.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..annotate.language import detect_language
from ..embed import Embedder, Vectors
from ..model import Article
from .neardup import minhash_values

NEUTRAL_LANGUAGES = frozenset({"en", "und"})  # languages the monolingual (English) vectors read
TERM_BUCKETS = 1 << 20  # hashed vocabulary: the DF table stays 4 MB however long the stream
LEXICAL_DIMENSION = 2048  # TF-IDF folded to a fixed-size vector, for member-to-member lexical cosines
_WORD = re.compile(r"[^\W\d_]{3,}")
_NAME = re.compile(r"(?<![\w'’])(?:[A-Z][A-Z0-9&]{1,}|[^\W\d_a-z]\w*[^\W\d_]|\w*[A-Z]\w*[A-Z]\w*)", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”«»\n]\s*)$")
_NUMBER = re.compile(r"(?<![\w.,])\d[\d.,]*")
_YEAR = re.compile(r"(?<![\w.,$€£])(?:19|20)\d\d(?![\w%]|[.,]\d)")


@dataclass(slots=True)
class ArticleSignals:
    """The clustering view of one article."""

    id: str
    language: str
    time: float | None  # publication time in days since 1970-01-01 (UTC), None when undated
    outlet: str | None
    lead: str  # title and first characters, what the embedders read
    dense: Vectors
    terms: dict[int, float]  # hashed term -> 1 + log(tf)
    names: frozenset[int]
    numbers: frozenset[str]
    words: int = 0
    years: frozenset[int] = frozenset()  # four-digit numbers written as years ("2008", not "2,008")
    multilingual: Vectors | None = None
    lexical: Vectors | None = None  # set by the clusterer, with the IDF of the moment it arrives
    minhash: np.ndarray | None = None  # MinHash of word 5-grams (None for texts too short to call copies)


BACKGROUND_LANGUAGES = ("en", "es", "fr", "de", "it", "nl", "pt")
BACKGROUND_DOCUMENTS = 1000  # pseudo-documents of the IDF prior
BACKGROUND_WORDS = 30000  # most frequent words per language in the prior
_WORDS_PER_DOCUMENT = 400


@functools.lru_cache(maxsize=1)
def background_document_frequency() -> np.ndarray:
    """Document frequencies of :data:`BACKGROUND_DOCUMENTS` pseudo-documents drawn from word frequencies.

    A stream's own IDF means little while it holds a handful of articles (every
    word is rare in 15 documents); this prior, from the ``wordfreq`` lists of
    common languages, gives "the" and "said" a low weight from the first
    article on, and fades as real documents accumulate. Empty when ``wordfreq``
    is missing.
    """
    frequency = np.zeros(TERM_BUCKETS, dtype=np.int32)
    try:
        import wordfreq
    except ImportError:
        return frequency
    for language in BACKGROUND_LANGUAGES:
        seen = 0
        for bucket, words in enumerate(wordfreq.get_frequency_list(language)):
            share = 1.0 - math.exp(-(10.0 ** (-bucket / 100.0)) * _WORDS_PER_DOCUMENT)
            count = round(share * BACKGROUND_DOCUMENTS)
            for word in words:
                if _WORD.fullmatch(word):
                    key = _hash("t:" + word)
                    frequency[key] = max(int(frequency[key]), count)
            seen += len(words)
            if seen >= BACKGROUND_WORDS or count == 0:
                break
    # wordfreq keeps every list it read (all of each language's words, about 190 MB for the seven) for the life of
    # the process; the prior needs them once
    getattr(wordfreq.get_frequency_list, "cache_clear", lambda: None)()
    return frequency


class TermStats:
    """Document frequencies of hashed terms over every article seen so far, on top of a word-frequency prior."""

    def __init__(self, buckets: int = TERM_BUCKETS, prior: bool = True) -> None:
        self.buckets = buckets
        if prior and buckets == TERM_BUCKETS:
            self.document_frequency = background_document_frequency().copy()
            self.documents = BACKGROUND_DOCUMENTS
        else:
            self.document_frequency = np.zeros(buckets, dtype=np.int32)
            self.documents = 0

    def add(self, keys: Sequence[int] | frozenset[int] | dict[int, float]) -> None:
        """Count one more document containing ``keys``."""
        self.documents += 1
        if keys:
            self.document_frequency[np.fromiter(keys, dtype=np.int64, count=len(keys))] += 1

    def idf(self, key: int) -> float:
        """Smoothed inverse document frequency of one hashed key."""
        return math.log((self.documents + 1) / (int(self.document_frequency[key]) + 1)) + 1.0

    def lexical_vector(self, terms: dict[int, float]) -> Vectors:
        """TF-IDF of ``terms`` folded into :data:`LEXICAL_DIMENSION` signed buckets, L2-normalised."""
        vector = np.zeros(LEXICAL_DIMENSION, dtype=np.float32)
        if terms:
            keys = np.fromiter(terms.keys(), dtype=np.int64, count=len(terms))
            weights = np.fromiter(terms.values(), dtype=np.float64, count=len(terms)) * self.idfs(keys)
            signs = np.where((keys // LEXICAL_DIMENSION) % 2 == 0, 1.0, -1.0)
            np.add.at(vector, keys % LEXICAL_DIMENSION, (weights * signs).astype(np.float32))
            vector /= max(float(np.linalg.norm(vector)), 1e-12)
        return vector

    def idfs(self, keys: Sequence[int] | np.ndarray) -> np.ndarray:
        """Smoothed inverse document frequencies of many hashed keys."""
        frequency = self.document_frequency[np.asarray(keys, dtype=np.int64)]
        return np.log((self.documents + 1) / (frequency + 1.0)) + 1.0


class PartialStreamStats(TermStats):
    """The term statistics one stream would have, for a worker that is fed only part of that stream.

    The Spark stories stage gives each worker whole components of the input,
    not the whole stream. Counting only the worker's own articles would give an
    IDF unlike the local engine's (a partition's topics are its components'
    topics); loading the whole input's counts from the start would give every
    article the IDF of the stream's end. This counts the worker's own articles
    as they arrive, as the local engine does, and adds the rest of the input
    spread evenly over the stream: at global position ``p`` of ``total``, a
    term that ``d`` articles of other workers contain counts ``d * p / total``.
    Set :attr:`position` (the article's 0-based rank in the whole stream)
    before adding each article.
    """

    def __init__(self, whole: TermStats, own: np.ndarray, total: int) -> None:
        """``whole``: prior plus every input article's counts; ``own``: this worker's articles' counts."""
        super().__init__(whole.buckets)
        self._prior_documents = self.documents
        self._elsewhere = np.maximum(
            whole.document_frequency.astype(np.float32) - self.document_frequency - own.astype(np.float32), 0.0
        )
        self.total = max(total, 1)
        self.position = 0

    def add(self, keys: Sequence[int] | frozenset[int] | dict[int, float]) -> None:
        """Count one more own document; the stream has then seen ``position + 1`` documents."""
        super().add(keys)
        self.documents = self._prior_documents + self.position + 1

    def idf(self, key: int) -> float:
        """Smoothed inverse document frequency at the current position."""
        return float(self.idfs([key])[0])

    def idfs(self, keys: Sequence[int] | np.ndarray) -> np.ndarray:
        """Smoothed inverse document frequencies at the current position."""
        keys = np.asarray(keys, dtype=np.int64)
        frequency = self.document_frequency[keys] + self._elsewhere[keys] * (self.position / self.total)
        return np.log((self.documents + 1) / (frequency + 1.0)) + 1.0


def lead_text(article: Article, characters: int = 300) -> str:
    """Title and the first ``characters`` of the body: what the embedders read."""
    title = (article.title or "").strip()
    body = article.text.strip()
    if title and body.startswith(title):
        body = body[len(title) :].strip()
    lead = body[:characters]
    if len(body) > characters and " " in lead:
        lead = lead[: lead.rindex(" ")]
    return f"{title}. {lead}".strip(". ") if title else lead


def term_keys(text: str) -> dict[int, float]:
    """Hashed lower-case words of three letters or more, with sublinear counts."""
    counts = Counter(_WORD.findall(text.casefold()))
    return {_hash("t:" + word): 1.0 + math.log(count) for word, count in counts.items()}


def name_keys(text: str) -> frozenset[int]:
    """Hashed capitalised words and acronyms that do not just open a sentence.

    Proper names are spelled the same in most languages that use the Latin
    alphabet, so this signal survives translation where content words do not.
    """
    keys = set()
    for match in _NAME.finditer(text):
        if _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]):
            continue
        keys.add(_hash("n:" + _fold(match.group())))
    return frozenset(keys)


def number_keys(text: str) -> frozenset[str]:
    """Numbers written with two or more digits, separators removed ("1,500" = "1.500" = "1500")."""
    keys = set()
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 2:
            keys.add(digits.lstrip("0") or "0")
    return frozenset(keys)


def year_keys(text: str) -> frozenset[int]:
    """Years from 1900 to 2099 as a text writes years: four digits alone, not "2,008" or "$2008" or "2008%"."""
    return frozenset(int(match.group()) for match in _YEAR.finditer(text))


def days_since_epoch(moment: dt.datetime | None) -> float | None:
    """Publication time as fractional days since 1970 (naive times read as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp() / 86400.0


def shingles(text: str, width: int = 5, characters: int = 3000) -> list[str]:
    """Overlapping word ``width``-grams of the text's start, for near-duplicate detection."""
    words = _WORD.findall(text[:characters].casefold())
    return [" ".join(words[i : i + width]) for i in range(max(0, len(words) - width + 1))]


class SignalExtractor:
    """Turns articles into :class:`ArticleSignals`, embedding them in batches.

    With a ``multilingual`` embedder, the leads of articles not in English are
    also given their multilingual vector, in one batch per call: the clusterer
    compares such an article across languages with it. An English article
    gets one only when it first meets an article in another language, from the
    clusterer.
    """

    def __init__(
        self,
        embedder: Embedder,
        lead_characters: int = 300,
        body_characters: int = 5000,
        multilingual: Embedder | None = None,
    ) -> None:
        self.embedder = embedder
        self.lead_characters = lead_characters
        self.body_characters = body_characters
        self.multilingual = multilingual

    def extract(self, articles: Sequence[Article]) -> list[ArticleSignals]:
        """Signals of ``articles``, in order (one embedding batch for all of them)."""
        leads = [lead_text(a, self.lead_characters) or a.id for a in articles]
        vectors = self.embedder.encode(leads)
        out = []
        for article, lead, vector in zip(articles, leads, vectors, strict=True):
            body = article.text[: self.body_characters]
            full = f"{article.title or ''}\n{body}" if article.title and not body.startswith(article.title) else body
            out.append(
                ArticleSignals(
                    id=article.id,
                    language=(article.language or detect_language(full)).split("-")[0].lower(),
                    time=days_since_epoch(article.published),
                    outlet=(article.outlet or "").strip().casefold() or None,
                    lead=lead,
                    dense=vector,
                    terms=term_keys(full),
                    names=name_keys(full),
                    numbers=number_keys(full),
                    years=year_keys(full),
                    minhash=minhash_values(shingles(full)),
                    words=len(full.split()),
                )
            )
        foreign = [signals for signals in out if signals.language not in NEUTRAL_LANGUAGES]
        if self.multilingual is not None and foreign:
            for signals, vector in zip(foreign, self.multilingual.encode([s.lead for s in foreign]), strict=True):
                signals.multilingual = vector
        return out


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).rstrip("'’s")


def _hash(token: str) -> int:
    return zlib.crc32(token.encode()) % TERM_BUCKETS
