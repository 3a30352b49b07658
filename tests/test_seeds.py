"""End to end on the two machine-translated seed articles (../shared/examples/seeds)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from consilience.cli import main

DEBRIS = ("Please enter", "Essence", ".In this", "Sino -", "-Russia -Russia")


@pytest.fixture(scope="module")
def report(seed_paths: list[Path]) -> dict[str, Any]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["compare", *map(str, seed_paths), "--json"]) == 0
    return json.loads(out.getvalue())


def _facts(report: dict[str, Any]) -> list[dict[str, Any]]:
    return report["stories"][0]["facts"]


def _corroborated_with(report: dict[str, Any], *words: str) -> list[dict[str, Any]]:
    found = []
    for fact in _facts(report):
        texts = " ".join(m["text"] for m in fact["mentions"]).lower()
        if fact["status"] == "corroborated" and all(w in texts for w in words):
            found.append(fact)
    return found


def test_one_story_with_both_articles_on_2023_02_22(report: dict[str, Any]) -> None:
    assert len(report["stories"]) == 1
    story = report["stories"][0]
    assert len(story["articles"]) == 2
    assert story["event_date"] == "2023-02-22"
    # the evidence cites the article that dates itself, not the one that borrowed the story's day
    assert story["event_date_evidence"].startswith("'Wednesday (February 22)'")
    # a timeline entry reads as the sentence that carries its date, whichever source's wording the fact took
    both = [t for t in story["timeline"] if t["date"] == "2023-02-22" and len(t["sources"]) == 2]
    assert both and all("Wednesday" in t["text"] for t in both)


@pytest.mark.parametrize(
    "words",
    [
        ("very important", "international situation"),
        ("developing", "previous years"),
        ("200", "2024"),
        ("deepen", "trust"),
        ("objective and fair position", "constructive role"),
        ("in-depth", "ukrain"),
    ],
)
def test_shared_facts_are_corroborated_by_both_articles(report: dict[str, Any], words: tuple[str, ...]) -> None:
    facts = _corroborated_with(report, *words)
    assert facts, f"no corroborated fact mentions {words}"
    assert len({m["article"] for m in facts[0]["mentions"]}) == 2


def test_trade_target_is_200_billion_dollars_in_both(report: dict[str, Any]) -> None:
    (fact,) = _corroborated_with(report, "200", "2024")[:1]
    assert fact["value"]["amount"] == 2e11 and fact["value"]["currency"] == "USD"
    values = {m["value"]["amount"] for m in fact["mentions"] if m["value"]}
    assert values == {2e11}


@pytest.mark.parametrize("words", [("brics",), ("taishan",), ("no limits",), ("patrusev",), ("lavrov",)])
def test_single_source_facts(report: dict[str, Any], words: tuple[str, ...]) -> None:
    matching = [
        f for f in _facts(report) if all(w in " ".join(m["text"] for m in f["mentions"]).lower() for w in words)
    ]
    assert matching and any(f["status"] == "single-source" for f in matching)


def test_no_conflicts_no_debris_and_offsets_point_into_cleaned_text(report: dict[str, Any]) -> None:
    story = report["stories"][0]
    assert not [f for f in story["facts"] if f["status"] == "conflict"]
    texts = {a["id"]: a["text"] for a in report["articles"]}
    for fact in story["facts"]:
        for mention in fact["mentions"]:
            assert texts[mention["article"]][mention["start"] : mention["end"]] == mention["text"]
            assert not any(d in mention["text"] for d in DEBRIS)
    for line in story["brief"]:
        assert not any(d in line["text"] for d in DEBRIS)
        assert line["facts"]


def test_quotes_are_attributed_to_the_right_speaker(report: dict[str, Any]) -> None:
    quote_facts = [f for f in _facts(report) if f["kind"] == "quote" and f["speaker"]]
    by_words = {
        "stabiliz": "Putin",
        "deepen mutual political trust": "Wang Yi",
    }
    for words, speaker in by_words.items():
        facts = [f for f in quote_facts if any(words in m["text"] for m in f["mentions"])]
        assert facts and all(speaker in (f["speaker"] or "") for f in facts), words
    names = {e["name"]: e for e in report["stories"][0]["entities"]}
    assert "Putin" in names["Vladimir Putin"]["aliases"]
