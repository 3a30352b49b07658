"""Helpers shared by the human-readable renderers."""

from __future__ import annotations

from ..cluster.pairs import FEATURE_LABELS
from ..model import Article, Comparison, Fact, FactStatus, LookAlike, Membership, Story, StoryComparison

STATUS_LABEL = {
    FactStatus.CORROBORATED: "corroborated",
    FactStatus.SINGLE_SOURCE: "single source",
    FactStatus.CONFLICT: "CONFLICT",
    FactStatus.UPDATED: "updated",
}


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:-") + "…"


def source_title(article: Article, limit: int) -> str:
    """What a sources table shows of an article: its title, else its first sentence, clipped to ``limit``."""
    return clip(article.title or (article.sentences[0].text if article.sentences else ""), limit)


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """ "1 article", "15 articles", "2 stories" (with ``plural``): a count with its noun."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def source_numbers(comparison: Comparison) -> dict[str, int]:
    """Article id -> citation number [n], in input order."""
    return {article.id: number for number, article in enumerate(comparison.articles, 1)}


def cite(article_ids: list[str], numbers: dict[str, int]) -> str:
    """ "[1][2]" for the given articles."""
    return "".join(f"[{numbers[a]}]" for a in article_ids if a in numbers)


def look_alike_verdict(alike: LookAlike) -> str:
    """What the clusterer made of a look-alike story: the days between them, or the probability of one event."""
    if alike.probability is None:
        return f"{alike.days_apart:,.0f} days apart, another event"
    verdict = "kept apart" if alike.probability < 0.5 else "may be the same event"
    return f"same event p {alike.probability:.2f}, {verdict}"


# pair features whose values read as they are (cosines, shares); the others are logs of counts, said by effect only
_SHARES = frozenset({"dense_centroid", "dense_max", "terms", "terms_max", "names", "numbers", "dense_margin"})


# pair features that set the odds for the kind of pair (headlines or full articles, a story of two or of twenty)
# with the regime's bias, rather than say whether these two report one event: in --json, not in the reasons
_PRIOR = frozenset({"length", "size"})


def membership_reasons(membership: Membership, limit: int = 3) -> str:
    """How firmly an article belongs to its story: its ``limit`` strongest signals, each with its push on the log-odds,
    the rest summed, and the odds the model starts from for a pair of its kind; the pushes add up to the probability.

    "one event p 0.30: meaning (nearest article) 0.71 (+5.5), meaning 0.77 (+2.6), shared words (nearest article)
    0.12 (+1.1), other signals (+0.8); odds for a pair of this kind (-10.8)"
    """
    signals = [e for e in membership.evidence if e.signal not in _PRIOR]
    reasons = [
        f"{FEATURE_LABELS.get(e.signal, e.signal)}{f' {e.value:.2f}' if e.signal in _SHARES else ''} ({e.logit:+.1f})"
        for e in signals[:limit]
    ]
    rest = sum(e.logit for e in signals[limit:])
    if round(rest, 1):
        reasons.append(f"other signals ({rest:+.1f})")
    base = membership.bias + sum(e.logit for e in membership.evidence if e.signal in _PRIOR)
    head = f"one event p {membership.probability:.2f}"
    if membership.placed_by_editor:
        head = f"placed here by an editor on {membership.placed_by_editor[:10]}; the model: {head}"
    return f"{head}: {', '.join(reasons)}; odds for a pair of this kind ({base:+.1f})" if reasons else head


def weak_members(story: Story) -> list[Membership]:
    """The story's articles filed with it that the pair model, as the story stands, doubts: weakest first.

    A fact only they give may be about another event (a look-alike's), so a reader weighs it accordingly.
    """
    return sorted((m for m in story.memberships if m.weak), key=lambda m: m.probability)


def weak_sources(fact: Fact, story: Story) -> list[str]:
    """The weakly filed articles (:func:`weak_members`) among a fact's sources, in mention order."""
    weak = {m.article for m in story.memberships if m.weak}
    return [a for a in fact.articles if a in weak]


def weak_sources_note(fact: Fact, story: Story, numbers: dict[str, int]) -> str:
    """ "[14] is weakly filed: it may report another event" when a conflict or figure rests on weakly filed sources.

    A misfiled report brings another event's numbers, dates and speakers; a
    conflict it takes part in may be no disagreement at all.
    """
    weak = weak_sources(fact, story)
    if not weak:
        return ""
    one = len(weak) == 1
    return f"{cite(weak, numbers)} {'is' if one else 'are'} weakly filed: {'it' if one else 'they'} may report another event"


def membership_line(story: Story, numbers: dict[str, int]) -> str:
    """ "[1] 0.95 · [2] 0.91 · [3] 0.30 placed by an editor · ...": how firmly each of the story's articles belongs,
    in citation order."""
    ordered = sorted((m for m in story.memberships if m.article in numbers), key=lambda m: numbers[m.article])
    return " · ".join(
        f"[{numbers[m.article]}] {m.probability:.2f}" + (" placed by an editor" if m.placed_by_editor else "")
        for m in ordered
    )


def counts(item: StoryComparison) -> dict[FactStatus, int]:
    """How many facts of each status a story has."""
    result = dict.fromkeys(FactStatus, 0)
    for fact in item.facts:
        result[fact.status] += 1
    return result


def notable_single_source(item: StoryComparison, limit: int) -> list[Fact]:
    """Single-source facts worth listing: quotes, figures and dated facts first, then lead sentences."""
    single = [f for f in item.facts if f.status == FactStatus.SINGLE_SOURCE]
    single.sort(key=lambda f: (f.kind == "statement", min(m.sentence for m in f.mentions)))
    return single[:limit]


def coverage_matrix(item: StoryComparison) -> dict[str, object]:
    """Which source states which fact: ``{"sources": [...], "facts": [...], "rows": [{"fact", "status", "cells"}]}``.

    ``cells`` has one entry per source, in ``sources`` order: the sentence
    index where that source states the fact, or None when it omits it.
    """
    sources = list(item.story.articles)
    rows = []
    for fact in item.facts:
        where: dict[str, int] = {}
        for mention in fact.mentions:
            where.setdefault(mention.article, mention.sentence)
        rows.append({"fact": fact.id, "status": fact.status.value, "text": fact.text,
                     "cells": [where.get(source) for source in sources]})  # fmt: skip
    return {"sources": sources, "rows": rows}
