"""Ingest: read articles from text files, HTML pages and JSONL/CSV dumps, and find the files a folder holds.

Every reader returns :class:`~consilience.model.Article` objects with the raw text
in ``text`` (cleaning is the next stage). Problems with one input raise
:class:`~consilience.errors.InputError` naming that input; problems with one record
of a dump are reported through ``warnings`` and the record is skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dateutil import parser as date_parser

from ..errors import InputError
from ..model import Article
from ..settings import DEFAULT_SETTINGS, Settings

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv"}
# read by the feed and archive readers (ingest/__init__.py), not read_file; a folder's files of these kinds are read too
FEED_SUFFIXES = (".rss", ".atom", ".xml", ".opml")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
ARTICLE_FIELDS = ("id", "title", "text", "outlet", "published", "url", "lang")
_BINARY_SNIFF_BYTES = 8192
# A folder's own documentation, not an article, when the folder is read as a whole (named alone, it is read).
FOLDER_DOCUMENT_NAMES = frozenset(
    {"README", "LICENSE", "LICENCE", "COPYING", "NOTICE", "CHANGELOG", "CHANGES", "CONTRIBUTING", "AUTHORS"}
)
MIN_HTML_ARTICLE_CHARS = 80  # less main text than this on a web page is navigation or a stub, not an article


@dataclass
class IngestResult:
    """Articles read from a set of inputs, with what went wrong along the way."""

    articles: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def expand_paths(paths: Iterable[str | os.PathLike[str]], warnings: list[str]) -> Iterator[Path]:
    """Yield files named by ``paths``: files as given, folders recursively, globs expanded."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            supported = [p for p in files if _kind_of(p) or p.name.lower().endswith(FEED_SUFFIXES + WARC_SUFFIXES)]
            documents = [p for p in supported if _is_folder_document(p)]
            if documents:
                names = ", ".join(str(p.relative_to(path)) for p in documents)
                warnings.append(f"{path}: skipped {names} (the folder's documentation; name a file to read it)")
            supported = [p for p in supported if p not in documents]
            if not supported:
                warnings.append(f"{path}: folder holds no article files (.txt, .html, .jsonl, .csv, feeds, WARC)")
            yield from supported
        elif path.exists():
            yield path
        else:
            matches = sorted(glob.glob(str(raw), recursive=True))
            if not matches:
                raise InputError(str(raw), "no such file or folder")
            yield from (Path(m) for m in matches if Path(m).is_file())


def _is_folder_document(path: Path) -> bool:
    return path.name.split(".")[0].upper() in FOLDER_DOCUMENT_NAMES and path.suffix.lower() in TEXT_SUFFIXES


def read_file(path: Path, settings: Settings = DEFAULT_SETTINGS, warnings: list[str] | None = None) -> list[Article]:
    """Read the articles of one file, choosing the reader from its name and content."""
    warnings = warnings if warnings is not None else []
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(str(path), f"cannot read: {error.strerror}") from None
    if size > settings.max_input_bytes:
        raise InputError(
            str(path), f"{size:,} bytes is over the {settings.max_input_bytes:,}-byte input limit; split the file"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(str(path), f"cannot read: {error.strerror}") from None
    text = decode_bytes(data, str(path))
    kind = _kind_of(path) or _sniff_kind(text)
    if kind == "jsonl":
        return list(read_jsonl(text, str(path), warnings))
    if kind == "csv":
        return list(read_csv(text, str(path), warnings, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    if kind == "html" or (kind == "text" and _looks_like_html(text)):
        return [read_html(text, str(path), article_id=path.name)]
    return [read_text(text, str(path), article_id=path.name)]


def decode_bytes(data: bytes, source: str) -> str:
    """Decode file bytes: UTF-8 (with or without BOM) first, else the detected encoding."""
    if not data.strip():
        raise InputError(source, "file is empty")
    if b"\x00" in data[:_BINARY_SNIFF_BYTES] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(source, "looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(source, "cannot detect the text encoding (binary file?)")
    return str(best)


def read_text(text: str, source: str, article_id: str) -> Article:
    """A plain-text article: a short first line without final punctuation is its title."""
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise InputError(source, "file has no text")
    title = None
    first, _, rest = body.strip().partition("\n")
    first = first.strip()
    if rest.strip() and len(first) <= 200 and not first.endswith((".", "!", "?", "…", '"', "”", ":")):
        title = first
        body = rest
    return Article(id=article_id, title=title, text=body.strip("\n"), source=source)


def read_html(html: str, source: str, article_id: str, url: str | None = None) -> Article:
    """An HTML page: main text and metadata extracted by trafilatura."""
    import trafilatura

    document: Any = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if document is None or not getattr(document, "text", None):
        raise InputError(source, "HTML page holds no article text")
    title = document.title or None
    lines = [line.strip() for line in (document.text or "").split("\n") if line.strip()]
    if lines and title and lines[0] == title.strip():
        lines = lines[1:]
    if not lines:
        raise InputError(source, "HTML page holds no article text")
    characters = sum(len(line) for line in lines)
    if characters < MIN_HTML_ARTICLE_CHARS:
        raise InputError(source, f"HTML page holds no article text (only {characters} characters of main text)")
    return Article(
        id=article_id,
        title=title,
        text="\n\n".join(lines),
        outlet=document.sitename or document.hostname or None,
        published=parse_published(document.date),
        url=document.url or url,
        language=document.language or None,
        source=source,
    )


def read_jsonl(text: str, source: str, warnings: list[str]) -> Iterator[Article]:
    """Articles from JSON Lines (one object a line), or a JSON array of objects."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise InputError(source, f"invalid JSON: {error.msg} at line {error.lineno}") from None
        for number, record in enumerate(records, 1):
            article = record_to_article(record, f"{source}#{number}", warnings)
            if article:
                yield article
        return
    seen = 0
    bad = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        seen += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            bad += 1
            warnings.append(f"{source}:{number}: skipped, invalid JSON ({error.msg})")
            continue
        article = record_to_article(record, f"{source}:{number}", warnings)
        if article:
            yield article
    if seen and bad == seen:
        raise InputError(source, "no line is valid JSON; is this a JSONL file?")


def read_csv(text: str, source: str, warnings: list[str], delimiter: str = ",") -> Iterator[Article]:
    """Articles from a CSV/TSV file with a header row naming the article fields."""
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or ("text" not in reader.fieldnames and "title" not in reader.fieldnames):
        raise InputError(source, f"CSV header has no 'text' or 'title' column (columns: {reader.fieldnames})")
    for number, record in enumerate(reader, 2):
        article = record_to_article(dict(record), f"{source}:{number}", warnings)
        if article:
            yield article


def parse_published(value: Any) -> dt.datetime | None:
    """A publication time from an ISO string, a date, or epoch milliseconds; None if unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    try:
        return date_parser.isoparse(str(value))
    except (ValueError, OverflowError):
        try:
            return date_parser.parse(str(value))
        except (ValueError, OverflowError):
            return None


def record_to_article(record: Any, where: str, warnings: list[str]) -> Article | None:
    """An article from one JSON/CSV record (``text``/``body``/``content``, ``title``, ``id``, ``published``/``date``,
    ``outlet``/``source``, ``url``, ``lang``/``language``); None, with a note in ``warnings``, when it holds none."""
    if not isinstance(record, dict):
        warnings.append(f"{where}: skipped, not a JSON object")
        return None
    text = record.get("text") or record.get("body") or record.get("content") or ""
    title = record.get("title") or None
    if not str(text).strip():
        if not title:
            warnings.append(f"{where}: skipped, no text and no title")
            return None
        text = title
    published_raw = record.get("published") or record.get("date")
    published = parse_published(published_raw)
    if published_raw and published is None:
        warnings.append(f"{where}: unreadable publication date {published_raw!r}, left unknown")
    article_id = record.get("id")
    return Article(
        id=str(article_id) if article_id not in (None, "") else where.rsplit("/", 1)[-1],
        title=str(title).strip() if title else None,
        text=str(text),
        outlet=record.get("outlet") or record.get("source") or None,
        published=published,
        url=record.get("url") or None,
        language=record.get("lang") or record.get("language") or None,
        source=where,
    )


def make_ids_unique(articles: list[Article], warnings: list[str]) -> None:
    seen: dict[str, int] = {}
    for article in articles:
        if article.id in seen:
            seen[article.id] += 1
            new_id = f"{article.id}~{seen[article.id]}"
            warnings.append(f"{article.source}: id {article.id!r} already used, renamed {new_id!r}")
            article.id = new_id
        else:
            seen[article.id] = 1


def _kind_of(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return None


def _sniff_kind(text: str) -> str:
    head = text.lstrip()[:200]
    if head.startswith("{"):
        return "jsonl"
    if _looks_like_html(text):
        return "html"
    return "text"


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in text[:5000])
