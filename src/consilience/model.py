"""The data model shared by every pipeline stage.

Plain dataclasses, no behaviour beyond small derived properties and ``to_dict``
helpers: stages are functions over these objects, storage backends persist them,
renderers read them. Character offsets always index ``Article.text`` (the cleaned
text) unless a field says otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any, Literal

FactKind = Literal["quote", "quantity", "date", "statement"]
# units of measurement; any other ``Quantity.unit`` is the noun a count counts
MEASUREMENT_UNITS = frozenset(
    {
        "percent",
        "percentage point",
        "km",
        "m",
        "kg",
        "t",
        "degree",
        "hour",
        "day",
        "night",
        "week",
        "month",
        "year",
        "magnitude",
    }
)


class FactStatus(StrEnum):
    """How the sources stand on one fact."""

    CORROBORATED = "corroborated"
    SINGLE_SOURCE = "single-source"
    CONFLICT = "conflict"
    UPDATED = "updated"  # the value changed over time in later reports (a rising toll), not a contradiction


@dataclass(frozen=True)
class CleaningEdit:
    """One change the cleaner made, in coordinates of the *raw* text.

    ``start``/``end`` delimit the raw characters that were replaced by
    ``replacement`` (empty for a pure removal, non-empty for a repair).
    """

    start: int
    end: int
    removed: str
    replacement: str
    reason: str


@dataclass
class Sentence:
    """A sentence of an article's cleaned text."""

    index: int
    start: int
    end: int
    text: str


@dataclass
class EntityMention:
    """A named-entity span in one article."""

    text: str
    label: str
    start: int
    end: int
    sentence: int
    entity_id: str | None = None


@dataclass
class Entity:
    """One real-world entity, merged across articles, with every surface form."""

    id: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    mentions: int = 0


@dataclass
class Quantity:
    """A normalised number: ``amount`` in base units (2e11 for "200 billion")."""

    text: str
    start: int
    end: int
    sentence: int
    amount: float
    unit: str | None = None
    currency: str | None = None
    qualifier: Literal["exact", "approx", "at-least", "at-most", "more-than", "less-than"] = "exact"
    conversion_of: int | None = None  # index (in the article's quantity list) of the figure this converts
    slot: str | None = None  # what it counts or measures: "killed", "age", "offer", "pirate" ... (None: unknown)
    part: bool = False  # one part of a list or a subset ("two women and one man", "15 of them"), not a total
    hedged: bool = False  # stated as a fear or a possibility ("it is feared three died"): never set against a fact

    @property
    def dimension(self) -> str:
        """What the number measures: a currency code, a unit, or ``count``."""
        if self.currency:
            return f"money:{self.currency}"
        return self.unit or "count"

    @property
    def measure(self) -> str:
        """The scale its amount is on: a currency, a unit of measurement, or ``count`` (of whatever noun)."""
        if self.currency:
            return f"money:{self.currency}"
        if self.unit in MEASUREMENT_UNITS:
            return self.unit
        return "count"


@dataclass
class DateRef:
    """A date expression resolved (when possible) to a calendar day, month or year."""

    text: str
    start: int
    end: int
    sentence: int
    granularity: Literal["day", "month", "year", "unresolved"]
    value: dt.date | None = None
    evidence: str = ""
    relative: bool = False  # a weekday or a day without its month/year, resolved from context


@dataclass
class Quote:
    """Something a speaker said, directly (quotation marks) or reported ("he said that")."""

    text: str
    start: int
    end: int
    sentence: int
    speaker: str | None  # surface form as found (or the resolved antecedent)
    speaker_entity: str | None = None  # Entity.id once merged
    direct: bool = True
    cue: str | None = None  # the reporting verb or phrase
    speaker_inferred: bool = False  # the speaker is a pronoun's antecedent ("he said"), found by recency


@dataclass
class Article:
    """One news article, as read and then progressively annotated."""

    id: str
    text: str
    title: str | None = None
    outlet: str | None = None
    published: dt.datetime | None = None
    url: str | None = None
    language: str | None = None
    source: str | None = None  # where it was read from (path, URL, path#line)
    raw_text: str | None = None  # the text before cleaning
    cleaning: list[CleaningEdit] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    entities: list[EntityMention] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    reference_date: dt.date | None = None  # the day the article speaks from
    reference_evidence: str = ""
    duplicate_of: str | None = None  # an earlier article with the same text (not an independent source)

    def sentence_at(self, offset: int) -> Sentence | None:
        """The sentence containing character ``offset`` of the cleaned text."""
        for sentence in self.sentences:
            if sentence.start <= offset < sentence.end:
                return sentence
        return None


@dataclass
class FactMention:
    """Where one source states a fact: article, sentence and character span."""

    article: str
    sentence: int
    start: int
    end: int
    text: str
    value: dict[str, Any] | None = None
    speaker: str | None = None
    date: str | None = None


@dataclass
class Fact:
    """A claim aligned across articles, with its status and provenance."""

    id: str
    kind: FactKind
    status: FactStatus
    text: str
    mentions: list[FactMention]
    speaker: str | None = None
    value: dict[str, Any] | None = None
    date: str | None = None
    conflict: str | None = None  # why the sources disagree, when status is conflict
    score: float = 0.0
    slot: str | None = None  # for a quantity fact: what is counted or measured ("killed", "magnitude", ...)
    updates: list[dict[str, Any]] = field(default_factory=list)  # when updated: the values in time order
    # the conflicting slot facts (figures set against their like across the story) whose sentences this fact shares:
    # what it says may be corroborated, a figure its sentences give is not
    disputed_by: list[str] = field(default_factory=list)

    @property
    def articles(self) -> list[str]:
        """The distinct articles that state this fact, in mention order."""
        return list(dict.fromkeys(m.article for m in self.mentions))


@dataclass
class BriefLine:
    """One line of the consolidated brief, citing the facts it rests on."""

    text: str
    facts: list[str]
    sources: list[str]
    status: FactStatus


@dataclass
class TimelineEntry:
    """A dated event on the story's timeline."""

    date: str
    granularity: str
    text: str
    facts: list[str]
    sources: list[str]


@dataclass
class LookAlike:
    """Another story that reads like this one, and how likely the pair model finds the two one event."""

    story: str
    cosine: float  # of the two stories' mean title + lead vectors
    # that the two are one event, the two scored as wholes (a merge needs 0.5); None when they lie further apart
    # in time than the clusterer's window: it never merges such stories, whatever they read like
    probability: float | None
    days_apart: float | None  # between the two stories' publication spans (None when either is undated)


@dataclass
class Evidence:
    """One signal behind a pair model decision: its value and how far it moved the log-odds of "same event"."""

    signal: str  # a pair feature (consilience.cluster.pairs.FEATURES)
    value: float
    logit: float  # the feature's weight times its value: positive speaks for one event


WEAK_MEMBERSHIP = 0.5  # below this the pair model doubts an article reports its story's event: "weakly filed"


@dataclass
class Membership:
    """How firmly an article belongs to its story, with the proof.

    The pair model's probability that the article reports the same event as
    the rest of its story (as the clusterer re-checks a weak join, or files a
    lone report at consolidation), and the signals behind it, strongest first:
    their logits and the regime's bias add up to the probability's log-odds.
    """

    article: str
    probability: float
    regime: str  # the pair model's regime (consilience.cluster.pairs.REGIMES)
    bias: float
    evidence: list[Evidence]
    placed_by_editor: str | None = None  # when an editor moved the article here (`consilience move`), ISO 8601

    @property
    def weak(self) -> bool:
        """The pair model doubts the article reports its story's event, and no editor put it there."""
        return self.probability < WEAK_MEMBERSHIP and self.placed_by_editor is None


@dataclass
class Story:
    """Articles reporting the same event."""

    id: str
    articles: list[str]
    event_date: dt.date | None = None
    event_date_evidence: str = ""
    republished: dict[str, str] = field(default_factory=dict)  # article -> the article it copies
    # the nearest other stories, most alike first (filled when asked for: `cluster_articles(look_alikes=True)`)
    look_alikes: list[LookAlike] = field(default_factory=list)
    # each article against the rest of the story, in the order of `articles` (filled when asked for:
    # `cluster_articles(memberships=True)`; articles of long stories the clusterer no longer holds are left out)
    memberships: list[Membership] = field(default_factory=list)


@dataclass
class StoryComparison:
    """A story with what its sources agree on, what only one says, and where they clash."""

    story: Story
    entities: list[Entity]
    facts: list[Fact]
    brief: list[BriefLine]
    timeline: list[TimelineEntry]


@dataclass
class Comparison:
    """The full result of a run: the articles read and the compared stories."""

    articles: list[Article]
    stories: list[StoryComparison]
    warnings: list[str] = field(default_factory=list)

    def article(self, article_id: str) -> Article:
        """The article with id ``article_id``."""
        for article in self.articles:
            if article.id == article_id:
                return article
        raise KeyError(article_id)


def sentence_index(sentences: list[Sentence], offset: int) -> int:
    """Index of the sentence containing ``offset``; between two sentences, the next one (a quotation mark
    or space before it); the last one when past the end; 0 when there are none."""
    for sentence in sentences:
        if offset < sentence.end:
            return sentence.index
    return max(0, len(sentences) - 1) if sentences else 0


def to_plain(obj: Any) -> Any:
    """Convert model objects into JSON-ready Python values (dates as ISO strings)."""
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return obj


def from_plain(kind: Any, data: Any) -> Any:
    """The inverse of :func:`to_plain` for a type hint ``kind`` (dataclasses, lists, dicts, optionals, dates)."""
    if data is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return from_plain(options[0], data) if len(options) == 1 else data
    if origin is list:
        (item,) = typing.get_args(kind) or (Any,)
        return [from_plain(item, v) for v in data]
    if origin is dict:
        _, item = typing.get_args(kind) or (Any, Any)
        return {k: from_plain(item, v) for k, v in data.items()}
    if origin is typing.Literal or kind is Any:
        return data
    if isinstance(kind, type):
        if issubclass(kind, Enum):
            return kind(data)
        if kind is dt.datetime:
            return dt.datetime.fromisoformat(data)
        if kind is dt.date:
            return dt.date.fromisoformat(data)
        if hasattr(kind, "__dataclass_fields__"):
            hints = _init_hints(typing.cast(Any, kind))
            return kind(**{k: from_plain(hints[k], v) for k, v in data.items() if k in hints})
    return data


@functools.cache
def _init_hints(kind: Any) -> dict[str, Any]:
    """The type hints of a dataclass's ``__init__`` fields (resolving them costs more than reading the data)."""
    hints = typing.get_type_hints(kind)
    return {f.name: hints[f.name] for f in fields(kind) if f.init}
