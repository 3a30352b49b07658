"""Index and cluster stages: article signals, the pair model, the streaming clusterer.

- :mod:`~consilience.cluster.signals`: what the clusterer reads of an article (index stage).
- :mod:`~consilience.cluster.pairs`: pair features and the trained pair model.
- :mod:`~consilience.cluster.neardup`: MinHash near-duplicates (republished copies).
- :mod:`~consilience.cluster.stream`: the incremental clusterer and its event ledger.
- :mod:`~consilience.cluster.train`: fitting the pair model on development data.
"""

from .neardup import NearDuplicateIndex
from .pairs import FEATURES, PairModel, StoryState, pair_features
from .signals import ArticleSignals, SignalExtractor, TermStats
from .stream import (
    ClusterEvent,
    KeepingArchive,
    MemoryArchive,
    StoryArchive,
    StoryLedger,
    StreamClusterer,
    cluster_articles,
    publication_order,
)

__all__ = [
    "FEATURES",
    "ArticleSignals",
    "ClusterEvent",
    "KeepingArchive",
    "MemoryArchive",
    "NearDuplicateIndex",
    "PairModel",
    "SignalExtractor",
    "StoryArchive",
    "StoryLedger",
    "StoryState",
    "StreamClusterer",
    "TermStats",
    "cluster_articles",
    "pair_features",
    "publication_order",
]
