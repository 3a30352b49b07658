"""Quotes: direct quotations and reported speech, with their speakers.

Direct quotes are spans between quotation marks; reported speech is a clause
governed by a reporting verb ("Wang Yi said that ..."). The speaker is the
subject of the reporting verb, the object of "according to", or, for a pronoun,
the nearest person named before it.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import EntityMention, Quote

REPORTING_VERBS = {
    "say", "tell", "stress", "declare", "note", "add", "state", "explain", "emphasize", "emphasise", "assure",
    "express", "warn", "insist", "claim", "announce", "confirm", "reiterate", "highlight", "underline", "mention",
    "propose", "argue", "report", "write", "estimate", "predict", "acknowledge", "admit", "affirm", "reaffirm",
    "point", "remark", "comment", "respond", "reply", "ask", "urge", "call", "describe", "recall", "believe",
}  # fmt: skip
_IRREGULAR = {"say": ("said",), "tell": ("told",), "write": ("wrote", "written")}


def _verb_forms(verb: str) -> set[str]:
    """The present, past and -ing forms of a reporting verb ("note": notes, noted, noting)."""
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return {verb, verb[:-1] + "ies", verb[:-1] + "ied", verb + "ing"}
    if verb.endswith("e"):
        present, ing, past = verb + "s", verb[:-1] + "ing", verb + "d"
    else:
        stem = verb + "t" if verb == "admit" else verb  # a stressed last syllable doubles: admitted
        present = verb + "es" if verb.endswith(("s", "sh", "ch", "x", "z")) else verb + "s"
        ing, past = stem + "ing", stem + "ed"
    return {verb, present, ing, *_IRREGULAR.get(verb, (past,))}


# every form of the reporting verbs: the pipeline runs without the lemmatizer, which cost a fifth of its time
REPORTING_FORMS = frozenset(form for verb in REPORTING_VERBS for form in _verb_forms(verb))


def is_reporting_verb(token: Any) -> bool:
    """A verb of saying, by its tag and form ("said", "tells", "added"; not "according")."""
    return token.tag_.startswith(("VB", "MD")) and token.lower_ in REPORTING_FORMS


_QUOTE_SPAN = re.compile(r"[“\"«„]([^\n“\"«„]{12,1500}?)(?:[”\"»]|'')|‘([^\n‘’]{12,600}?)’(?!\w)")
PRONOUNS = {"he", "she", "they", "him", "her", "i", "we", "it", "you", "this", "that"}


def extract_quotes(doc: Any, offset: int, mentions: list[EntityMention]) -> list[Quote]:
    """Quotes in a spaCy ``doc`` whose text starts at ``offset`` of the article text."""
    quotes: list[Quote] = []
    text = doc.text
    sentences = list(doc.sents)
    covered: list[tuple[int, int]] = []
    for match in _QUOTE_SPAN.finditer(text):
        inner_start = match.start(1) if match.group(1) is not None else match.start(2)
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        if len(inner.split()) < 3:
            continue  # a quoted name or scare quotes, not speech
        start, end = match.start(), match.end()
        speaker, cue, inferred = _speaker_around(doc, sentences, start, end, offset, mentions)
        covered.append((start, end))
        quotes.append(
            Quote(
                text=inner.strip(" ,.(…)"),
                start=offset + inner_start,
                end=offset + inner_start + len(inner),
                sentence=-1,
                speaker=speaker,
                direct=True,
                cue=cue,
                speaker_inferred=inferred,
            )
        )
    for sentence in sentences:
        for token in sentence:
            if not is_reporting_verb(token):
                continue
            complement = next((c for c in token.children if c.dep_ in ("ccomp",)), None)
            if complement is None:
                continue
            span_start = complement.left_edge.idx
            span_end = complement.right_edge.idx + len(complement.right_edge.text)
            if any(span_start < e and s < span_end for s, e in covered):
                continue  # the direct quote it contains or overlaps already carries it
            if span_end - span_start < 20:
                continue
            speaker, inferred = _subject_of(token, doc, offset, mentions)
            if speaker is None:
                continue
            words = text[span_start:span_end]
            lead = re.match(r"(that|how|whether)\s+", words)
            if lead:
                span_start += lead.end()
            quotes.append(
                Quote(
                    text=text[span_start:span_end].strip(),
                    start=offset + span_start,
                    end=offset + span_end,
                    sentence=-1,
                    speaker=speaker,
                    direct=False,
                    cue=token.text,
                    speaker_inferred=inferred,
                )
            )
    quotes.sort(key=lambda q: q.start)
    return quotes


def _speaker_around(
    doc: Any, sentences: list[Any], start: int, end: int, offset: int, mentions: list[EntityMention]
) -> tuple[str | None, str | None, bool]:
    """The speaker of a direct quote (a reporting verb outside the quote in its sentences), the cue, and
    whether the speaker was inferred from a pronoun."""
    touching = [s for s in sentences if s.start_char < end and start < s.end_char]
    if not touching:
        return None, None, False
    candidates = [t for s in touching for t in s if not (start <= t.idx < end)]
    for token in candidates:
        if token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
            target = next((c for c in doc[token.i + 1].children if c.dep_ == "pobj"), None)
            if target is not None:
                return _noun_phrase(target), "according to", False
    for token in candidates:
        if is_reporting_verb(token):
            speaker, inferred = _subject_of(token, doc, offset, mentions)
            if speaker:
                return speaker, token.text, inferred
    return None, None, False


def _subject_of(verb: Any, doc: Any, offset: int, mentions: list[EntityMention]) -> tuple[str | None, bool]:
    """The subject of a reporting verb, and whether it was inferred (a pronoun's antecedent)."""
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None:
        head = verb.head if verb.dep_ in ("conj", "xcomp") else None
        if head is not None and head is not verb:
            subject = next((c for c in head.children if c.dep_ in ("nsubj",)), None)
    if subject is None:
        return None, False
    if subject.lower_ in PRONOUNS:
        if subject.lower_ not in ("he", "she"):
            return None, False  # the speaker of a quoted first person is the quote's own speaker
        return _antecedent(offset + subject.idx, mentions), True
    phrase = _noun_phrase(subject)
    if phrase.rstrip(".").lower() in _TITLES:
        # "said Sgt. Marty Earley": the sentence splitter may cut after the title; the name follows it
        after = offset + subject.idx + len(subject.text)
        named = [m for m in mentions if m.label == "PERSON" and after <= m.start <= after + 3]
        if named:
            return named[0].text, False
    return phrase, False


# titles abbreviated before a name ("Sgt. Marty Earley"); the sentence splitter never ends a sentence on one
TITLE_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "sgt", "lt", "capt", "cpl", "const", "det", "col", "gen", "maj", "gov", "sen", "rep",
    "insp", "supt", "prof", "rev", "adm", "cmdr", "pvt", "atty", "dist", "asst",
})  # fmt: skip
_TITLES = TITLE_ABBREVIATIONS | {"officer", "sergeant", "detective", "lieutenant", "captain", "inspector", "chief"}


def _antecedent(position: int, mentions: list[EntityMention]) -> str | None:
    """The last person named before ``position`` (pronoun resolution by recency)."""
    people = [m for m in mentions if m.label == "PERSON" and m.end <= position]
    return people[-1].text if people else None


def _noun_phrase(token: Any) -> str:
    """The subject's words, without leading determiners or trailing clauses."""
    words = [
        t for t in token.subtree if t.dep_ not in ("relcl", "acl", "punct", "appos", "advcl", "prep") or t.i <= token.i
    ]
    start = min(t.i for t in words)
    end = token.i + 1
    for t in token.children:
        if t.dep_ in ("compound", "amod", "poss", "det", "nmod") and t.i < token.i:
            start = min(start, t.left_edge.i)
        if t.dep_ == "prep" and t.i > token.i and t.lower_ == "of":
            end = max(end, t.right_edge.i + 1)
    span = token.doc[start:end]
    text = span.text.strip()
    return re.sub(r"^(the|a|an)\s+", "", text, flags=re.I)
