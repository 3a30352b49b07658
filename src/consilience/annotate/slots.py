"""Slots: what a number counts or measures, so that only like figures are compared.

"Killed 3" and "injured 12" are both counts of people, but never in conflict; a
magnitude is not a depth; an offer is not a market value. Each quantity gets a
``slot``: an event role read from the words around it in its clause ("killed",
"injured", "arrested", "age", "offer" ...), else the noun it counts
("pirates", "boats"), else None (compared only inside one aligned sentence
group). A quantity that is one part of a list ("two women and one man"), a
subset ("15 of them"), an addition ("another 20,000", "20 more people") or a change ("increased
by 1,300") is a ``part``: it
does not state the slot's total and is never set against one.

The cue words are general English; none names a story, outlet or dataset.
"""

from __future__ import annotations

import re

from ..model import EntityMention, Quantity, Sentence

# role -> cue words (regular expressions over lower-cased text), most specific first
_ROLE_CUES: list[tuple[str, str]] = [
    ("age", r"years?\s*-?\s*old|aged|age of|at the age|age|birthday"),
    ("killed", r"kill(?:ed|ing|s)?|dead|deaths?(?!\s+(?:sentences?|penalty|row|threats?))|die[ds]?|dying|"
               r"fatalit(?:y|ies)|lives|bodies|perish(?:ed)?|slain|death toll|murder(?:ed|ing)|lost their lives"),
    ("injured", r"injur(?:ed|ing|ies|y)|wound(?:ed|ing|s)?|hurt|hospitali[sz]ed"),
    ("missing", r"missing|unaccounted"),
    ("arrested", r"arrest(?:ed|s|ing)?|detain(?:ed|ing|ees)?|captur(?:ed|ing)|apprehend(?:ed|ing)?|nabb(?:ed|ing)|"
                 r"in custody|taken into custody"),
    ("rescued", r"rescu(?:ed|ing)|evacuat(?:ed|ing)|pulled from"),
    ("displaced", r"homeless|displaced|fled their homes"),
    ("sentence", r"sentenc(?:ed|e)|in prison|behind bars|jail term"),
    ("stolen", r"stol(?:e|en)|steal(?:ing)?|heist|haul|loot(?:ed)?|robbery|theft|snatched|grabbed|made off with|"
               r"got away with|carried off"),
    ("offer", r"offer(?:ed|s|ing)?|bid|contract|deal|signed|agreement"),
    ("price", r"price[ds]?|paid|pay(?:ing|s)?|sold for|bought for|cost(?:s|ing)?|fee"),
    ("damage", r"damages?|losses|loss"),
    ("depth", r"deep|depth|beneath|below the surface|underground"),
    ("distance", r"(?:north|south|east|west)(?:east|west)?\s+of|away from|from the|off the coast"),
    ("crowd", r"protesters|demonstrators|marched|rall(?:y|ied|ies)|took to the streets|gathered|attended"),
]  # fmt: skip
ROLES = frozenset(["magnitude", "children", *(role for role, _ in _ROLE_CUES)])
_CUES = [(role, re.compile(rf"\b(?:{pattern})\b")) for role, pattern in _ROLE_CUES]
_SENTENCE = dict(_CUES)["sentence"]
_AGE_AFTER = re.compile(r"^\s*-?\s*years?\s*-?\s*old\b")
_AGE_BEFORE = re.compile(
    r"\b(?:aged|age of|at the age of|(?:die[sd]?|dead|passed away|death)\s+(?:[a-z.]+\s+){0,5}at)\s*$"
)
# the clause around a number ends at these (a comma ends it too unless a number follows it at once)
_CLAUSE_END = re.compile(r"[;:()\[\]\"“”]|,\s(?!\d)|\.\s|\b(?:while|whereas|but|after|before|because|although|when)\b")
# a counted noun's apposition, between commas: its predicate follows it
_APPOSITION = re.compile(
    r"^(\s*[a-z]+),\s(?:a|an|including|mostly|all|both|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s"
    r"[^,;:.()]{0,40},(?=\s)"
)
_PART_BEFORE = re.compile(
    r"(?:\b(?:increased|increases|increase|rose|risen|rises|fell|fallen|falls|dropped|grew|climbed|jumped|went up|"
    r"went down|raised|lowered|revised up|revised down)\s+by\s+$)|"  # a change ("increased by 1,300"), not a total
    r"(?:\b(?:another|further|additional|remaining|an additional)\s+$)|"
    r"(?:\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|a|an)\s+[a-z-]+\s+(?:and|&)\s+$)",
    re.I,
)
_PART_AFTER = re.compile(
    r"^\s*(?:of\s+(?:them|those|the|whom|which|these)\b|(?:more|additional|further)\b|"
    r"(?:[a-z-]+\s+)?(?:and|&)\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|a\s|an\s))",
    re.I,
)
_NOT_NOUNS = re.compile(
    r"^(?:[a-z]+(?:ly|ing|ed)|them|they|us|we|you|him|her|it|its|their|after|before|since|than|then|who|which|that|this|these|those|such|from|into|onto|over|"
    r"under|about|while|during|per|each|both|all|more|most|less|other|others|been|being|are|were|was|is|has|have|"
    r"had|will|would|can|could|may|might|must|shall|should|also|still|only|just|even|new|old|said|says|say|times|"
    r"time|out|off|up|down|away|ago|later|earlier|year|years|month|months|week|weeks|day|days|hour|hours)$"
)


def assign_slots(
    text: str,
    quantities: list[Quantity],
    entities: list[EntityMention] | None = None,
    sentences: list[Sentence] | None = None,
) -> None:
    """Set ``slot`` and ``part`` on each quantity from the words around it in ``text``.

    ``entities`` (the article's mentions) let "Name, 61," read as an age; ``sentences`` let a background
    phrase at the start of a sentence ("Earlier this year, ...") date every figure of it.
    """
    people_ends = {m.end for m in entities or [] if m.label == "PERSON"}
    previous: Quantity | None = None  # the last figure read, for "six arrests, compared to 47"
    for quantity in quantities:
        if quantity.conversion_of is not None:
            continue
        if quantity.measure == "count" and _is_apposed_age(text, quantity, people_ends):
            quantity.slot, quantity.part = "age", False
            previous = quantity
            continue
        before, after = _clause(text, quantity)
        quantity.part = bool(_PART_BEFORE.search(text[max(0, quantity.start - 30) : quantity.start])) or bool(
            _PART_AFTER.match(text[quantity.end : quantity.end + 30])
        )
        if _FAMILY.search(text[max(0, quantity.start - 30) : quantity.start]):
            quantity.slot = "children"  # "a mother of 12", "father to two boys": not victims
            previous = quantity
            continue
        quantity.slot = _role(quantity, before, after) or _counted_noun(quantity)
        quantity.hedged = bool(_HEDGE.search(f"{before} {after}")) or bool(
            _BACKGROUND.search(_sentence_before(text, quantity, sentences))
        )
        if (
            quantity.slot is None
            and quantity.unit is None
            and previous is not None
            and previous.sentence == quantity.sentence
            and previous.slot in ROLES
            and previous.measure == quantity.measure
            and _ELLIPSIS.search(text[previous.end : quantity.start])
        ):
            quantity.slot = previous.slot  # "six arrests Wednesday, compared to 47 the previous night"
        previous = quantity


# the second figure of a comparison counts what the first counts
_ELLIPSIS = re.compile(r"\b(?:compared (?:to|with)|versus|vs\.?|up from|down from)\s+$")


_FAMILY = re.compile(r"\b(?:mother|father|mom|dad|parent|grandmother|grandfather|mum)s?\s+(?:of|to)\s+$", re.I)
# a figure stated as a fear, a possibility, an aim or a past record is no fact of the event to contradict
_HEDGE = re.compile(
    r"\b(?:feared|fears?|may|might|could|possibly|perhaps|likely|expected to|conspir\w*|plott?\w*|attempt\w*|"
    r"tried to|threat\w*|would|prior|previous(?:ly)?|intend\w*|planned to|plans? to|wanted to|sought to|aim(?:s|ed)? to|"
    r"(?:told|asked|urged|ordered) to)\b"
)


# "little over a month after a bandit made off with $136M": a figure from before the event
_BACKGROUND = re.compile(
    r"\b(?:a|an|one|two|three|four|five|six|\d+)\s+(?:days?|weeks?|months?|years?|decades?)\s+"
    r"(?:ago|earlier|before|after)\b|\b(?:last|earlier this)\s+(?:week|month|year)\b",
    re.I,
)


def _sentence_before(text: str, quantity: Quantity, sentences: list[Sentence] | None) -> str:
    """The words of the figure's sentence before it (at most 300 characters; the 90 before it when the
    sentences are not known)."""
    begin = quantity.start - 90
    if sentences and 0 <= quantity.sentence < len(sentences):
        begin = max(sentences[quantity.sentence].start, quantity.start - 300)
    return text[max(0, begin) : quantity.start]


def _is_apposed_age(text: str, quantity: Quantity, people_ends: set[int]) -> bool:
    """ "Benjamin Banky, 40, of Vancouver": a bare number between commas right after a person's name."""
    if quantity.text != text[quantity.start : quantity.end] or not quantity.text.isdigit() or quantity.amount > 120:
        return False
    before = re.search(r",\s*(?:aged?\s+)?$", text[max(0, quantity.start - 8) : quantity.start])
    if before is None:
        return False
    name_end = quantity.start - len(before.group(0))
    return (
        name_end in people_ends
        and re.match(r"^\s*(?:[,);]|$|\.\s|\.$)", text[quantity.end : quantity.end + 3]) is not None
    )


def _clause(text: str, quantity: Quantity) -> tuple[str, str]:
    """The words of the number's clause before it (up to 60 chars) and after it (up to 80)."""
    before = text[max(0, quantity.start - 60) : quantity.start].lower()
    after = text[quantity.end : quantity.end + 80].lower()
    ends = list(_CLAUSE_END.finditer(before)) + list(re.finditer(r"\band\s", before))
    ends.sort(key=lambda m: m.end())
    if ends:
        before = before[ends[-1].end() :]
    after = re.sub(r"^\s*\([^)]{0,40}\)", " ", after)  # "1,150 kilometers (700 miles) southeast of"
    after = _APPOSITION.sub(r"\1", after)  # "three people, a man and two women, were killed"
    first = _CLAUSE_END.search(after)
    if first is not None:
        after = after[: first.start()]
    joined = re.search(r"\band\b", after)
    if joined is not None:
        after = after[: joined.start()]  # "seven villages and killing 10": the next figure's clause
    return before, after


_PEOPLE_ROLES = frozenset({"killed", "injured", "missing", "arrested", "rescued", "displaced", "crowd"})
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:on|in|at|from|with|across|after|following|during|near|into|by|between|among|for|against|inside)\s+"
    r"(?:(?:at least|at most|more than|less than|fewer than|nearly|almost|about|around|some|roughly|up to)\s+)?$"
)


def _near_after(between: str) -> bool:
    """At most three words, none a preposition: "people were killed", not "shots in her death"."""
    words = between.split()
    return len(words) <= 3 and not any(w in ("in", "of", "at", "on", "for", "from", "with", "to", "by") for w in words)


def _role(quantity: Quantity, before: str, after: str) -> str | None:
    if quantity.unit == "magnitude":
        return "magnitude"
    if _AGE_AFTER.match(after) or _AGE_BEFORE.search(before):
        return "age"
    if quantity.unit in ("year", "month", "week", "day", "hour", "night"):
        if re.match(r"^\s*of\s+(?!(?:prison|jail|imprisonment|incarceration|probation|detention)\b)", after):
            return None  # "three years of efforts" measures something else than the prison term
        return "sentence" if _SENTENCE.search(f"{before} {after}") else None
    # the nearest cue wins: words right after the number ("five hurt", "three people dead"), then before it
    governed = _PREPOSITION_BEFORE.search(before) is not None
    best: tuple[int, str] | None = None
    other: str | None = None  # the nearest role that is not "crowd"
    other_distance = 1000
    for role, pattern in _CUES:
        if role in ("age", "sentence"):
            continue
        # after the number the cue must follow within three words ("13 shots in her death" counts shots)
        distances = [m.start() for m in pattern.finditer(after) if _near_after(after[: m.start()])]
        if not (governed and role in _PEOPLE_ROLES):
            # "injuries following the attacks on two bases": a number after a preposition is that preposition's
            # object, not the people a cue before it counts (after "of" and "to" it is: "a toll of 12", "rose to 12")
            distances += [len(before) - m.end() + 1 for m in pattern.finditer(before)]
        for distance in distances:
            if best is None or distance < best[0]:
                best = (distance, role)
            if role != "crowd" and distance < other_distance and distance <= 45:
                other, other_distance = role, distance
    if best is None or best[0] > 45:
        return None
    role = best[1]
    if role == "crowd" and other is not None:
        role = other  # "46 demonstrators were arrested": the predicate, not the crowd noun, says what is counted
    if role in ("offer", "price", "stolen", "damage") and quantity.currency is None:
        return None  # money roles need money
    if role in _PEOPLE_ROLES and (
        quantity.currency or (quantity.unit in ("percent", "km", "m", "kg", "t", "degree", "magnitude"))
    ):
        return None
    if role in ("depth", "distance") and quantity.unit not in ("km", "m"):
        return None
    return role


def _counted_noun(quantity: Quantity) -> str | None:
    unit = quantity.unit
    if quantity.currency or unit is None:
        return None
    if unit in ("percent", "percentage point", "km", "m", "kg", "t", "degree", "magnitude"):
        return None  # a measure without a role: compared only within one aligned sentence group
    if _NOT_NOUNS.match(unit):
        return None
    return unit[:-1] if unit.endswith("s") and not unit.endswith("ss") and len(unit) > 3 else unit
