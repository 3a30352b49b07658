"""Cluster: file each article under a story, incrementally, in publication order.

First version: an article joins the most similar active story when the cosine
between its title+lead embedding and the story centroid is high enough, or when
they share enough named entities at a lower cosine; otherwise it starts a new
story. Exact duplicates join their original's story. The clustering issue
replaces the decision with a trained pair model; the interface stays.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np

from .annotate.entities import normalise_name
from .embed import Embedder, Vectors, get_embedder
from .model import Article, Story
from .settings import DEFAULT_SETTINGS, Settings

_KEY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT"}


@dataclass
class _ActiveStory:
    story: Story
    centroid: Vectors
    entities: set[str] = field(default_factory=set)
    size: int = 0


class StoryClusterer:
    """Assigns articles to stories one at a time, without revisiting history."""

    def __init__(self, settings: Settings = DEFAULT_SETTINGS, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or get_embedder()
        self.stories: list[_ActiveStory] = []
        self._story_of_article: dict[str, _ActiveStory] = {}

    def add(self, article: Article) -> Story:
        """File ``article`` under an existing story or a new one, and return that story."""
        if article.duplicate_of and article.duplicate_of in self._story_of_article:
            active = self._story_of_article[article.duplicate_of]
            active.story.articles.append(article.id)
            self._story_of_article[article.id] = active
            return active.story
        vector = self.embedder.encode([lead_text(article)])[0]
        entities = entity_keys(article)
        best: tuple[float, _ActiveStory] | None = None
        for active in self.stories:
            cosine = float(np.dot(vector, active.centroid))
            overlap = len(entities & active.entities) / max(1, min(len(entities), len(active.entities)))
            joins = cosine >= self.settings.story_similarity or (
                overlap >= self.settings.story_entity_overlap and cosine >= self.settings.story_entity_similarity
            )
            score = cosine + 0.5 * overlap
            if joins and (best is None or score > best[0]):
                best = (score, active)
        if best is None:
            story = Story(id=f"s{len(self.stories) + 1}", articles=[article.id])
            active = _ActiveStory(story=story, centroid=vector, entities=set(entities), size=1)
            self.stories.append(active)
        else:
            active = best[1]
            active.story.articles.append(article.id)
            centroid = active.centroid * active.size + vector
            active.centroid = (centroid / max(np.linalg.norm(centroid), 1e-12)).astype(np.float32)
            active.entities |= entities
            active.size += 1
        self._story_of_article[article.id] = active
        return active.story


def cluster_articles(
    articles: list[Article], settings: Settings = DEFAULT_SETTINGS, embedder: Embedder | None = None
) -> list[Story]:
    """Group articles into stories, feeding them in publication order (undated first, in input order)."""
    clusterer = StoryClusterer(settings, embedder)
    order = sorted(range(len(articles)), key=lambda i: (_publication_key(articles[i]), i))
    for index in order:
        clusterer.add(articles[index])
    return [active.story for active in clusterer.stories]


def lead_text(article: Article, sentences: int = 3) -> str:
    """Title and first sentences: what the story-level embedding reads."""
    lead = " ".join(s.text for s in article.sentences[:sentences]) or article.text[:600]
    return f"{article.title or ''}. {lead}"[:1000]


def entity_keys(article: Article) -> set[str]:
    """Normalised names of the people, organisations and places an article names."""
    return {normalise_name(m.text) for m in article.entities if m.label in _KEY_LABELS and re.search(r"\w", m.text)}


def _publication_key(article: Article) -> dt.datetime:
    """Publication time in UTC (naive times read as UTC); undated articles sort first."""
    published = article.published
    if published is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return published if published.tzinfo else published.replace(tzinfo=dt.UTC)
