"""RSS/Atom feeds (feedparser) and OPML lists of feeds."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .files import parse_published

FULL_TEXT_CHARS = 600  # an entry whose own content is at least this long is read from the feed, not fetched


@dataclass
class FeedEntry:
    """One item of a feed."""

    link: str | None
    title: str | None
    published: Any
    text: str  # the entry's content or summary, as plain text
    entry_id: str | None

    @property
    def full_text(self) -> bool:
        """True when the feed carries the whole article (no need to fetch the page)."""
        return len(self.text) >= FULL_TEXT_CHARS


def looks_like_feed(content: bytes | str, content_type: str = "") -> bool:
    """RSS, Atom or RDF by content type or by the document's first element."""
    if any(kind in content_type for kind in ("rss", "atom", "rdf")):
        return True
    head = (content[:1000].decode("utf-8", "replace") if isinstance(content, bytes) else content[:1000]).lower()
    head = re.sub(r"<\?xml[^>]*\?>|<!--.*?-->|\s+", " ", head, flags=re.S).strip()
    return head.startswith(("<rss", "<feed", "<rdf:rdf"))


def looks_like_opml(content: bytes | str) -> bool:
    """An OPML document (a list of feeds)."""
    head = (content[:500].decode("utf-8", "replace") if isinstance(content, bytes) else content[:500]).lower()
    return "<opml" in head


def parse_feed(content: bytes | str, source: str) -> tuple[list[FeedEntry], str | None]:
    """The entries of an RSS/Atom feed, and what is wrong with its XML if anything (feedparser reads leniently).

    Raises :class:`InputError` for a document that is not a readable feed at all.
    """
    import feedparser

    parsed = feedparser.parse(content)
    entries = parsed.get("entries") or []
    if not entries and parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        raise InputError(source, f"malformed feed: {problem}" if problem else "malformed feed")
    if not entries and not parsed.get("feed"):
        raise InputError(source, "not an RSS or Atom feed")
    out = []
    for entry in entries:
        content_html = ""
        if entry.get("content"):
            content_html = max((c.get("value", "") for c in entry["content"]), key=len)
        text = html_to_text(content_html or entry.get("summary", "") or "")
        published = entry.get("published") or entry.get("updated") or None
        out.append(FeedEntry(entry.get("link"), entry.get("title"), published, text, entry.get("id")))
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    return out, (str(problem) or type(problem).__name__) if problem is not None else None


def entry_published(entry: FeedEntry) -> Any:
    """The entry's publication time, parsed."""
    return parse_published(entry.published)


def parse_opml(content: bytes | str, source: str) -> list[str]:
    """Feed URLs listed in an OPML document (``xmlUrl`` of every outline, nested ones too)."""
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise InputError(source, f"malformed OPML: {error}") from None
    urls = [o.get("xmlUrl") or o.get("xmlurl") for o in root.iter("outline")]
    found = list(dict.fromkeys(u.strip() for u in urls if u and u.strip()))
    if not found:
        raise InputError(source, "OPML lists no feeds (no outline with an xmlUrl)")
    return found


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: paragraphs kept as blank-line breaks, tags dropped, entities decoded."""
    if "<" not in fragment:
        return html.unescape(fragment).strip()
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", fragment)
    text = re.sub(r"(?i)<\s*(br|/p|/div|/h\d|/li)\b[^>]*>", "\n\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", html.unescape(line)).strip() for line in text.split("\n")]
    return "\n\n".join(line for line in lines if line)
