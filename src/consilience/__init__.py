"""consilience: read many outlets' reports of one event and lay them side by side.

The curated public API::

    import consilience
    result = consilience.compare_paths(["a.txt", "b.txt"])   # or compare(list_of_articles)
    for story in result.stories:
        for fact in story.facts:
            print(fact.status.value, fact.text, fact.articles)

Stages (one module each, run in this order): :mod:`~consilience.ingest`,
:mod:`~consilience.clean`, :mod:`~consilience.annotate`, :mod:`~consilience.cluster`,
:mod:`~consilience.compare`, :mod:`~consilience.render`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .annotate import annotate_articles
from .clean import clean_article, clean_text
from .cluster import StreamClusterer, cluster_articles
from .compare import compare_story
from .errors import ConsilienceError, InputError, NoArticlesError, UsageError
from .ingest import read_file, read_inputs
from .model import (
    Article,
    Comparison,
    Entity,
    Fact,
    FactMention,
    FactStatus,
    LookAlike,
    Quantity,
    Quote,
    Story,
    StoryComparison,
)
from .pipeline import compare, compare_paths
from .render import print_report, to_html, to_json, to_markdown
from .settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "DEFAULT_SETTINGS",
    "Article",
    "Comparison",
    "ConsilienceError",
    "Entity",
    "Fact",
    "FactMention",
    "FactStatus",
    "InputError",
    "LookAlike",
    "NoArticlesError",
    "Quantity",
    "Quote",
    "Settings",
    "Story",
    "StoryComparison",
    "StreamClusterer",
    "UsageError",
    "__version__",
    "annotate_articles",
    "clean_article",
    "clean_text",
    "cluster_articles",
    "compare",
    "compare_paths",
    "compare_story",
    "print_report",
    "read_file",
    "read_inputs",
    "to_html",
    "to_json",
    "to_markdown",
]  # fmt: skip
