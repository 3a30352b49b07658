"""Pages, feeds, OPML and WARC archives, served by a real local HTTP server (with broken ones too)."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from consilience.errors import InputError
from consilience.incremental import Ingestor, IngestReport
from consilience.ingest import FetchHooks, SourceReader
from consilience.ingest.web import Fetcher, FetchPolicy, canonical_url
from consilience.store import open_store

PARAGRAPH = (
    "The regional council voted on Tuesday to close the old harbour bridge for repairs after engineers found "
    "cracks in two of its supporting piers. Traffic will be diverted through the northern ring road for at "
    "least six months, the council said in a statement, and ferries will run every twenty minutes. "
)


def page(title: str, topic: str) -> bytes:
    body = "".join(f"<p>{topic} {PARAGRAPH}</p>" for _ in range(3))
    return (f"<!doctype html><html><head><title>{title}</title><meta name='date' content='2024-05-02'></head>"
            f"<body><nav>Home | World</nav><article><h1>{title}</h1>{body}</article>"
            "<footer>Please enter your comment!</footer></body></html>").encode()  # fmt: skip


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Local News</title>
<item><title>Bridge closed</title><link>{base}/a1?utm_source=rss</link><pubDate>Thu, 02 May 2024 09:00:00 GMT</pubDate>
<description>Short summary.</description></item>
<item><title>Bridge repairs start</title><link>{base}/a2</link><pubDate>Thu, 02 May 2024 10:00:00 GMT</pubDate></item>
<item><title>Ferries added</title><link>{base}/full</link><pubDate>Thu, 02 May 2024 11:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>Ferries {para}</p><p>{para}</p><p>{para}</p>]]></content:encoded></item>
<item><title>Robots say no</title><link>{base}/private/secret</link><description>Tiny.</description></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title>
<entry><title>Council statement</title><link href="{base}/a3"/><id>urn:a3</id><updated>2024-05-03T08:00:00Z</updated></entry>
</feed>"""
OPML = """<?xml version="1.0"?><opml version="2.0"><body><outline text="news">
<outline text="rss" xmlUrl="{base}/feed.xml"/><outline text="atom" xmlUrl="{base}/atom.xml"/></outline></body></opml>"""


class Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, dict[str, str]]]] = []
    flaky: ClassVar[dict[str, int]] = {"count": 0}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        Handler.requests.append((self.path, dict(self.headers)))
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/feed.xml":
            if self.headers.get("If-None-Match") == '"v1"':
                return self._send(304, b"", "application/rss+xml")
            body = RSS.format(base=base, para=PARAGRAPH).encode()
            return self._send(200, body, "application/rss+xml", {"ETag": '"v1"'})
        if path == "/atom.xml":
            return self._send(200, ATOM.format(base=base).encode(), "application/atom+xml")
        if path == "/list.opml":
            return self._send(200, OPML.format(base=base).encode(), "text/x-opml")
        if path in ("/a1", "/a2", "/a3"):
            return self._send(200, page(f"Harbour bridge report {path[-1]}", "Bridge"), "text/html; charset=utf-8")
        if path == "/latin1":  # declared UTF-8, sent as Latin-1
            body = page("Café owners protest", "Café").decode().replace("Café", "Caf\u00e9").encode("latin-1")
            return self._send(200, body, "text/html; charset=utf-8")
        if path == "/broken.xml":
            return self._send(
                200, b"<?xml version='1.0'?><rss><channel><item><title>oops</item></rss", "application/rss+xml"
            )
        if path == "/empty.xml":
            return self._send(200, b"<?xml version='1.0'?><rss version='2.0'><channel><title>Quiet</title></channel></rss>",
                              "application/rss+xml")  # fmt: skip
        if path == "/no-article":
            return self._send(200, b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "text/html")
        if path == "/error":
            return self._send(500, b"boom", "text/plain")
        if path == "/flaky":
            Handler.flaky["count"] += 1
            if Handler.flaky["count"] == 1:
                return self._send(503, b"busy", "text/plain")
            return self._send(200, page("Flaky but fine", "Bridge"), "text/html")
        if path == "/slow":
            time.sleep(2.0)
            return self._send(200, page("Slow", "Bridge"), "text/html")
        if path == "/to-private":
            return self._send(302, b"", "text/plain", {"Location": "http://10.255.255.1/admin"})
        if path == "/image":
            return self._send(200, b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png")
        return self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out on /slow close the connection: expected, not worth a traceback


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def fetcher(**overrides: object) -> Fetcher:
    policy = dict(allow_loopback=True, per_host_interval=0.0, retries=1, backoff=0.01, timeout=1.0) | overrides
    return Fetcher(FetchPolicy(**policy))  # type: ignore[arg-type]


def read_all(sources: list[str], reader: SourceReader) -> tuple[list[str], list[str]]:
    ids, failed = [], []
    for unit in reader.units(sources):
        try:
            ids += [a.id for a in unit.read()]
        except InputError as error:
            failed.append(str(error))
    return ids, failed


def test_rss_feed_pages_are_fetched_and_full_entries_read_from_the_feed(server: str) -> None:
    reader = SourceReader(fetcher=fetcher())
    articles = [a for unit in reader.units([f"{server}/feed.xml"]) for a in unit.read()]
    by_id = {a.id: a for a in articles}
    assert set(by_id) == {f"{server}/a1", f"{server}/a2", f"{server}/full"}  # tracking parameter dropped
    assert by_id[f"{server}/a1"].title == "Harbour bridge report 1" and "supporting piers" in by_id[f"{server}/a1"].text
    assert "Please enter your comment" not in by_id[f"{server}/a1"].text
    assert by_id[f"{server}/full"].text.startswith("Ferries")
    assert by_id[f"{server}/a2"].published is not None
    assert any("robots.txt" in w and "/private/secret" in w for w in reader.warnings)
    assert not any(path.startswith("/private") for path, _ in Handler.requests)


def test_opml_lists_rss_and_atom(server: str, tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(OPML.format(base=server))
    ids, failed = read_all([str(opml)], SourceReader(fetcher=fetcher()))
    assert f"{server}/a3" in ids and f"{server}/a1" in ids and not failed
    ids, failed = read_all([f"{server}/list.opml"], SourceReader(fetcher=fetcher()))
    assert f"{server}/a3" in ids and not failed


def test_broken_sources_are_named_and_others_still_read(server: str) -> None:
    reader = SourceReader(fetcher=fetcher())
    ids, failed = read_all([f"{server}/broken.xml", f"{server}/missing", f"{server}/error", f"{server}/slow",
                            f"{server}/to-private", f"{server}/image", f"{server}/a1", f"{server}/empty.xml",
                            f"{server}/no-article"], reader)  # fmt: skip
    assert ids == [f"{server}/a1"]
    text = "\n".join(failed)
    assert f"{server}/broken.xml: malformed feed" in text
    assert f"{server}/missing: HTTP 404" in text
    assert f"{server}/error: HTTP 500" in text
    assert f"{server}/slow: timed out" in text
    assert "10.255.255.1" in text and "private or reserved address" in text
    assert f"{server}/image: not a page or a feed" in text
    assert f"{server}/empty.xml: feed has no entries" in text
    assert f"{server}/no-article: HTML page holds no article text" in text


def test_compare_reads_pages_and_feeds_by_url_and_names_the_ones_it_cannot(server: str) -> None:
    """``read_inputs``, what ``compare`` and ``stories`` read: URLs of pages and feeds as ``ingest`` reads them."""
    from consilience.ingest import read_inputs

    result = read_inputs(
        [f"{server}/a1", f"{server}/feed.xml", f"{server}/missing"], reader=SourceReader(fetcher=fetcher())
    )
    ids = [a.id.removeprefix(server) for a in result.articles]
    assert ids == ["/a1", "/a1~2", "/a2", "/full"]  # the page read twice (alone and from the feed): renamed, noted
    assert any("renamed" in w and w.endswith("/a1~2'") for w in result.warnings)
    assert result.failed == [f"{server}/missing"] and any("HTTP 404" in w for w in result.warnings)
    # the default reader refuses loopback, as compare does without --allow-private
    refused = read_inputs([f"{server}/a1"])
    assert not refused.articles and "loopback" in refused.warnings[0]


def test_wrong_charset_is_detected(server: str) -> None:
    (article,) = [a for unit in SourceReader(fetcher=fetcher()).units([f"{server}/latin1"]) for a in unit.read()]
    assert "Café" in article.text


def test_loopback_is_refused_unless_allowed(server: str) -> None:
    with pytest.raises(InputError, match="loopback address"):
        Fetcher().get(f"{server}/a1")
    with pytest.raises(InputError, match="only http"):
        Fetcher().get("file:///etc/passwd")


def test_retry_rate_limit_and_conditional_get(server: str) -> None:
    Handler.flaky["count"] = 0
    assert fetcher().get(f"{server}/flaky").status == 200 and Handler.flaky["count"] == 2
    polite = fetcher(per_host_interval=0.3)
    started = time.monotonic()
    for _ in range(3):
        polite.get(f"{server}/a1")
    assert time.monotonic() - started >= 0.6
    first = fetcher().get(f"{server}/feed.xml")
    assert first.etag == '"v1"'
    assert fetcher().get(f"{server}/feed.xml", etag=first.etag).not_modified


def test_canonical_url() -> None:
    assert canonical_url("HTTPS://News.Example:443/a/b/?utm_medium=x&id=3#comments") == "https://news.example/a/b?id=3"
    assert canonical_url("not a url") is None


def test_feed_ingest_into_store_then_watch_sends_conditional_requests(
    server: str, tmp_path: Path, hashing_embedder: object
) -> None:
    location = str(tmp_path / "feeds.db")
    with open_store(location) as store, store.writer():
        hooks = FetchHooks(validators=store.fetch_validators, record=store.log_fetch,
                           known_url=lambda url: store.value("SELECT 1 FROM articles WHERE canonical_url = ?", (url,)) is not None)  # fmt: skip
        ingestor = Ingestor(store, embedder=hashing_embedder)  # type: ignore[arg-type]
        report = ingestor.ingest_sources(
            [f"{server}/feed.xml"], SourceReader(fetcher=fetcher(), hooks=hooks, conditional=True), IngestReport()
        )
        assert report.added == 3
        Handler.requests.clear()
        second = ingestor.ingest_sources(
            [f"{server}/feed.xml"], SourceReader(fetcher=fetcher(), hooks=hooks, conditional=True), IngestReport()
        )
        assert second.added == 0 and any("not modified" in w for w in second.warnings)
        feed_requests = [headers for path, headers in Handler.requests if path == "/feed.xml"]
        assert feed_requests and feed_requests[0].get("If-None-Match") == '"v1"'
        assert store.fetch_validators(f"{server}/feed.xml")[0] == '"v1"'


def test_cli_watch_rounds_and_refusal(server: str, tmp_path: Path) -> None:
    db = str(tmp_path / "watch.db")
    run = [sys.executable, "-m", "consilience.cli"]
    refused = subprocess.run([*run, "ingest", f"{server}/a1", "--db", db], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 3 and "loopback" in refused.stderr
    watched = subprocess.run([*run, "watch", f"{server}/feed.xml", "--every", "0.1s", "--rounds", "2", "--db", db,
                              "--allow-private", "--rate", "0"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert watched.returncode == 0, watched.stderr
    assert "round 1: added 3" in watched.stdout and "round 2: added 0" in watched.stdout
    assert "not modified" in watched.stdout


def make_warc(path: Path, server: str) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for name, content_type, body in (("a1", "text/html", page("Archived bridge", "Bridge")),
                                         ("a2", "text/html", page("Archived ferry", "Ferry")),
                                         ("logo", "image/png", b"\x89PNG")):  # fmt: skip
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(f"https://archive.example/{name}", "response",
                                               payload=io.BytesIO(body), http_headers=headers)  # fmt: skip
            writer.write_record(record)


def test_warc_archive(tmp_path: Path, hashing_embedder: object) -> None:
    archive = tmp_path / "crawl.warc.gz"
    make_warc(archive, "")
    corrupt = tmp_path / "corrupt.warc.gz"
    corrupt.write_bytes(gzip.compress(b"this is not a warc record\r\n" * 20))
    location = str(tmp_path / "warc.db")
    with open_store(location) as store, store.writer():
        report = Ingestor(store, embedder=hashing_embedder).ingest_sources(  # type: ignore[arg-type]
            [str(archive), str(corrupt)], SourceReader(), IngestReport()
        )
        assert report.added == 2
        assert len(report.failed) == 1 and "corrupt.warc.gz" in report.failed[0]
        assert {a.id for a in store.iter_articles()} == {"https://archive.example/a1", "https://archive.example/a2"}


def test_cli_ingest_store_commands(tmp_path: Path) -> None:
    from .conftest import EXAMPLES

    db = str(tmp_path / "cli.db")
    run = [sys.executable, "-m", "consilience.cli"]
    unreadable = tmp_path / "binary.txt"
    unreadable.write_bytes(b"\x00\x01\x02" * 100)
    done = subprocess.run([*run, "ingest", str(EXAMPLES / "ecbplus-qeshm-earthquake.jsonl"), str(unreadable), "--db", db, "--json"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 3 and "binary.txt: looks like a binary file" in done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == 5 and report["store"]["articles"] == 5
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "README.md").write_text("# Dump\n\nReports fetched on Monday, one JSON line each.")
    (folder / "quake.jsonl").write_bytes((EXAMPLES / "ecbplus-qeshm-earthquake.jsonl").read_bytes())
    again = subprocess.run(
        [*run, "ingest", str(folder), "--db", db, "--json"], capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0 and json.loads(again.stdout)["added"] == 0
    assert again.stderr.count("skipped README.md") == 1, again.stderr
    stories = json.loads(
        subprocess.run([*run, "stories", "--db", db, "--json"], capture_output=True, text=True, timeout=120).stdout
    )
    assert {a for s in stories["stories"] for a in s["articles"]} == {f"ecb-20_{n}ecb" for n in range(1, 6)}
    story = stories["stories"][0]["id"]
    shown = subprocess.run([*run, "show", story, "--db", db, "--json"], capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0 and json.loads(shown.stdout)["stories"][0]["facts"]
    memberships = json.loads(shown.stdout)["stories"][0]["memberships"]  # stored at ingest
    assert {m["article"] for m in memberships} == set(stories["stories"][0]["articles"])
    review = subprocess.run([*run, "review", "--db", db, "--json"], capture_output=True, text=True, timeout=120)
    queue = json.loads(review.stdout)["weakly_filed"]
    assert review.returncode == 0 and all(d["membership"]["probability"] < 0.5 for d in queue)
    bad = subprocess.run([*run, "review", "--db", db, "--limit", "0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--limit: must be at least 1" in bad.stderr
    moved = subprocess.run([*run, "move", "ecb-20_5ecb", "--new", "--db", db, "--json"], capture_output=True, text=True,
                           timeout=300)  # fmt: skip
    result = json.loads(moved.stdout)
    assert result["from"] == story and result["sizes"] == {story: 4, result["to"]: 1}
    back = subprocess.run([*run, "move", "ecb-20_5ecb", "--to", story, "--db", db], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert back.returncode == 0 and f"to {story} (5 articles); {result['to']} is left empty" in back.stdout
    wrong = subprocess.run([*run, "move", "ecb-20_5ecb", "--to", "s999", "--db", db], capture_output=True, text=True,
                           timeout=300)  # fmt: skip
    assert wrong.returncode == 3 and "s999: no such story" in wrong.stderr and "Traceback" not in wrong.stderr
    missing = subprocess.run([*run, "show", "s999", "--db", db], capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "s999: no such story" in missing.stderr and "Traceback" not in missing.stderr
    found = json.loads(
        subprocess.run(
            [*run, "search", "Qeshm", "--db", db, "--json"], capture_output=True, text=True, timeout=120
        ).stdout
    )
    assert found["hits"]
    out = tmp_path / "all.parquet"
    assert (
        subprocess.run([*run, "export", "--format", "parquet", "-o", str(out), "--db", db], timeout=120).returncode == 0
    )
    import pyarrow.parquet as pq

    exported = pq.read_table(out)
    assert exported.num_rows == 5 and str(exported.schema.field("membership").type) == "double"
    assert str(exported.schema.field("url").type) == "string"
    csv_out = subprocess.run(
        [*run, "export", "--format", "csv", "--db", db], capture_output=True, text=True, timeout=120
    )
    assert csv_out.stdout.splitlines()[0].startswith("id,url,title")
    not_store = tmp_path / "notes.txt"
    not_store.write_text("hello\n" * 100)
    refused = subprocess.run([*run, "stories", "--db", str(not_store)], capture_output=True, text=True, timeout=120)
    assert (
        refused.returncode == 5
        and "not a consilience store" in refused.stderr
        and not_store.read_text() == "hello\n" * 100
    )
