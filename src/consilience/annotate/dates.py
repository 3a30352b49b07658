"""Dates: find date expressions and resolve them to calendar days, months or years.

Resolution needs a reference day (the day the article speaks from). It is the
publication date when known; otherwise it is inferred from the article itself:
a weekday named with its day and month ("Wednesday (February 22)") fixes the
year among those where that day falls on that weekday, choosing the one closest
to the years the article mentions ("in 2024", "last year" ...); failing that, the
latest full date in the text. Every resolved date records its evidence.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..model import DateRef, Sentence, sentence_index

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_MONTH2 = r"(?P<month2>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_DAY2 = r"(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
_PATTERNS = [
    ("iso", re.compile(r"\b(?P<year>1[89]\d\d|20\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b")),
    (
        "weekday_date",
        re.compile(
            rf"\b{_WEEKDAY}\s*(?:\(\s*|,\s*)(?:{_MONTH}\s*{_DAY}|{_DAY2}\s+(?:of\s+)?{_MONTH2})(?:,?\s*{_YEAR})?\s*\)?",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            rf"\b(?:{_MONTH}\s*{_DAY}|{_DAY2}\s+(?:of\s+)?{_MONTH2})\b(?!\s*(?:%|percent))"
            rf"(?:,?\s*{_YEAR}\b|(?P<same>\s+of the same year)|(?P<last>\s+(?:of\s+)?last year)|(?P<next>\s+(?:of\s+)?next year))?",
            re.I,
        ),
    ),
    (
        "month",
        re.compile(
            rf"\b(?:(?P<part>early|mid|late|the end of|the beginning of)[\s-]+)?{_MONTH}(?:\s+{_YEAR}|(?P<last>\s+last year)|(?P<next>\s+next year)|(?P<this>\s+this year))?\b",
            re.I,
        ),
    ),
    ("weekday", re.compile(rf"\b{_WEEKDAY}\b", re.I)),
    (
        "ordinal_day",
        re.compile(
            r"\bthe (?P<day>[0-3]?\d)(?:st|nd|rd|th)\b(?! (?:century|anniversary|time|round|floor|edition|minute|place))"
        ),
    ),
    ("relative_day", re.compile(r"\b(?P<rel>yesterday|today|tomorrow)\b", re.I)),
    (
        "relative_year",
        re.compile(r"\b(?P<rel>last year|next year|this year|the previous year|the following year)\b", re.I),
    ),
    ("year", re.compile(rf"\b(?:in|since|by|of|until|before|after|from|for) (?:the year )?{_YEAR}\b")),
]
#: Date kinds that name a day relative to the reference day ("on Wednesday", "yesterday",
#: "the 22nd"): the event's own time, even before they are resolved.
EVENT_RELATIVE_KINDS = frozenset({"weekday", "weekday_date", "relative_day", "ordinal_day"})
_FUTURE = re.compile(r"\b(will|would|shall|going to|next|upcoming|scheduled|plans? to|expected to)\b", re.I)
_MONTH_ABBREVIATION_GUARD = re.compile(r"^(may|mar|jun|jul|aug|sep|oct|nov|dec|jan|feb|apr)$", re.I)


@dataclass
class _Spec:
    kind: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    relative: str | None = None  # last / next / same / this / yesterday ...


def extract_dates(text: str, sentences: list[Sentence]) -> list[DateRef]:
    """Date expressions in ``text`` (unresolved; see :func:`resolve_dates`)."""
    taken: list[tuple[int, int]] = []
    found: list[DateRef] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.start(), match.end()
            if any(s < end and start < e for s, e in taken):
                continue
            spec = _spec_of(kind, match)
            if spec is None:
                continue
            taken.append((start, end))
            found.append(
                DateRef(text=text[start:end].strip(), start=start, end=start + len(text[start:end].strip()),
                        sentence=sentence_index(sentences, start), granularity="unresolved")
            )  # fmt: skip
    found.sort(key=lambda d: d.start)
    return found


def parse_spec(date: DateRef) -> _Spec | None:
    """Re-read a date expression into its parts."""
    for kind, pattern in _PATTERNS:
        match = pattern.match(date.text)
        if match:
            return _spec_of(kind, match)
    return None


def infer_reference(text: str, dates: list[DateRef]) -> tuple[dt.date | None, str]:
    """The day an undated article speaks from, with the evidence, or (None, reason)."""
    mentioned_years = sorted(
        {s.year for d in dates if (s := parse_spec(d)) and s.year and s.kind in ("year", "date", "iso")}
    )
    for date in dates:
        spec = parse_spec(date)
        if spec and spec.kind == "weekday_date" and spec.month and spec.day and spec.weekday is not None:
            if spec.year:
                return _safe_date(spec.year, spec.month, spec.day), f"'{date.text}' names the full date"
            candidates = [y for y in range(1990, dt.date.today().year + 2) if _weekday_matches(y, spec)]
            if not candidates:
                continue
            if mentioned_years:
                anchor = max(mentioned_years)
                year = min(candidates, key=lambda y: (abs(y - anchor), -y))
                why = f"the nearest such year to {anchor}, the latest year the article names"
            else:
                past = [y for y in candidates if y <= dt.date.today().year] or candidates
                year = past[-1]
                why = "the latest such year (the article names no year)"
            day = _safe_date(year, spec.month, spec.day)
            weekday_name = date.text.split()[0].strip("(,").capitalize()
            month_name = dt.date(2000, spec.month, 1).strftime("%B")
            return day, f"'{date.text}': {month_name} {spec.day} is a {weekday_name} in {year}, {why}"
    full = [(d, s) for d in dates if (s := parse_spec(d)) and s.year and s.month and s.day]
    if full:
        date, spec = max(full, key=lambda item: (item[1].year or 0, item[1].month or 0, item[1].day or 0))
        assert spec.year and spec.month and spec.day
        return _safe_date(spec.year, spec.month, spec.day), f"latest full date in the article: '{date.text}'"
    return None, "no publication date and no full date in the text"


def resolve_dates(text: str, dates: list[DateRef], reference: dt.date | None, evidence: str) -> None:
    """Resolve every date expression against ``reference`` (in place)."""
    last_year_seen: int | None = None
    for date in dates:
        spec = parse_spec(date)
        if spec is None:
            continue
        sentence_text = _sentence_context(text, date)
        future = bool(_FUTURE.search(sentence_text))
        value, granularity, why = _resolve(spec, reference, last_year_seen, future)
        if value is None:
            date.granularity, date.value, date.evidence = "unresolved", None, why
            continue
        date.value, date.granularity = value, granularity  # type: ignore[assignment]
        date.relative = spec.kind not in ("iso",) and not (spec.year and spec.month and spec.day)
        if not date.relative:
            date.evidence = why
        elif evidence.startswith(f"'{date.text}'"):
            date.evidence = evidence  # the mention that dated the article: its own reasoning, not a loop through it
        else:
            date.evidence = f"{why}; reference {reference} ({evidence})"
        last_year_seen = value.year if spec.kind != "weekday" else last_year_seen


def _resolve(
    spec: _Spec, reference: dt.date | None, same_year: int | None, future: bool
) -> tuple[dt.date | None, str, str]:
    ref = reference
    if spec.kind == "iso" or (spec.year and spec.month and spec.day):
        assert spec.year and spec.month and spec.day
        return _safe_date(spec.year, spec.month, spec.day), "day", "full date in the text"
    if spec.kind == "year" and spec.year:
        return dt.date(spec.year, 1, 1), "year", "year in the text"
    if spec.kind == "month" and spec.year and spec.month:
        return dt.date(spec.year, spec.month, 1), "month", "month and year in the text"
    if ref is None:
        return None, "unresolved", "relative date and no reference day"
    if spec.kind in ("relative_day",):
        offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[spec.relative or "today"]
        return ref + dt.timedelta(days=offset), "day", f"'{spec.relative}' from the reference day"
    if spec.kind == "relative_year":
        offset = {"last": -1, "previous": -1, "next": 1, "following": 1, "this": 0}[spec.relative or "this"]
        return dt.date(ref.year + offset, 1, 1), "year", f"{spec.relative} year from the reference day"
    if spec.kind == "weekday" and spec.weekday is not None:
        delta = (ref.weekday() - spec.weekday) % 7
        if future and delta:
            return (
                ref + dt.timedelta(days=(spec.weekday - ref.weekday()) % 7),
                "day",
                "next such weekday (future tense)",
            )
        return ref - dt.timedelta(days=delta), "day", "latest such weekday on or before the reference day"
    if spec.kind == "ordinal_day" and spec.day:
        return _safe_date(ref.year, ref.month, spec.day), "day", "day of the reference month"
    if spec.month:
        year = _year_for(spec, ref, same_year)
        if spec.day:
            return _safe_date(year, spec.month, spec.day), "day", _year_why(spec)
        return dt.date(year, spec.month, 1), "month", _year_why(spec)
    return None, "unresolved", "not resolvable"


def _year_for(spec: _Spec, ref: dt.date, same_year: int | None) -> int:
    if spec.relative == "last":
        return ref.year - 1
    if spec.relative == "next":
        return ref.year + 1
    if spec.relative == "same" and same_year:
        return same_year
    month_gap = (spec.month or 1) - ref.month
    return ref.year - 1 if month_gap > 6 else ref.year + 1 if month_gap < -9 else ref.year


def _year_why(spec: _Spec) -> str:
    return {
        "last": "'last year' from the reference day",
        "next": "'next year' from the reference day",
        "same": "'the same year' as the date before it",
    }.get(spec.relative or "", "year of the reference day")


def _spec_of(kind: str, match: re.Match[str]) -> _Spec | None:
    groups = match.groupdict()
    month_name = groups.get("month") or groups.get("month2")
    if month_name and _MONTH_ABBREVIATION_GUARD.match(month_name) and month_name[0].islower():
        return None  # "may", "mar" in lower case are words, not months
    month = MONTHS.get(month_name.lower()) if month_name else None
    if groups.get("mnum"):
        month = int(groups["mnum"])
    day_text = groups.get("day") or groups.get("day2")
    day = int(day_text) if day_text else None
    if day is not None and not 1 <= day <= 31:
        return None
    year = int(groups["year"]) if groups.get("year") else None
    relative = None
    for name in ("same", "last", "next", "this"):
        if groups.get(name):
            relative = name
    if groups.get("rel"):
        words = groups["rel"].lower().split()
        relative = words[-2] if len(words) > 1 else words[0]  # "the previous year" -> "previous"
    weekday = WEEKDAYS.get(groups["weekday"].lower()) if groups.get("weekday") else None
    if kind == "month" and not (year or relative or groups.get("part")) and month_name:
        name = month_name.lower().rstrip(".")
        if name not in ("may", "june", "july") and len(name) <= 4:
            return None  # bare abbreviations ("Jan") without context are too ambiguous
        before = match.string[max(0, match.start() - 12) : match.start()]
        if name == "may" and not re.search(r"\b(?:in|since|by|until|from|during|last|next|this|of)\s+$", before, re.I):
            return None  # "May" alone is as often the verb; "in May" is the month
    return _Spec(kind=kind, year=year, month=month, day=day, weekday=weekday, relative=relative)


def _weekday_matches(year: int, spec: _Spec) -> bool:
    try:
        return dt.date(year, spec.month or 1, spec.day or 1).weekday() == spec.weekday
    except ValueError:
        return False


def _safe_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, month, 28)


def _sentence_context(text: str, date: DateRef) -> str:
    start = max(text.rfind(".", 0, date.start), text.rfind("\n", 0, date.start), 0)
    return text[start : date.start]
