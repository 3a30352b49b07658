"""Fetching pages and feeds politely and safely.

:class:`Fetcher` is the only place consilience talks HTTP. It

- refuses private, loopback, link-local and other non-public addresses (at
  every redirect hop, after DNS resolution) unless configured to allow them,
- reads and obeys robots.txt (RFC 9309: a missing file allows everything, an
  unreachable one allows nothing),
- waits between two requests to the same host (a per-host rate limit),
- sends conditional requests (ETag / Last-Modified) when asked,
- times out, retries transient failures with exponential backoff, and caps
  the size of what it downloads.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from .. import __version__
from ..errors import InputError

USER_AGENT = f"consilience/{__version__} (+https://github.com/consilience/consilience)"
_TRACKING_PARAMETERS = {"fbclid", "gclid", "mc_cid", "mc_eid", "cmpid", "ocid", "cmp", "smid"}
_RETRY_STATUS = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class FetchPolicy:
    """How the fetcher behaves; defaults suit crawling public news sites."""

    timeout: float = 20.0
    retries: int = 2
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    per_host_interval: float = 1.0  # minimum seconds between two requests to one host
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    allow_private: bool = False  # private, link-local and reserved addresses (10.x, 192.168.x, 169.254.x, ...)
    allow_loopback: bool = False  # 127.0.0.1, ::1
    obey_robots: bool = True
    user_agent: str = USER_AGENT


@dataclass
class FetchResult:
    """What one GET returned."""

    url: str  # after redirects
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional request."""
        return self.status == 304

    @property
    def text(self) -> str:
        """The body decoded with the declared charset, else detected."""
        from .files import decode_bytes

        charset = httpx.Headers({"content-type": self.content_type}).get("content-type", "")
        declared = charset.split("charset=")[-1].split(";")[0].strip().strip('"') if "charset=" in charset else None
        if declared:
            try:
                return self.content.decode(declared)
            except (LookupError, UnicodeDecodeError):
                pass
        return decode_bytes(self.content, self.url)


class Fetcher:
    """A polite, safe HTTP client (see the module docstring). One per run; not thread-safe."""

    def __init__(self, policy: FetchPolicy | None = None, log: Callable[[str], None] | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self.log = log or (lambda message: None)
        self._client = httpx.Client(
            timeout=self.policy.timeout, follow_redirects=False, headers={"User-Agent": self.policy.user_agent}
        )
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def close(self) -> None:
        """Close connections."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET ``url`` following safe redirects; raises :class:`InputError` naming the URL on failure.

        With ``etag``/``last_modified`` the request is conditional and a 304
        comes back as a result with ``not_modified`` set.
        """
        current = url
        for _ in range(self.policy.max_redirects + 1):
            self.check_address(current)
            if self.policy.obey_robots and not self._allowed_by_robots(current):
                raise InputError(url, f"robots.txt of {urlsplit(current).netloc} disallows fetching {current}")
            headers = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            response = self._request(current, headers)
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                continue
            if response.status == 304 or 200 <= response.status < 300:
                return response
            raise InputError(
                url, f"HTTP {response.status}" + (f" (after redirects, at {current})" if current != url else "")
            )
        raise InputError(url, f"more than {self.policy.max_redirects} redirects")

    def check_address(self, url: str) -> None:
        """Refuse URLs that are not http(s) or that resolve to an address the policy does not allow."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(url, "only http:// and https:// URLs can be fetched")
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        except (socket.gaierror, UnicodeError) as error:
            raise InputError(url, f"cannot resolve host {parts.hostname}: {error}") from None
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if address.is_loopback:
                if not self.policy.allow_loopback:
                    raise InputError(url, f"refused: {parts.hostname} is a loopback address ({address}); "
                                          "allow it explicitly (--allow-private) to fetch from this machine")  # fmt: skip
            elif not address.is_global and not self.policy.allow_private:
                raise InputError(url, f"refused: {parts.hostname} resolves to a private or reserved address "
                                      f"({address}); allow it explicitly (--allow-private)")  # fmt: skip

    def _request(self, url: str, headers: dict[str, str]) -> FetchResult:
        attempt = 0
        while True:
            self._wait_for_host(url)
            try:
                result = self._download(url, headers)
            except (httpx.TimeoutException, httpx.TransportError) as error:
                problem = "timed out" if isinstance(error, httpx.TimeoutException) else f"network error: {error}"
                if attempt >= self.policy.retries:
                    raise InputError(url, f"{problem} (after {attempt + 1} attempts)") from None
                self.log(f"{url}: {problem}; retrying")
            else:
                if result.status not in _RETRY_STATUS or attempt >= self.policy.retries:
                    return result
                self.log(f"{url}: HTTP {result.status}; retrying")
            delay = self.policy.backoff * (2**attempt)
            attempt += 1
            time.sleep(delay)

    def _download(self, url: str, headers: dict[str, str]) -> FetchResult:
        with self._client.stream("GET", url, headers=headers) as response:
            chunks = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.policy.max_bytes:
                    raise InputError(url, f"response larger than {self.policy.max_bytes:,} bytes")
                chunks.append(chunk)
            return FetchResult(
                url=str(response.url),
                status=response.status_code,
                content=b"".join(chunks),
                content_type=response.headers.get("content-type", ""),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                headers=dict(response.headers),
            )

    def _wait_for_host(self, url: str) -> None:
        host = urlsplit(url).netloc.lower()
        last = self._last_request.get(host)
        if last is not None:
            wait = self.policy.per_host_interval - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
        self._last_request[host] = time.monotonic()

    def _allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            robots_url = origin + "/robots.txt"
            parser: urllib.robotparser.RobotFileParser | None = urllib.robotparser.RobotFileParser(robots_url)
            try:
                answer = self._request(robots_url, {})
            except InputError as error:
                self.log(f"{robots_url}: unreachable ({error.problem}); fetching nothing from {origin}")
                parser = None
            else:
                assert parser is not None
                if 200 <= answer.status < 300:
                    parser.parse(answer.content.decode("utf-8", "replace").splitlines())
                elif 400 <= answer.status < 500:
                    parser.parse([])  # no robots.txt: everything allowed
                else:
                    self.log(f"{robots_url}: HTTP {answer.status}; fetching nothing from {origin}")
                    parser = None
            self._robots[origin] = parser
        parser = self._robots[origin]
        return parser is not None and parser.can_fetch(self.policy.user_agent, url)


def is_url(text: str) -> bool:
    """True for an http(s) URL."""
    return text[:8].lower().startswith(("http://", "https://"))


def canonical_url(url: str | None) -> str | None:
    """A URL reduced to what identifies the page: no fragment, no tracking parameters, lower-case host."""
    if not url or not is_url(url):
        return None
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMETERS]  # fmt: skip
    netloc = parts.netloc.lower()
    for default in (":80", ":443"):
        if netloc.endswith(default) and parts.scheme == ("http" if default == ":80" else "https"):
            netloc = netloc[: -len(default)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(sorted(query)), ""))
