"""``consilience evaluate comparison``: conflicts, updates and corroborations against a gold set.

The gold set (format and rules in docs/annotation-guidelines.md) lists, per
story of a labelled dataset, items of five types, each with evidence: exact
substrings of the articles' texts, one per source sentence.

- ``conflict``: sources give incompatible values for one slot at one time;
- ``update``: the value changed in later reports (a rising toll);
- ``corroborated``: two or more sources state the same fact;
- ``trap``: figures that look like a conflict and are not (a conversion,
  rounding, two different slots, another time);
- ``ambiguous``: the annotator could not decide; a predicted conflict there
  neither counts for nor against;
- ``apart``: sentences of different sources that say different things; a
  predicted fact holding two of them (whatever its status) tells a reader one
  source backs what it does not say;
- ``drawn``: a pair of sentences drawn at random from the facts the comparison
  once marked corroborated, labelled ``right`` (both state the fact),
  ``partly`` (both on it, one says more or something else besides) or
  ``wrong`` (they state different things): the share of right ones among the
  pairs a corroborated fact still holds estimates the precision of
  corroborations, which the hand-picked items above do not.

Each gold story is compared as one story (its gold articles; clustering is
measured by ``evaluate clustering``). A predicted fact *covers* a gold item in
an article when one of the fact's mentions is the sentence holding the item's
evidence there; it *matches* the item when it covers two or more of the item's
articles (for a conflict or an update: two that give different values).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..annotate import annotate_articles
from ..compare import compare_story
from ..embed import Embedder, get_embedder
from ..errors import InputError
from ..model import Article, Fact, FactStatus, Story, StoryComparison, sentence_index
from ..pipeline import mark_duplicates
from ..settings import DEFAULT_SETTINGS, Settings
from .datasets import LabelledDataset

ITEM_TYPES = ("conflict", "update", "corroborated", "trap", "ambiguous", "apart", "drawn")
DRAWN_LABELS = ("right", "partly", "wrong")


@dataclass
class Evidence:
    """Where one source states a gold item."""

    article: str
    evidence: str
    value: str | None = None
    sentence: int | None = None  # located in the cleaned text


@dataclass
class GoldItem:
    """One annotated fact of a story."""

    story: str
    type: str
    slot: str
    mentions: list[Evidence]
    note: str = ""
    label: str = ""  # drawn items: right, partly or wrong

    @property
    def name(self) -> str:
        """``story/type/slot`` for reports."""
        return f"{self.story}/{self.type}/{self.slot}"


@dataclass
class GoldStory:
    """A gold story: its articles and items."""

    story: str
    items: list[GoldItem]
    articles: list[str] = field(default_factory=list)  # empty: every article with this story label


@dataclass
class ComparisonScores:
    """What ``evaluate comparison`` measures."""

    stories: int = 0
    articles: int = 0
    gold_conflicts: int = 0
    gold_updates: int = 0
    gold_corroborated: int = 0
    gold_traps: int = 0
    predicted_conflicts: int = 0
    predicted_updates: int = 0
    conflicts_right: int = 0  # predicted conflicts matching a gold conflict
    conflicts_ignored: int = 0  # predicted conflicts on an ambiguous item only
    conflicts_found: int = 0  # gold conflicts matched by a predicted conflict
    updates_right: int = 0
    updates_found: int = 0
    corroborated_found: int = 0
    traps_hit: int = 0  # traps a predicted conflict matched
    gold_apart: int = 0
    apart_joined: int = 0  # apart items a predicted fact matched: sentences on different things given as one fact
    gold_drawn: Counter[str] = field(default_factory=Counter)  # drawn pairs by label
    drawn_joined: Counter[str] = field(default_factory=Counter)  # of those, still in one corroborated fact
    seconds_annotate: float = 0.0
    seconds_compare: float = 0.0
    false_conflicts: list[str] = field(default_factory=list)
    missed_conflicts: list[str] = field(default_factory=list)
    missed_corroborations: list[str] = field(default_factory=list)
    traps: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    drawn_wrong: list[str] = field(default_factory=list)  # drawn pairs labelled wrong that are still corroborated

    @property
    def drawn_precision(self) -> float:
        """Right drawn pairs over drawn pairs a corroborated fact still holds."""
        joined = sum(self.drawn_joined.values())
        return self.drawn_joined["right"] / joined if joined else 1.0

    @property
    def drawn_precision_lenient(self) -> float:
        """Right or partly right drawn pairs over drawn pairs a corroborated fact still holds."""
        joined = sum(self.drawn_joined.values())
        return (self.drawn_joined["right"] + self.drawn_joined["partly"]) / joined if joined else 1.0

    @property
    def drawn_recall(self) -> float:
        """Drawn pairs labelled right that a corroborated fact still holds, over those labelled right."""
        return self.drawn_joined["right"] / self.gold_drawn["right"] if self.gold_drawn["right"] else 1.0

    @property
    def conflict_precision(self) -> float:
        """Right predicted conflicts over predicted conflicts (ambiguous ones left out)."""
        judged = self.predicted_conflicts - self.conflicts_ignored
        return self.conflicts_right / judged if judged else 1.0

    @property
    def conflict_recall(self) -> float:
        """Gold conflicts found over gold conflicts."""
        return self.conflicts_found / self.gold_conflicts if self.gold_conflicts else 1.0

    @property
    def update_precision(self) -> float:
        """Right predicted updates over predicted updates."""
        return self.updates_right / self.predicted_updates if self.predicted_updates else 1.0

    @property
    def update_recall(self) -> float:
        """Gold updates found over gold updates."""
        return self.updates_found / self.gold_updates if self.gold_updates else 1.0

    @property
    def corroboration_recall(self) -> float:
        """Gold corroborated facts found (as corroborated) over gold corroborated facts."""
        return self.corroborated_found / self.gold_corroborated if self.gold_corroborated else 1.0

    def to_dict(self) -> dict[str, object]:
        """Plain dict for ``--json``."""
        return {
            "stories": self.stories, "articles": self.articles,
            "conflicts": {"precision": round(self.conflict_precision, 4), "recall": round(self.conflict_recall, 4),
                          "gold": self.gold_conflicts, "predicted": self.predicted_conflicts,
                          "right": self.conflicts_right, "ambiguous": self.conflicts_ignored,
                          "found": self.conflicts_found},
            "updates": {"precision": round(self.update_precision, 4), "recall": round(self.update_recall, 4),
                        "gold": self.gold_updates, "predicted": self.predicted_updates, "found": self.updates_found},
            "corroborations": {"recall": round(self.corroboration_recall, 4), "gold": self.gold_corroborated,
                               "found": self.corroborated_found},
            "traps": {"gold": self.gold_traps, "false_conflicts": self.traps_hit},
            "apart": {"gold": self.gold_apart, "joined": self.apart_joined},
            "drawn": {"gold": dict(self.gold_drawn), "joined": dict(self.drawn_joined),
                      "precision": round(self.drawn_precision, 4),
                      "precision_right_or_partly": round(self.drawn_precision_lenient, 4),
                      "recall_right": round(self.drawn_recall, 4)},
            "seconds": {"annotate": round(self.seconds_annotate, 2), "compare": round(self.seconds_compare, 2)},
            "false_conflicts": self.false_conflicts, "missed_conflicts": self.missed_conflicts,
            "missed_corroborations": self.missed_corroborations, "traps_hit": self.traps,
            "apart_joined": self.joined, "drawn_wrong_joined": self.drawn_wrong,
        }  # fmt: skip


def load_gold(path: str | Path) -> list[GoldStory]:
    """Read a gold file; every problem is reported with the item it is in."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(str(path), error.strerror or str(error)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(str(path), f"not a JSON gold file ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("stories"), list):
        raise InputError(str(path), 'a gold file is an object with a "stories" list')
    stories = []
    for number, raw in enumerate(data["stories"], 1):
        where = f"story {number}"
        if not isinstance(raw, dict) or not isinstance(raw.get("story"), str):
            raise InputError(str(path), f'{where}: needs a "story" label')
        items = []
        for item_number, item in enumerate(raw.get("items", []), 1):
            label = f"{raw['story']} item {item_number}"
            if not isinstance(item, dict) or item.get("type") not in ITEM_TYPES:
                raise InputError(str(path), f"{label}: type must be one of {', '.join(ITEM_TYPES)}")
            mentions = item.get("mentions")
            if not isinstance(mentions, list) or len(mentions) < 2:
                raise InputError(str(path), f"{label}: needs two or more mentions")
            evidence = []
            for mention in mentions:
                if not isinstance(mention, dict) or not mention.get("article") or not mention.get("evidence"):
                    raise InputError(str(path), f'{label}: every mention needs "article" and "evidence"')
                value = mention.get("value")
                evidence.append(Evidence(str(mention["article"]), str(mention["evidence"]),
                                         None if value is None else str(value)))  # fmt: skip
            drawn_label = str(item.get("label", ""))
            if item["type"] == "drawn" and drawn_label not in DRAWN_LABELS:
                raise InputError(str(path), f"{label}: a drawn item's label must be one of {', '.join(DRAWN_LABELS)}")
            items.append(GoldItem(raw["story"], item["type"], str(item.get("slot", "")), evidence,
                                  str(item.get("note", "")), drawn_label))  # fmt: skip
        stories.append(GoldStory(raw["story"], items, [str(a) for a in raw.get("articles", [])]))
    return stories


def locate(article: Article, evidence: str) -> int | None:
    """The sentence of ``article`` holding ``evidence`` (exact, else with spacing normalised)."""
    start = article.text.find(evidence)
    if start < 0:
        pattern = r"\s*".join(re.escape(word) for word in evidence.split())
        match = re.search(pattern, article.text)
        if match is None:
            return None
        start = match.start()
    return sentence_index(article.sentences, start)


def evaluate_comparison(
    gold: Sequence[GoldStory],
    datasets: Sequence[LabelledDataset],
    settings: Settings = DEFAULT_SETTINGS,
    embedder: Embedder | None = None,
    on_story: Callable[[str, StoryComparison], None] | None = None,
) -> ComparisonScores:
    """Compare every gold story's articles and score the facts against the gold items."""
    embedder = embedder or get_embedder()
    scores = ComparisonScores()
    for gold_story in gold:
        articles = _story_articles(gold_story, datasets)
        warnings: list[str] = []
        mark_duplicates(articles, warnings)
        started = time.perf_counter()
        annotate_articles(articles, settings)
        scores.seconds_annotate += time.perf_counter() - started
        by_id = {a.id: a for a in articles}
        for item in gold_story.items:
            for mention in item.mentions:
                if mention.article not in by_id:
                    raise InputError(gold_story.story, f"{item.name}: article {mention.article} is not in the story")
                mention.sentence = locate(by_id[mention.article], mention.evidence)
                if mention.sentence is None:
                    raise InputError(
                        gold_story.story, f"{item.name}: evidence {mention.evidence!r} is not in {mention.article}"
                    )
        started = time.perf_counter()
        compared = compare_story(Story(id=gold_story.story, articles=[a.id for a in articles]), articles, settings,
                                 embedder)  # fmt: skip
        scores.seconds_compare += time.perf_counter() - started
        if on_story is not None:
            on_story(gold_story.story, compared)
        scores.stories += 1
        scores.articles += len(articles)
        _score_story(gold_story, compared.facts, scores)
    return scores


def _story_articles(gold_story: GoldStory, datasets: Sequence[LabelledDataset]) -> list[Article]:
    for dataset in datasets:
        members = [a for a in dataset.articles if dataset.gold.get(a.id) == gold_story.story]
        if gold_story.articles:
            wanted = set(gold_story.articles)
            members = [a for a in members if a.id in wanted]
        if members:
            return members
    raise InputError(gold_story.story, "no article of this story is in the dataset(s) given")


def _covered(fact: Fact, item: GoldItem) -> list[Evidence]:
    sentences = {(m.article, m.sentence) for m in fact.mentions}
    return [m for m in item.mentions if (m.article, m.sentence) in sentences]


def _matches(fact: Fact, item: GoldItem) -> bool:
    covered = _covered(fact, item)
    if len({m.article for m in covered}) < 2:
        return False
    if item.type in ("conflict", "update"):
        return len({m.value for m in covered}) >= 2
    return True


def _score_story(gold_story: GoldStory, facts: list[Fact], scores: ComparisonScores) -> None:
    items = gold_story.items
    by_type = {kind: [i for i in items if i.type == kind] for kind in ITEM_TYPES}
    scores.gold_conflicts += len(by_type["conflict"])
    scores.gold_updates += len(by_type["update"])
    scores.gold_corroborated += len(by_type["corroborated"])
    scores.gold_traps += len(by_type["trap"])
    scores.gold_apart += len(by_type["apart"])
    conflicts = [f for f in facts if f.status == FactStatus.CONFLICT]
    updates = [f for f in facts if f.status == FactStatus.UPDATED]
    scores.predicted_conflicts += len(conflicts)
    scores.predicted_updates += len(updates)
    for fact in conflicts:
        if any(_matches(fact, item) for item in by_type["conflict"]):
            scores.conflicts_right += 1
        elif any(_matches(fact, item) for item in by_type["ambiguous"]):
            scores.conflicts_ignored += 1
        else:
            scores.false_conflicts.append(f"{gold_story.story}: {fact.conflict} | {fact.text[:120]}")
    for item in by_type["trap"]:
        if any(_matches(f, item) and not any(_matches(f, c) for c in by_type["conflict"]) for f in conflicts):
            scores.traps_hit += 1
            scores.traps.append(item.name)
    for item in by_type["conflict"]:
        if any(_matches(f, item) for f in conflicts):
            scores.conflicts_found += 1
        else:
            scores.missed_conflicts.append(item.name)
    for fact in updates:
        if any(_matches(fact, item) for item in by_type["update"]):
            scores.updates_right += 1
    scores.updates_found += sum(any(_matches(f, item) for f in updates) for item in by_type["update"])
    for item in by_type["apart"]:
        if any(_matches(f, item) for f in facts):
            scores.apart_joined += 1
            scores.joined.append(item.name)
    corroborated = [f for f in facts if f.status == FactStatus.CORROBORATED]
    for item in by_type["drawn"]:
        scores.gold_drawn[item.label] += 1
        if any(_matches(f, item) for f in corroborated):
            scores.drawn_joined[item.label] += 1
            if item.label == "wrong":
                scores.drawn_wrong.append(f"{item.name}: {item.note}" if item.note else item.name)
    for item in by_type["corroborated"]:
        if any(_matches(f, item) for f in corroborated):
            scores.corroborated_found += 1
        else:
            scores.missed_corroborations.append(item.name)
