"""Claims and figures: the pieces the comparison stages share.

A claim is one sentence of one article; figures are compared with tolerance for
rounding, approximations ("nearly 300") and open bounds ("more than 30").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..annotate.dates import EVENT_RELATIVE_KINDS, parse_spec
from ..model import Article, Quantity
from ..settings import Settings

STOPWORDS = frozenset({
    "the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "that",
    "this", "these", "those", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "will",
    "would", "can", "could", "should", "may", "might", "also", "its", "their", "his", "her", "our", "your", "they",
    "them", "he", "she", "it", "we", "i", "you", "which", "who", "whom", "what", "when", "where", "while", "than",
    "then", "there", "here", "about", "into", "over", "after", "before", "during", "said", "says", "say",
    "according", "told", "more", "most", "very", "such", "other", "all", "any", "some", "two", "both", "each",
    "between",
})  # fmt: skip


@dataclass
class Claim:
    """One sentence of one article, as a candidate claim."""

    article: Article
    sentence: int
    text: str
    start: int
    end: int
    words: set[str]


def content_words(text: str) -> set[str]:
    """Lower-cased word stems (first 5 letters) of the words that carry content."""
    return {w[:5] for w in re.findall(r"[^\W\d_]{3,}|\d+(?:[.,]\d+)?", text.lower()) if w not in STOPWORDS}


WEAK_UNITS = {"hour", "day", "night", "week", "month", "year", "degree"}


def is_strong(quantity: Quantity) -> bool:
    """Money, a measured unit or a count of a noun: figures worth comparing (not "two of them").

    A count whose word after it is no noun (``slot`` None: "if one occurred", "no one expected") is no figure.
    """
    if quantity.currency:
        return True
    if not quantity.unit or quantity.unit in WEAK_UNITS:
        return False
    return quantity.measure != "count" or quantity.slot is not None


def value_dict(quantity: Quantity, article: Article) -> dict[str, object]:
    return {
        "amount": quantity.amount,
        "unit": quantity.unit,
        "currency": quantity.currency,
        "qualifier": quantity.qualifier,
        "text": quantity.text,
        "start": quantity.start,
        "end": quantity.end,
        "conversions": [
            {"amount": q.amount, "currency": q.currency, "unit": q.unit, "text": q.text}
            for q in article.quantities
            if q.conversion_of is not None and article.quantities[q.conversion_of] is quantity
        ],
    }


def other_time(claim: Claim, event_date: dt.date | None) -> bool:
    """The sentence dates itself away from the event (another month, year or day)."""
    return bool(time_of(claim, event_date))


def time_of(claim: Claim, event_date: dt.date | None) -> str:
    """What time a sentence speaks of: '' for the event's own time, else the date it names.

    A sentence that opens on a pronoun ("It killed 612 people") speaks of the time of the
    sentence before it when it names none itself.
    """
    own = _sentence_time(claim.article, claim.sentence, event_date)
    if own is None and claim.sentence > 0 and _ANAPHORIC.match(claim.text):
        own = _sentence_time(claim.article, claim.sentence - 1, event_date)
    return own or ""


_ANAPHORIC = re.compile(r"^(?:It|That|This|They|Those|These|The (?:former|latter))\b")


def _sentence_time(article: Article, sentence: int, event_date: dt.date | None) -> str | None:
    """The time one sentence names: None when it names none, '' for the event's own time."""
    named = False
    for date in article.dates:
        if date.sentence != sentence:
            continue
        named = True
        spec = parse_spec(date)
        if date.value is None:
            if spec is None or spec.kind not in EVENT_RELATIVE_KINDS:
                return date.text.lower()  # "in September", "last year" with no anchor: not the event's time
            continue
        if event_date is None:
            if date.granularity in ("month", "year") and not date.relative:
                return date.value.strftime("%Y-%m" if date.granularity == "month" else "%Y")  # no event day to compare
            continue
        if date.granularity == "day" and abs((date.value - event_date).days) > 1:
            return date.value.isoformat()
        if date.granularity == "month" and (date.value.year, date.value.month) != (event_date.year, event_date.month):
            return date.value.strftime("%Y-%m")
        if date.granularity == "year" and date.value.year != event_date.year:
            return str(date.value.year)
    return "" if named else None


def compatible(a: Quantity, b: Quantity, settings: Settings) -> bool:
    """Same value allowing rounding, approximations and open bounds ("more than 30").

    Each figure admits the values within its own rounding (:func:`bounds`); two
    figures are compatible when either admits the other's value.
    """
    if a.measure != b.measure:
        return True  # figures on different scales are never in conflict
    low_a, high_a = bounds(a, settings)
    low_b, high_b = bounds(b, settings)
    return low_a <= b.amount <= high_a or low_b <= a.amount <= high_b


def bounds(quantity: Quantity, settings: Settings) -> tuple[float, float]:
    """The values a figure admits: half a unit of its last digit (money and measures: at least
    ``settings.quantity_tolerance`` of it), widened for "about" (``settings.approximate_tolerance``), open for "more than"."""
    amount = quantity.amount
    tolerance = _half_last_digit(quantity)
    if quantity.measure != "count":
        tolerance = max(tolerance, settings.quantity_tolerance * abs(amount))
    if quantity.qualifier == "approx":
        tolerance = max(2 * tolerance, settings.approximate_tolerance * abs(amount))
    if quantity.qualifier in ("more-than", "at-least"):
        return amount - tolerance, float("inf")
    if quantity.qualifier in ("less-than", "at-most"):
        return float("-inf"), amount + tolerance
    return amount - tolerance, amount + tolerance


def _half_last_digit(quantity: Quantity) -> float:
    """Half a unit of the last digit as written, in the amount's units: "5.6" -> 0.05, "85 million" -> 500,000."""
    match = re.search(r"\d[\d,]*(?:\s\d{3}(?!\d))*(?:\.(\d+))?", quantity.text)
    if match is None:
        return 0.5 if abs(quantity.amount) < 1000 else 0.0  # a number word
    written = float(re.sub(r"[,\s]", "", match.group(0)))
    if written == 0:
        return 0.0
    decimals = len(match.group(1) or "")
    return 0.5 * 10.0**-decimals * abs(quantity.amount / written)
