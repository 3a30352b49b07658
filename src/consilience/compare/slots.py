"""Slot facts: one figure of the story (a toll, a magnitude, an offer) set side by side across sources.

Sentence alignment finds facts worded alike; a figure is often stated in
sentences worded differently ("killed at least three people" / "three bank
workers died"). Here every figure with a slot (see :mod:`consilience.annotate.slots`)
is keyed by what it counts, its scale, the time it refers to and, for ages, the
person; the figures of one key in two or more independent articles become one
fact:

- ``corroborated`` when all values are compatible (rounding, approximations and
  open bounds tolerated), and a count said of a person ("Tyler Smith added 17
  points") only by the same count of the same person or of no one named;
- ``updated`` when the values differ but each later report moves the value on
  (a rising toll with later publication times, or a value stated as revised:
  "rose to", "climbed to");
- ``conflict`` otherwise, but only between sentences that speak of the same
  thing (their similarity is at least ``settings.slot_conflict_similarity``):
  a "killed" in a sentence about another incident is no contradiction.

A count of a noun without an event role ("two guards", "17 passes") is gathered
to show who corroborates it but is set against another value only when it counts
the story's own subject: the noun is counted in the lead sentences of several
reports (``settings.topic_count_min_articles``) and most of those leads agree
on its value (``settings.topic_count_majority``). "Three undersea cables were
cut" in six leads and "two undersea cables" in a seventh contradict each other;
a body count of the same noun ("five cables were cut in January", a player's
"17 passes") counts something else too often to be set against anything.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace

import numpy as np

from ..annotate.slots import ROLES
from ..model import Article, Fact, FactMention, FactStatus, Quantity
from ..settings import Settings
from .claims import Claim, bounds, compatible, is_strong, time_of, value_dict

# tolls and counts that only grow as a story unfolds: a later, larger figure is an update
CUMULATIVE_SLOTS = frozenset({"killed", "injured", "arrested", "rescued", "displaced", "missing"})
_UPDATE_CUE = re.compile(
    r"\b(?:rose|risen|rises|rising|climbed|climbs|increased|jumped|grew|reached|now stands|now at|revised|raised|"
    r"updated|has grown|went up)\b[^.;]{0,25}$",
    re.I,
)


_NO_ROLE = "~"  # the subject key of figures without an event role


@dataclass
class _Figure:
    claim: int  # index into the story's claims
    quantity: Quantity
    comparable: bool = True  # may be set against another value (a figure with a role, or a topic count)


def slot_facts(
    story_id: str, claims: list[Claim], similarity: np.ndarray, settings: Settings, event_date: dt.date | None
) -> list[Fact]:
    """One fact per slot stated by two or more independent articles (see the module docstring)."""
    keyed: dict[tuple[str | None, str, str, str], list[_Figure]] = defaultdict(list)
    topics = _topic_counts(claims, settings)
    for index, claim in enumerate(claims):
        for quantity in claim.article.quantities:
            if quantity.sentence != claim.sentence or quantity.conversion_of is not None:
                continue
            if quantity.part:
                continue
            subject = ""
            comparable = True
            if quantity.slot not in ROLES:
                # a counted noun ("two guards") or a figure without a role ("$8 billion"): gathered to show who
                # corroborates it, set against another value only as the count of the story's subject (see above)
                if quantity.slot is None and not is_strong(quantity):
                    continue
                if quantity.amount == 1 and (quantity.measure == "count" or not is_strong(quantity)):
                    continue  # "one man told", "one night": a determiner more often than a figure to corroborate
                subject = _NO_ROLE
                comparable = quantity.slot in topics and _is_topic_figure(claim, quantity, settings)
            if quantity.slot == "distance":
                place = _reference_place(claim.article, quantity)
                if place is None:
                    continue  # a distance from somewhere unnamed
                subject = place
            if quantity.slot == "age":
                person = _subject(claim.article, quantity)
                if person is None:
                    continue  # an age we cannot tie to a person
                published = claim.article.published
                subject = f"{person}@{published.year if published else ''}"  # people age: same year only
            key = (quantity.slot, quantity.measure, time_of(claim, event_date), subject)
            keyed[key].append(_Figure(index, quantity, comparable))
    # every figure an article gives for a slot, whatever time its sentence speaks of: an article that gives
    # two values itself ("was sentenced to seven years" of an earlier case, "serving a 12-year sentence")
    # speaks of two things, and neither of its values contradicts another source's
    stated: dict[tuple[str | None, str, str], dict[str, list[Quantity]]] = defaultdict(lambda: defaultdict(list))
    for (role, measure, _time, subject), figures in keyed.items():
        for figure in figures:
            stated[role, measure, subject][claims[figure.claim].article.id].append(figure.quantity)
    facts = []
    for key, figures in sorted(keyed.items(), key=lambda item: tuple(part or "" for part in item[0])):
        if len({claims[f.claim].article.id for f in figures}) < 2:
            continue
        elsewhere = stated[key[0], key[1], key[3]]
        facts.extend(_facts_of_slot(story_id, key, figures, claims, similarity, settings, elsewhere))
    return facts


def _facts_of_slot(
    story_id: str,
    key: tuple[str | None, str, str, str],
    figures: list[_Figure],
    claims: list[Claim],
    similarity: np.ndarray,
    settings: Settings,
    stated: dict[str, list[Quantity]],
) -> list[Fact]:
    role, measure, _time, subject = key
    slot = role or "figure"
    clusters = _value_clusters(figures, settings)
    # a source "also states" a group's value only with a figure about as precise ("a magnitude 6 quake" does not
    # state 6.1)
    stating = []
    for cluster in clusters:
        finest = min(_coarseness(f.quantity, settings) for f in cluster)
        stating.append({claims[f.claim].article.id for f in cluster
                        if _coarseness(f.quantity, settings) <= 2 * finest})  # fmt: skip
        finest_figure = min(cluster, key=lambda f: _coarseness(f.quantity, settings)).quantity
        stating[-1] |= {article for article, quantities in stated.items()
                        if any(q.amount == finest_figure.amount and _tight(q, finest_figure, settings)
                               for q in quantities)}  # fmt: skip
    threshold = settings.slot_conflict_similarity
    clashing: set[int] = set()
    for a in range(len(clusters)):
        for b in range(a + 1, len(clusters)):
            for fa in clusters[a]:
                article_a = claims[fa.claim].article.id
                if not fa.comparable:
                    continue
                if article_a in stating[b]:
                    continue  # this source also states the other value: no contradiction of its own
                for fb in clusters[b]:
                    article_b = claims[fb.claim].article.id
                    if article_b == article_a or article_b in stating[a] or not fb.comparable:
                        continue
                    if fa.quantity.hedged or fb.quantity.hedged or _tight(fa.quantity, fb.quantity, settings):
                        continue
                    if similarity[fa.claim, fb.claim] >= threshold:
                        clashing.update((a, b))
    facts: list[Fact] = []
    involved = [clusters[i] for i in sorted(clashing)]
    if involved:
        figures_in = [f for cluster in involved for f in cluster]
        updates = _update_sequence(involved, claims, slot)
        status = FactStatus.UPDATED if updates else FactStatus.CONFLICT
        facts.append(_slot_fact(story_id, slot, measure, figures_in, claims, similarity, status, involved, updates))
    for index, cluster in enumerate(clusters):
        if index in clashing:
            continue
        if subject == _NO_ROLE and measure == "count":
            # a count said of a person is corroborated by the same count of the same person (or of no one named):
            # "Clark had 17 points" and "Tyler Smith added 17 points" are two players of a round-up
            owners = {id(f): _owner(claims[f.claim].article, f.quantity) for f in cluster}
            cluster = [f for f in cluster if any(
                claims[g.claim].article.id != claims[f.claim].article.id
                and (owners[id(f)] is None or owners[id(g)] is None or owners[id(f)] == owners[id(g)])
                for g in cluster
            )]  # fmt: skip
        if len({claims[f.claim].article.id for f in cluster}) < 2 or not _corroborating(cluster, claims, settings):
            continue
        facts.append(
            _slot_fact(story_id, slot, measure, cluster, claims, similarity, FactStatus.CORROBORATED, [cluster], [])
        )
    return facts


def _corroborating(cluster: list[_Figure], claims: list[Claim], settings: Settings) -> bool:
    """Two sources in ``cluster`` state one value: both exact and compatible, one's value within the other's bound,
    or the same bound. "Up to $180 million" and "at least $160 million" do not contradict each other, and do not
    state one figure either."""
    for a, b in itertools.combinations(cluster, 2):
        if claims[a.claim].article.id == claims[b.claim].article.id:
            continue
        open_a, open_b = (f.quantity.qualifier in _BOUNDS for f in (a, b))
        if not (open_a and open_b):
            return True  # _value_clusters put them together: compatible
        if a.quantity.qualifier == b.quantity.qualifier and compatible(
            dataclass_replace(a.quantity, qualifier="exact"), dataclass_replace(b.quantity, qualifier="exact"), settings
        ):
            return True
    return False


_BOUNDS = frozenset({"more-than", "at-least", "less-than", "at-most"})


def _is_topic_figure(claim: Claim, quantity: Quantity, settings: Settings) -> bool:
    """A count in a report's lead sentences, stated as a fact (not hedged, not one part of a list)."""
    return claim.sentence < settings.topic_count_lead_sentences and not quantity.hedged and not quantity.part


def _topic_counts(claims: list[Claim], settings: Settings) -> set[str]:
    """Counted nouns that are the story's subject: counted in several reports' leads, mostly with one value.

    "Three undersea cables" in six leads and "two" in a seventh: cables are what the story counts, and the
    seventh report contradicts the others. Nouns whose lead counts spread over several values (a player's
    points, the passes of each quarterback) count different things and are not compared.
    """
    values: dict[str, dict[str, set[float]]] = defaultdict(lambda: defaultdict(set))  # noun -> article -> values
    for claim in claims:  # one claim per sentence
        for quantity in claim.article.quantities:
            if (quantity.sentence != claim.sentence or quantity.conversion_of is not None or quantity.slot is None
                    or quantity.slot in ROLES or quantity.measure != "count"):  # fmt: skip
                continue
            if _is_topic_figure(claim, quantity, settings):
                values[quantity.slot][claim.article.id].add(quantity.amount)
    topics = set()
    for noun, by_article in values.items():
        if len(by_article) < settings.topic_count_min_articles:
            continue
        if any(len(amounts) > 1 for amounts in by_article.values()):
            continue  # one lead counting the noun twice counts two things
        counts: dict[float, int] = defaultdict(int)
        for amounts in by_article.values():
            counts[next(iter(amounts))] += 1
        if max(counts.values()) >= settings.topic_count_majority * len(by_article):
            topics.add(noun)
    return topics


def _value_clusters(figures: list[_Figure], settings: Settings) -> list[list[_Figure]]:
    """Groups of mutually compatible values (complete linkage), largest first.

    Finer figures are placed first, so a coarse one ("magnitude 6") joins a group
    it fits instead of chaining 5.9 to 6.1.
    """
    clusters: list[list[_Figure]] = []
    for figure in sorted(figures, key=lambda f: (_coarseness(f.quantity, settings), f.claim)):
        home = next((c for c in clusters if all(_tight(figure.quantity, o.quantity, settings) for o in c)), None)
        if home is None:
            clusters.append([figure])
        else:
            home.append(figure)
    return sorted(clusters, key=lambda c: (-len({f.claim for f in c}), min(f.claim for f in c)))


def _coarseness(quantity: Quantity, settings: Settings) -> float:
    low, high = bounds(quantity, settings)
    return (high - low) / abs(quantity.amount) if quantity.amount and high != float("inf") else float("inf")


def _tight(a: Quantity, b: Quantity, settings: Settings) -> bool:
    """Compatible, where an open bound ("at least 3") joins only values it is near, not every larger one."""
    if a.measure != b.measure or not compatible(a, b, settings):
        return False
    if bounds(a, settings)[1] == float("inf") or bounds(b, settings)[1] == float("inf"):
        return max(a.amount, b.amount) <= 1.5 * min(a.amount, b.amount) + 1
    return True


def _update_sequence(clusters: list[list[_Figure]], claims: list[Claim], slot: str) -> list[dict[str, object]]:
    """The values in time order when the differences are a story moving on; [] when they contradict."""
    stages = []
    for cluster in clusters:
        times = [claims[f.claim].article.published for f in cluster]
        cued = any(_UPDATE_CUE.search(claims[f.claim].article.text[max(0, f.quantity.start - 60) : f.quantity.start])
                   for f in cluster)  # fmt: skip
        amount = min(f.quantity.amount for f in cluster)
        stages.append((cluster, times, cued, amount))
    if all(all(t is not None for t in times) for _, times, _, _ in stages):
        ordered = sorted(stages, key=lambda s: min(t for t in s[1] if t is not None))
        steps_in_time = all(
            max(t for t in earlier[1] if t is not None) < min(t for t in later[1] if t is not None)
            for earlier, later in itertools.pairwise(ordered)
        )
        if not steps_in_time:
            return []
        rising = all(e[3] < later[3] for e, later in itertools.pairwise(ordered))
        if not (rising and slot in CUMULATIVE_SLOTS) and not ordered[-1][2]:
            return []
    else:
        # no times to order by: only a value stated as revised, set after the ones it revises
        cued_stages = [s for s in stages if s[2]]
        if len(cued_stages) != 1 or len(stages) != 2:
            return []
        ordered = [s for s in stages if not s[2]] + cued_stages
    sequence = []
    for cluster, times, _, _ in ordered:
        first = min(cluster, key=lambda f: (claims[f.claim].article.published or dt.datetime.max, f.claim))
        sequence.append({
            "value": first.quantity.text,
            "amount": first.quantity.amount,
            "articles": sorted({claims[f.claim].article.id for f in cluster}),
            "published": min((t for t in times if t is not None), default=None),
        })  # fmt: skip
    for step in sequence:
        published = step["published"]
        step["published"] = published.isoformat() if isinstance(published, dt.datetime) else None
    return sequence


def _slot_fact(
    story_id: str,
    slot: str,
    measure: str,
    figures: list[_Figure],
    claims: list[Claim],
    similarity: np.ndarray,
    status: FactStatus,
    clusters: list[list[_Figure]],
    updates: list[dict[str, object]],
) -> Fact:
    mentions: list[FactMention] = []
    seen: set[tuple[str, int]] = set()
    for figure in sorted(figures, key=lambda f: (claims[f.claim].article.id, claims[f.claim].sentence)):
        claim = claims[figure.claim]
        if (claim.article.id, claim.sentence) in seen:
            continue
        seen.add((claim.article.id, claim.sentence))
        mentions.append(FactMention(
            article=claim.article.id, sentence=claim.sentence, start=claim.start, end=claim.end, text=claim.text,
            value=value_dict(figure.quantity, claim.article),
        ))  # fmt: skip
    main = clusters[0]
    indices = sorted({f.claim for f in main})
    centre = max(indices, key=lambda i: (float(np.mean([similarity[i, j] for j in indices])), -len(claims[i].text)))
    value = main[0].quantity
    conflict = None
    if status == FactStatus.CONFLICT:
        values = [
            f"{cluster[0].quantity.text} in {', '.join(sorted({claims[f.claim].article.id for f in cluster}))}"
            for cluster in clusters
        ]
        conflict = f"{_label(slot, measure)}: {'; '.join(values)}"
    score = float(np.mean([similarity[i, j] for i in indices for j in indices if i < j])) if len(indices) > 1 else 0.0
    return Fact(
        id=f"{story_id}-f0", kind="quantity", status=status, text=claims[centre].text, mentions=mentions,
        value={"amount": value.amount, "unit": value.unit, "currency": value.currency}, conflict=conflict,
        score=score, slot=_label(slot, measure), updates=updates,
    )  # fmt: skip


def _label(slot: str, measure: str) -> str:
    if measure == "count" or measure == slot:
        return slot
    return f"{slot} ({measure.replace('money:', '')})"


def _subject(article: Article, quantity: Quantity) -> str | None:
    """The person an age belongs to: "61-year-old NAME", "NAME, 61", "NAME, aged 61"; None when not so written."""
    mentions = [m for m in article.entities if m.sentence == quantity.sentence and m.entity_id]
    after = re.match(r"\s*-?\s*years?\s*-?\s*old\s+", article.text[quantity.end : quantity.end + 20])
    if after:
        begin = quantity.end + after.end()
        # "61-year-old NAME", "36-year-old champion NAME": a person within three words
        named = [m for m in mentions if (m.start <= begin + 2 or m.label == "PERSON") and begin <= m.start <= begin + 30
                 and len(article.text[begin : m.start].split()) <= 3]  # fmt: skip
        if named:
            return min(named, key=lambda m: m.start).entity_id
    for mention in mentions:
        if mention.end <= quantity.start and _APPOSITION.fullmatch(article.text[mention.end : quantity.start]):
            return mention.entity_id
    return None


def _owner(article: Article, quantity: Quantity) -> str | None:
    """The person a count is said of: the nearest one named in its sentence shortly before it ("Tyler Smith added 17
    points", "Danny Green (14 points)"); None when there is none."""
    before = [m for m in article.entities if m.sentence == quantity.sentence and m.entity_id and m.label == "PERSON"
              and m.end <= quantity.start and quantity.start - m.end <= _OWNER_REACH
              and not _CLAUSE_BREAK.search(article.text[m.end : quantity.start])]  # fmt: skip
    return max(before, key=lambda m: m.end).entity_id if before else None


_OWNER_REACH = 30  # characters between a person's name and the count said of them ("Clark actually had 17 points")
_CLAUSE_BREAK = re.compile(r"[;:.]|,\s|\b(?:and|while|but|after)\b")


def _reference_place(article: Article, quantity: Quantity) -> str | None:
    """What a distance is measured from: the first place named after it ("60km south west of Bandar Abbas")."""
    after = [m for m in article.entities if m.sentence == quantity.sentence and m.entity_id
             and quantity.end <= m.start <= quantity.end + 60]  # fmt: skip
    return min(after, key=lambda m: m.start).entity_id if after else None


_APPOSITION = re.compile(r",?\s*(?:aged?|age of)?\s*", re.I)
