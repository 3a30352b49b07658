"""Labelled datasets: JSONL articles with a gold ``story`` field (the shared dataset format)."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from ..clean import clean_article
from ..errors import InputError
from ..ingest import read_jsonl
from ..model import Article


@dataclass
class LabelledDataset:
    """Articles in file order and their gold labels."""

    name: str
    articles: list[Article]
    gold: dict[str, str]  # article id -> story

    @property
    def stories(self) -> int:
        """Number of gold stories."""
        return len(set(self.gold.values()))


def load_labelled(path: str | Path, field: str = "story", clean: bool = True) -> LabelledDataset:
    """Read a labelled JSONL file; every line needs ``id``, ``text`` (or ``title``) and ``field``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(str(path), error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text") from None
    warnings: list[str] = []
    articles = list(read_jsonl(text, str(path), warnings))
    gold: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("id") is not None and record.get(field) is not None:
            gold[str(record["id"])] = str(record[field])
    articles = [a for a in articles if a.id in gold]
    if not articles:
        raise InputError(str(path), f"no article has both an 'id' and a '{field}' label")
    if len({a.id for a in articles}) != len(articles):
        raise InputError(str(path), "article ids are not unique")
    if clean:
        for article in articles:
            clean_article(article)
    return LabelledDataset(path.stem, articles, gold)


REDATE_START = dt.datetime(2020, 1, 6, tzinfo=dt.UTC)


def redate_undated(
    dataset: LabelledDataset, stories_per_day: int, start: dt.datetime = REDATE_START
) -> LabelledDataset:
    """A copy of ``dataset`` in which undated articles get dates, ``stories_per_day`` gold stories a day.

    Undated files (AllSides) say nothing about how a clusterer copes with a real
    stream, where dozens of unrelated events share each day. Here each gold story
    with no dated article is given a day (stories in a hash order, so a day holds
    unrelated events, never neighbours in the file) and each of its articles an
    hour of that day from a hash of its id; dated articles keep their dates.
    Deterministic: the same file and density give the same dates.
    """
    if stories_per_day < 1:
        raise ValueError("stories_per_day must be at least 1")
    dated_stories = {dataset.gold[a.id] for a in dataset.articles if a.published is not None}
    undated_stories = sorted(
        {dataset.gold[a.id] for a in dataset.articles} - dated_stories,
        key=lambda story: (zlib.crc32(story.encode("utf-8")), story),
    )
    day_of = {story: rank // stories_per_day for rank, story in enumerate(undated_stories)}
    articles = []
    for article in dataset.articles:
        story = dataset.gold[article.id]
        if article.published is None and story in day_of:
            hours = zlib.crc32(article.id.encode("utf-8")) % 24
            article = replace(article, published=start + dt.timedelta(days=day_of[story], hours=hours))
        articles.append(article)
    return LabelledDataset(f"{dataset.name}@{stories_per_day}-a-day", articles, dataset.gold)
