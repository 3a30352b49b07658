"""Ingest stage: read articles from files, folders, dumps, web pages, feeds and web archives.

- :mod:`~consilience.ingest.files`: text, HTML, JSONL and CSV files (and folders, globs).
- :mod:`~consilience.ingest.web`: the safe, polite HTTP fetcher, canonical URLs.
- :mod:`~consilience.ingest.feeds`: RSS/Atom feeds and OPML lists of feeds.
- :mod:`~consilience.ingest.warc`: WARC archives.

:class:`SourceReader` turns the ``SOURCE`` arguments of ``consilience ingest``
into *units* (a file, a page, a feed, an archive), each read on its own so
that one broken input is reported and the others still go in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..model import Article
from ..settings import DEFAULT_SETTINGS, Settings
from .files import (
    IngestResult,
    decode_bytes,
    expand_paths,
    make_ids_unique,
    parse_published,
    read_csv,
    read_file,
    read_html,
    read_jsonl,
    read_text,
)

if TYPE_CHECKING:
    from .web import Fetcher, FetchResult

SUMMARY_FALLBACK_CHARS = 200  # a feed summary this long stands in for a page that cannot be fetched


@dataclass
class SourceUnit:
    """One input read as a whole: a file, a page, a feed or an archive."""

    name: str
    read: Callable[[], Iterable[Article]]
    kind: str = "file"


@dataclass
class FetchHooks:
    """How reading web sources talks to the store: conditional GET validators, a fetch log, known URLs."""

    validators: Callable[[str], tuple[str | None, str | None]] = lambda url: (None, None)
    record: Callable[[str, int | None, str | None, str | None, str | None], None] = lambda *a: None
    known_url: Callable[[str], bool] = lambda url: False


@dataclass
class SourceReader:
    """Expands ``SOURCE`` arguments into :class:`SourceUnit` objects; notes go to ``warnings``."""

    settings: Settings = DEFAULT_SETTINGS
    fetcher: Fetcher | None = None
    hooks: FetchHooks = field(default_factory=FetchHooks)
    conditional: bool = False  # send ETag / Last-Modified for feeds (``watch``)
    warnings: list[str] = field(default_factory=list)

    def units(self, sources: Iterable[str]) -> Iterator[SourceUnit]:
        """Units of every source, in order; a source that names nothing raises :class:`InputError`."""
        from .feeds import looks_like_feed, looks_like_opml, parse_opml
        from .warc import is_warc, read_warc
        from .web import is_url

        for source in sources:
            if is_url(source):
                yield SourceUnit(source, partial(self._read_url, source), "url")
                continue
            for path in expand_paths([source], self.warnings):
                name = str(path)
                lower = path.name.lower()
                if is_warc(path):
                    yield SourceUnit(name, partial(read_warc, path, self.warnings), "warc")
                elif lower.endswith(".opml"):
                    try:
                        feeds = parse_opml(path.read_bytes(), name)
                    except OSError as error:
                        raise InputError(name, f"cannot read: {error.strerror}") from None
                    for url in feeds:
                        yield SourceUnit(url, partial(self._read_url, url), "feed")
                elif lower.endswith((".rss", ".atom", ".xml")):
                    data = _read_bytes(path)
                    if looks_like_opml(data):
                        for url in parse_opml(data, name):
                            yield SourceUnit(url, partial(self._read_url, url), "feed")
                    elif looks_like_feed(data):
                        yield SourceUnit(name, partial(self._read_feed, data, name), "feed")
                    else:
                        raise InputError(name, "XML file is neither an RSS/Atom feed nor an OPML list")
                else:
                    yield SourceUnit(name, partial(read_file, path, self.settings, self.warnings))

    def _fetch(self, url: str, conditional: bool) -> FetchResult:
        if self.fetcher is None:
            from .web import Fetcher

            self.fetcher = Fetcher(log=self.warnings.append)
        etag, modified = self.hooks.validators(url) if conditional else (None, None)
        try:
            result = self.fetcher.get(url, etag, modified)
        except InputError as error:
            self.hooks.record(url, None, None, None, error.problem)
            raise
        self.hooks.record(url, result.status, result.etag, result.last_modified, None)
        return result

    def _read_url(self, url: str) -> Iterable[Article]:
        from .feeds import looks_like_feed, looks_like_opml, parse_opml

        result = self._fetch(url, self.conditional)
        if result.not_modified:
            self.warnings.append(f"{url}: not modified since the last fetch")
            return []
        if looks_like_opml(result.content):
            return [a for feed in parse_opml(result.content, url) for a in self._read_url(feed)]
        if looks_like_feed(result.content, result.content_type.lower()):
            return self._read_feed(result.content, url)
        if "html" not in result.content_type.lower() and result.content_type and not _is_text(result.content_type):
            raise InputError(url, f"not a page or a feed (content type {result.content_type})")
        from .web import canonical_url

        article_id = canonical_url(result.url) or url
        if result.content_type.lower().startswith("text/plain"):
            page = read_text(result.text, url, article_id=article_id)
            page.url = result.url
            return [page]
        return [read_html(result.text, url, article_id=article_id, url=result.url)]

    def _read_feed(self, content: bytes | str, feed: str) -> list[Article]:
        from .feeds import parse_feed
        from .web import canonical_url

        entries, problem = parse_feed(content, feed)
        if not entries and not problem:
            raise InputError(feed, "feed has no entries")
        articles = []
        for number, entry in enumerate(entries, 1):
            link = canonical_url(entry.link)
            article_id = link or entry.entry_id or f"{feed}#{number}"
            if link and self.hooks.known_url(link):
                continue
            article: Article | None = None
            if entry.full_text or not entry.link:
                article = Article(id=article_id, text=entry.text, title=entry.title, url=entry.link, source=feed,
                                  outlet=_host(entry.link))  # fmt: skip
            else:
                try:
                    page = self._fetch(entry.link, conditional=False)
                    article = read_html(page.text, entry.link, article_id=article_id, url=entry.link)
                except InputError as error:
                    if len(entry.text) >= SUMMARY_FALLBACK_CHARS:
                        self.warnings.append(f"{entry.link}: {error.problem}; using the feed's summary instead")
                        article = Article(id=article_id, text=entry.text, title=entry.title, url=entry.link,
                                          source=feed, outlet=_host(entry.link))  # fmt: skip
                    else:
                        self.warnings.append(f"{entry.link}: skipped, {error.problem}")
            if article is None or not article.text.strip():
                continue
            article.title = article.title or entry.title
            article.published = article.published or parse_published(entry.published)
            articles.append(article)
        if problem and not articles:
            raise InputError(feed, f"malformed feed: {problem}")
        if problem:
            self.warnings.append(f"{feed}: malformed feed, read leniently ({problem})")
        return articles


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(str(path), f"cannot read: {error.strerror}") from None


def _host(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def read_inputs(
    sources: Iterable[str | os.PathLike[str]],
    settings: Settings = DEFAULT_SETTINGS,
    strict: bool = False,
    reader: SourceReader | None = None,
) -> IngestResult:
    """Read every article of ``sources``: files, folders and globs, RSS/Atom feeds and OPML lists, WARC archives, URLs.

    What ``consilience compare`` and ``stories`` read (``ingest`` reads the
    same through :class:`SourceReader`, unit by unit, into a store). A source
    that names nothing (a path that does not exist, an XML file that is no
    feed) raises :class:`InputError`; inputs that cannot be read are listed in
    ``failed`` and explained in ``warnings``, and with ``strict`` the first
    one raises. Pages and feeds are fetched with ``reader``'s fetcher
    (default: the polite one, no private addresses).
    """
    result = IngestResult()
    reader = reader or SourceReader(settings, warnings=result.warnings)
    for unit in reader.units(str(source) for source in sources):
        try:
            result.articles.extend(unit.read())
        except InputError as error:
            if strict:
                raise
            result.failed.append(unit.name)
            result.warnings.append(str(error))
    if reader.warnings is not result.warnings:
        result.warnings.extend(reader.warnings)
    make_ids_unique(result.articles, result.warnings)
    return result


def _is_text(content_type: str) -> bool:
    return content_type.lower().startswith("text/")


__all__ = [
    "FetchHooks",
    "IngestResult",
    "SourceReader",
    "SourceUnit",
    "decode_bytes",
    "expand_paths",
    "parse_published",
    "read_csv",
    "read_file",
    "read_html",
    "read_inputs",
    "read_jsonl",
    "read_text",
]
