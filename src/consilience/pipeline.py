"""The pipeline: ingest -> clean -> annotate -> cluster -> compare, as one call."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from .annotate import annotate_articles
from .clean import clean_article, content_hash
from .cluster import cluster_articles
from .compare import compare_story
from .embed import Embedder, get_embedder
from .errors import NoArticlesError
from .ingest import read_inputs
from .model import Article, Comparison
from .settings import DEFAULT_SETTINGS, Settings


def compare(
    articles: Iterable[Article],
    settings: Settings = DEFAULT_SETTINGS,
    embedder: Embedder | None = None,
    progress: bool = False,
) -> Comparison:
    """Clean, annotate, cluster and compare articles; the library's main entry point."""
    warnings: list[str] = []
    kept: list[Article] = []
    for article in articles:
        if len(article.raw_text or article.text) > settings.max_article_chars:
            warnings.append(
                f"{article.source or article.id}: skipped, {len(article.raw_text or article.text):,} characters is "
                f"too long for one news article (limit {settings.max_article_chars:,})"
            )
            continue
        clean_article(article, settings)
        if not article.text.strip():
            warnings.append(f"{article.source or article.id}: skipped, nothing left after cleaning")
            continue
        kept.append(article)
    if not kept:
        raise NoArticlesError("no articles to compare" + (": " + "; ".join(warnings) if warnings else ""))
    mark_duplicates(kept, warnings)
    annotate_articles(kept, settings, progress=progress)
    embedder = embedder or get_embedder()
    stories = sorted(
        cluster_articles(kept, settings, embedder, look_alikes=True, memberships=True), key=lambda s: -len(s.articles)
    )
    renamed = {story.id: f"s{number}" for number, story in enumerate(stories, 1)}
    for story in stories:
        story.id = renamed[story.id]  # largest story first; ids are final before facts are named after them
        for alike in story.look_alikes:
            alike.story = renamed[alike.story]
    compared = [compare_story(story, kept, settings, embedder) for story in stories]
    return Comparison(articles=kept, stories=compared, warnings=warnings)


def compare_paths(
    paths: Sequence[str | os.PathLike[str]],
    settings: Settings = DEFAULT_SETTINGS,
    strict: bool = False,
    progress: bool = False,
) -> Comparison:
    """Read articles from files, folders or globs and compare them."""
    read = read_inputs(paths, settings, strict=strict)
    if not read.articles:
        raise NoArticlesError("no articles found in " + ", ".join(map(str, paths)) + _why(read.warnings))
    result = compare(read.articles, settings, progress=progress)
    result.warnings[:0] = read.warnings
    return result


def _why(warnings: list[str]) -> str:
    return f" ({'; '.join(warnings)})" if warnings else ""


def mark_duplicates(articles: list[Article], warnings: list[str]) -> None:
    """Exact copies (same cleaned text) point to their first occurrence."""
    first: dict[str, str] = {}
    for article in articles:
        digest = content_hash(article.text)
        if digest in first:
            article.duplicate_of = first[digest]
            warnings.append(f"{article.id}: same text as {first[digest]}, counted once")
        else:
            first[digest] = article.id
