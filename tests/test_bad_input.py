"""Awkward articles all get a sensible result and no crash."""

from __future__ import annotations

import pytest

from consilience import Article, compare
from consilience.errors import NoArticlesError


def test_without_dates_or_titles() -> None:
    result = compare([Article(id="a", text="Robbers stole jewels worth 85 million euros from a Paris store.")])
    assert result.stories[0].story.event_date is None
    assert result.stories[0].facts


def test_one_sentence_and_unknown_language() -> None:
    result = compare([Article(id="a", text="Ok."), Article(id="b", text="Zxq vrbl kptt.")])
    assert sorted(a for s in result.stories for a in s.story.articles) == ["a", "b"]


def test_exact_duplicates_are_not_independent_sources() -> None:
    text = "The Indian navy captured 23 Somali pirates in the Gulf of Aden on Saturday, officials said."
    result = compare([Article(id="a", text=text), Article(id="b", text=text)])
    (story,) = result.stories
    assert story.story.articles == ["a", "b"]
    assert all(f.status.value == "single-source" for f in story.facts)
    assert any("same text as a" in w for w in result.warnings)


def test_empty_input() -> None:
    with pytest.raises(NoArticlesError):
        compare([])
    with pytest.raises(NoArticlesError):
        compare([Article(id="a", text="   \n  ")])
