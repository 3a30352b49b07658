"""The documented machine form (see docs/json.md)."""

from __future__ import annotations

from typing import Any

from ..model import Article, Comparison, StoryComparison, to_plain
from .common import coverage_matrix

SCHEMA_VERSION = 1


def to_json(comparison: Comparison, include_cleaning: bool = True) -> dict[str, Any]:
    """The comparison as JSON-ready data: articles, stories (entities, facts, brief, timeline), warnings."""
    return {
        "schema_version": SCHEMA_VERSION,
        "articles": [_article(a, include_cleaning) for a in comparison.articles],
        "stories": [_story(s) for s in comparison.stories],
        "warnings": list(comparison.warnings),
    }


def _article(article: Article, include_cleaning: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": article.id,
        "source": article.source,
        "outlet": article.outlet,
        "title": article.title,
        "published": to_plain(article.published),
        "url": article.url,
        "language": article.language,
        "reference_date": to_plain(article.reference_date),
        "reference_evidence": article.reference_evidence,
        "duplicate_of": article.duplicate_of,
        "sentences": len(article.sentences),
        "text": article.text,
    }
    if include_cleaning:
        data["cleaning"] = [to_plain(edit) for edit in article.cleaning]
    return data


def _story(item: StoryComparison) -> dict[str, Any]:
    return {
        "id": item.story.id,
        "articles": list(item.story.articles),
        "event_date": to_plain(item.story.event_date),
        "event_date_evidence": item.story.event_date_evidence,
        "look_alikes": [to_plain(alike) for alike in item.story.look_alikes],
        "memberships": [to_plain(membership) for membership in item.story.memberships],
        "entities": [to_plain(e) for e in item.entities],
        "facts": [
            {
                "id": f.id,
                "kind": f.kind,
                "status": f.status.value,
                "text": f.text,
                "speaker": f.speaker,
                "value": f.value,
                "date": f.date,
                "conflict": f.conflict,
                "slot": f.slot,
                "updates": f.updates,
                "disputed_by": f.disputed_by,
                "sources": f.articles,
                "mentions": [to_plain(m) for m in f.mentions],
            }
            for f in item.facts
        ],
        "brief": [to_plain(line) for line in item.brief],
        "timeline": [to_plain(entry) for entry in item.timeline],
        "coverage": coverage_matrix(item),
    }
