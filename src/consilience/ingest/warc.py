"""WARC / WARC.gz web archives (warcio): every archived HTML page is one article."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError
from ..model import Article
from .files import WARC_SUFFIXES, read_html


def is_warc(path: Path) -> bool:
    """A WARC/ARC archive by name."""
    return path.name.lower().endswith(WARC_SUFFIXES)


def read_warc(path: Path, warnings: list[str]) -> Iterator[Article]:
    """Articles from the HTML ``response`` records of a WARC file; pages without an article are noted and skipped."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    pages = 0
    try:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                if record.http_headers.get_statuscode() != "200":
                    continue
                content_type = (record.http_headers.get_header("Content-Type") or "").lower()
                if "html" not in content_type:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                payload = record.content_stream().read()
                pages += 1
                where = f"{path}#{url}"
                try:
                    html = payload.decode("utf-8")
                except UnicodeDecodeError:
                    from charset_normalizer import from_bytes

                    best = from_bytes(payload).best()
                    html = str(best) if best is not None else payload.decode("latin-1")
                try:
                    yield read_html(html, where, article_id=url or where, url=url)
                except InputError as error:
                    warnings.append(f"{where}: skipped, {error.problem}")
    except ArchiveLoadFailed as error:
        raise InputError(str(path), f"not a readable WARC archive: {error}") from None
    except OSError as error:
        raise InputError(str(path), f"cannot read: {error.strerror or error}") from None
    if pages == 0:
        warnings.append(f"{path}: archive holds no HTML pages")
