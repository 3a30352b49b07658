"""Clean: repair scraped and machine-translated text, recording every change.

The cleaner runs a fixed sequence of passes over the text (mojibake, page debris,
repeated paragraphs, translation artifacts, glued sentences, stray spaces,
white space). Each pass rewrites the current text; a per-character map back to
the raw text lets :func:`clean_text` report the final changes as
:class:`~consilience.model.CleaningEdit` spans of the *raw* text, so that
``apply_edits(raw, edits) == cleaned`` always holds and nothing disappears
without a recorded reason.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .model import Article, CleaningEdit
from .settings import DEFAULT_SETTINGS, Settings

# A pass proposes (start, end, replacement, reason) edits on the current text,
# sorted and non-overlapping.
PassEdit = tuple[int, int, str, str]
Pass = Callable[[str, Settings], Iterator[PassEdit]]

_DEBRIS_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "comment form",
        re.compile(
            r"(please )?(enter|type) your (comment|name|e-?mail( address)?|website)( here)?[.!:]*"
            r"|(leave|post|add|write) a (comment|reply)[.!:]*|you must be logged in to post a comment.*"
            r"|your e-?mail address will not be published.*|required fields are marked.*"
            r"|save my name,? e-?mail,? and website.*|\d+ comments?|comments?( \(\d+\))?|cancel reply"
            r"|notify me of (new|follow-up) (comments|posts).*|log ?in to (comment|reply)",
            re.I,
        ),
    ),
    (
        "share buttons",
        re.compile(
            r"(share|tweet|pin it|e-?mail|print)( (this|the))?( (article|story|post|page))?( on| via| with)?"
            r"( (facebook|twitter|x|whatsapp|linkedin|telegram|reddit|e-?mail))?[:!.]*"
            r"|((facebook|twitter|whatsapp|linkedin|telegram|reddit|pinterest|e-?mail|print|copy link)"
            r"\s*[|·,/•]?\s*){2,}",
            re.I,
        ),
    ),
    (
        "cookie notice",
        re.compile(
            r"(we|this (web)?site|our (web)?site) uses? cookies.*|(accept|manage|reject)( all)? cookies.*"
            r"|cookie (policy|settings|preferences).*",
            re.I,
        ),
    ),
    (
        "read-more link",
        re.compile(
            r"(read|see) (more|also|next|the full (story|article))\b.*|click here (to|for) .*|related( articles| stories)?:.*"
            r"|recommended( for you)?:?|more from .{0,60}|continue reading.*|back to top|skip to (main )?content|loading\.\.\.",
            re.I,
        ),
    ),
    (
        "newsletter",
        re.compile(
            r".{0,60}\b(subscribe|sign up|register)\b.{0,60}\b(newsletter|alerts|updates|our channel)\b.{0,60}"
            r"|.{0,40}newsletter.{0,40}",
            re.I,
        ),
    ),
    ("advertisement", re.compile(r"advertisement|advertising|sponsored( content)?|\[?ad\]?", re.I)),
    (
        "copyright line",
        re.compile(r"(©|copyright|\(c\))\s*.{0,100}|all rights reserved\.?", re.I),
    ),
]

# "cooperation.Essence" at the end of a paragraph: a capitalised word glued after the
# final full stop and followed by nothing is a machine-translation artifact of a
# sentence-final punctuation mark, not a sentence.
_TRAILING_GLUED_WORD = re.compile(r"(?<=[a-z)\]\"”’'])\.([A-Z][a-z]{2,})[ \t]*(?=\n|$)")
# "United States.In this context": a sentence end glued to the next sentence.
_GLUED_SENTENCE = re.compile(r"(?<=[a-z)\]\"”’'%][.!?])(?=[\"“‘(]?[A-Z][a-z])|(?<=[a-z][.!?][\"”’])(?=[A-Z][a-z])")
# "Sino -Russian", "third -party": a space inside a hyphenated compound.
_SPACED_HYPHEN = re.compile(r"(?<=[A-Za-z]) -(?=[A-Za-z])")
# "China-Russia-Russia-Russia": the same compound part repeated after another part
# (a lone "Bora-Bora" or "Baden-Baden" is a real name and stays).
_REPEATED_COMPOUND = re.compile(r"\b[A-Z][a-z]+-([A-Z][a-z]+)((?:-\1\b)+)")
# "Commission. of the Central Committee": a full stop inside a sentence.
_STRAY_FULL_STOP = re.compile(
    r"(?<=[a-z]{3})(?<!\betc)(?<!\bvs)(?<!\bapprox)(?<!\bincl)(?<!\bcorp)(?<!\bgovt)\.(?= (?:of|and|or|the|in|to|for|with|from|by|on|at|which|who)\b)"
)
_DOMAIN_OR_INITIALS = re.compile(r"(?:\b[A-Z]\.){1,}$|www\.|https?://|\.(com|org|net|gov)\b", re.I)


@dataclass
class CleanResult:
    """The cleaned text and the edits, in raw-text coordinates, that produce it."""

    text: str
    edits: list[CleaningEdit]


def clean_text(raw: str, settings: Settings = DEFAULT_SETTINGS) -> CleanResult:
    """Clean ``raw`` and report every change as an edit of the raw text."""
    current = raw
    origin = array("l", range(len(raw)))  # raw index of each current character, -1 if inserted
    reasons: list[tuple[int, int, str]] = []  # raw spans and why they changed
    for run_pass in _PASSES:
        edits = list(run_pass(current, settings))
        if not edits:
            continue
        pieces: list[str] = []
        new_origin = array("l")
        cursor = 0
        for start, end, replacement, reason in edits:
            pieces.append(current[cursor:start])
            new_origin.extend(origin[cursor:start])
            pieces.append(replacement)
            new_origin.extend(array("l", [-1]) * len(replacement))
            reasons.append((_raw_left(origin, start, len(raw)), _raw_right(origin, end, len(raw)), reason))
            cursor = end
        pieces.append(current[cursor:])
        new_origin.extend(origin[cursor:])
        current = "".join(pieces)
        origin = new_origin
    return CleanResult(current, _final_edits(raw, current, origin, reasons))


def content_hash(text: str) -> str:
    """Identity of a cleaned text, blind to whitespace and case: equal hashes are copies of one text."""
    return hashlib.sha1(" ".join(text.split()).casefold().encode()).hexdigest()


def clean_article(article: Article, settings: Settings = DEFAULT_SETTINGS) -> Article:
    """Clean an article in place; keep the raw text and the edits.

    The headline is a claim like any other, so the text compared is the headline,
    a blank line, then the body (unless the body already starts with the headline).
    """
    if article.raw_text is None:
        body = article.text
        title = (article.title or "").strip()
        article.raw_text = f"{title}\n\n{body}" if title and not body.lstrip().startswith(title) else body
    if article.title:
        article.title = clean_text(article.title, settings).text.strip() or None
    result = clean_text(article.raw_text, settings)
    article.text = result.text
    article.cleaning = result.edits
    return article


def apply_edits(raw: str, edits: list[CleaningEdit]) -> str:
    """Rebuild the cleaned text from the raw text and the edits (inverse check)."""
    out: list[str] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(raw[cursor : edit.start])
        out.append(edit.replacement)
        cursor = edit.end
    out.append(raw[cursor:])
    return "".join(out)


def _raw_left(origin: array[int], position: int, raw_length: int) -> int:
    for index in range(position, len(origin)):
        if origin[index] >= 0:
            return int(origin[index])
    return raw_length


def _raw_right(origin: array[int], position: int, raw_length: int) -> int:
    for index in range(position - 1, -1, -1):
        if origin[index] >= 0:
            return int(origin[index]) + 1
    return 0


def _final_edits(raw: str, cleaned: str, origin: array[int], reasons: list[tuple[int, int, str]]) -> list[CleaningEdit]:
    """Edits between consecutive surviving raw characters (a gap or inserted text)."""
    edits: list[CleaningEdit] = []
    previous_raw = -1
    previous_clean = -1
    positions = [i for i, o in enumerate(origin) if o >= 0]
    for clean_index in [*positions, len(cleaned)]:
        raw_index = origin[clean_index] if clean_index < len(cleaned) else len(raw)
        removed_start, removed_end = previous_raw + 1, raw_index
        inserted = cleaned[previous_clean + 1 : clean_index]
        if removed_end > removed_start or inserted:
            removed = raw[removed_start:removed_end]
            if removed != inserted:
                edits.append(
                    CleaningEdit(
                        removed_start, removed_end, removed, inserted, _reason_for(removed_start, removed_end, reasons)
                    )
                )
        previous_raw, previous_clean = raw_index, clean_index
    return edits


def _reason_for(start: int, end: int, reasons: list[tuple[int, int, str]]) -> str:
    found = [r for s, e, r in reasons if (s < end and e > start) or (start == end and s <= start <= e)]
    return "; ".join(dict.fromkeys(found)) or "white space"


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    start = 0
    for line in text.split("\n"):
        yield start, start + len(line), line
        start += len(line) + 1


def _pass_unicode(text: str, settings: Settings) -> Iterator[PassEdit]:
    import ftfy

    config = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, explain=False)
    for start, end, line in _lines(text):
        if line.isascii() and "&" not in line:
            continue
        fixed = ftfy.fix_text(line, config)
        if fixed != line:
            yield start, end, fixed, "mojibake / broken unicode"


def _pass_line_endings(text: str, settings: Settings) -> Iterator[PassEdit]:
    for match in re.finditer(r"\r\n?|[\u00a0\u2007\u202f\t]|[\u200b\u200c\u200d\ufeff]", text):
        char = match.group()
        if char.startswith("\r"):
            yield match.start(), match.end(), "\n", "line endings"
        elif char in "\u200b\u200c\u200d\ufeff":
            yield match.start(), match.end(), "", "invisible characters"
        else:
            yield match.start(), match.end(), " ", "white space"


def _pass_debris(text: str, settings: Settings) -> Iterator[PassEdit]:
    for start, end, line in _lines(text):
        stripped = line.strip()
        if not stripped or len(stripped) > settings.max_debris_line_chars:
            continue
        for reason, pattern in _DEBRIS_PATTERNS:
            if pattern.fullmatch(stripped):
                yield start, end, "", f"debris: {reason}"
                break


def _pass_repeated_paragraphs(text: str, settings: Settings) -> Iterator[PassEdit]:
    seen: set[str] = set()
    position = 0
    for block in re.split(r"(\n\s*\n)", text):
        if block.strip() and not block.isspace():
            key = " ".join(block.split()).casefold()
            if len(key) >= 20 and key in seen:
                yield position, position + len(block), "", "repeated paragraph"
            seen.add(key)
        position += len(block)


def _pass_trailing_glued_word(text: str, settings: Settings) -> Iterator[PassEdit]:
    for match in _TRAILING_GLUED_WORD.finditer(text):
        yield match.start(1), match.end(), "", "full-stop artifact of machine translation"


def _pass_glued_sentences(text: str, settings: Settings) -> Iterator[PassEdit]:
    for match in _GLUED_SENTENCE.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()]
        after = text[match.start() : match.start() + 8]
        if _DOMAIN_OR_INITIALS.search(before) or re.match(r"(com|org|net)\b", after, re.I):
            continue
        yield match.start(), match.start(), " ", "glued sentences"


def _pass_stray_full_stops(text: str, settings: Settings) -> Iterator[PassEdit]:
    for match in _STRAY_FULL_STOP.finditer(text):
        yield match.start(), match.end(), "", "stray full stop inside a sentence"


def _pass_compounds(text: str, settings: Settings) -> Iterator[PassEdit]:
    for match in _SPACED_HYPHEN.finditer(text):
        yield match.start(), match.end(), "-", "stray space in compound"


def _pass_repeated_compound(text: str, settings: Settings) -> Iterator[PassEdit]:
    for match in _REPEATED_COMPOUND.finditer(text):
        yield match.start(2), match.end(2), "", "repeated compound part"


def _pass_whitespace(text: str, settings: Settings) -> Iterator[PassEdit]:
    for match in re.finditer(r"\A\s+|\s+\Z| +(?=\n)|(?<=\n) +| {2,}|\n{3,}", text):
        chunk = match.group()
        if match.start() == 0 or match.end() == len(text):
            yield match.start(), match.end(), "", "white space"
        elif "\n" in chunk:
            yield match.start(), match.end(), "\n\n" if chunk.count("\n") >= 3 else "", "white space"
        else:
            yield match.start(), match.end(), " " if chunk.startswith("  ") else "", "white space"


def _pass_blank_lines(text: str, settings: Settings) -> Iterator[PassEdit]:
    for match in re.finditer(r"\n{3,}", text):
        yield match.start(), match.end(), "\n\n", "white space"


_PASSES: list[Pass] = [
    _pass_unicode,
    _pass_line_endings,
    _pass_debris,
    _pass_repeated_paragraphs,
    _pass_trailing_glued_word,
    _pass_glued_sentences,
    _pass_stray_full_stops,
    _pass_compounds,
    _pass_repeated_compound,
    _pass_whitespace,
    _pass_blank_lines,
]
