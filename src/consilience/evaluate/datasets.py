"""Labelled datasets: JSONL articles with a gold ``story`` field (the shared dataset format)."""

from __future__ import annotations

import json
from dataclasses import dataclass
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
