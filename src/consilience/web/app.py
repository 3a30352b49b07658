"""The HTTP API and web pages over a store (FastAPI, server-rendered Jinja2 pages).

``create_app(location)`` builds the application; ``consilience serve`` runs it
with uvicorn. Pages and JSON come from the same functions the CLI uses
(``Store.stories``, ``compare_stored_story``, ``pipeline.compare``). Every
piece of article text reaches the pages through Jinja2's autoescaping, and the
Content-Security-Policy allows scripts from this server's ``/static`` only, so
an article carrying ``<script>`` or a ``javascript:`` link runs nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..errors import ConsilienceError, InputError, NoArticlesError
from ..model import Article, Comparison, FactStatus, to_plain
from ..render import to_json
from ..render.common import (
    coverage_matrix,
    look_alike_verdict,
    membership_reasons,
    source_numbers,
    weak_sources_note,
)
from ..store import Store, StoryFilter, open_store

log = logging.getLogger("consilience.web")
MAX_REQUEST_BYTES = 2_000_000
MAX_COMPARE_ARTICLES = 50
TOKEN_COOKIE = "consilience_token"  # set by /login (an HMAC of the write token): the pages' correction forms may write
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (413), whether or not they declare their length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"detail": "request body over {limit:,} bytes"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def create_app(location: str | None = None, token: str | None = None, allow_private: bool = False) -> FastAPI:
    """The web application over the store at ``location`` (a SQLite path or a PostgreSQL URL).

    With ``token``, write endpoints (``POST /api/ingest``, ``/api/move``, ``/api/merge``) need
    ``Authorization: Bearer TOKEN``, and the pages' correction forms a browser that gave it on ``/login``.
    """
    with open_store(location, create=True):
        pass  # create or migrate once, and fail early with a clear message
    # every correction form carries this value; another site's page cannot read ours, so cannot post a form of ours
    form_key = secrets.token_urlsafe(24)

    # what /login leaves in the browser: derived from the token, so a leaked cookie is not the API's token
    cookie = hmac.new(token.encode(), b"consilience pages", "sha256").hexdigest() if token else ""

    def can_write(request: Request) -> bool:
        """Whether this browser may correct filings: no token set, or it gave the token on /login."""
        return token is None or hmac.compare_digest(request.cookies.get(TOKEN_COOKIE, "").encode(), cookie.encode())

    def writes(request: Request) -> dict[str, Any]:
        return {"writes": {"key": form_key, "allowed": can_write(request), "login": token is not None}}

    app = FastAPI(
        title="consilience",
        version=__version__,
        description="News reports of the same events laid side by side: stories, facts, conflicts, with provenance.",
    )
    templates = Jinja2Templates(
        directory=str(resources.files("consilience") / "web" / "templates"), context_processors=[writes]
    )
    templates.env.globals["version"] = __version__
    templates.env.filters["safe_url"] = safe_url
    app.mount("/static", StaticFiles(directory=str(resources.files("consilience") / "web" / "static")), name="static")
    app.add_middleware(BodyLimit, limit=MAX_REQUEST_BYTES)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(ConsilienceError)
    async def user_error(request: Request, error: ConsilienceError) -> JSONResponse:
        from ..store import StoreError

        # the store busy or unreachable is the server's state (503); anything else is about the request (422)
        return JSONResponse({"detail": str(error)}, status_code=503 if isinstance(error, StoreError) else 422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("error serving %s", request.url.path)
        return JSONResponse({"detail": "internal error (logged on the server)"}, status_code=500)

    @contextmanager
    def store() -> Iterator[Store]:
        with open_store(location, create=False) as opened:
            yield opened

    def require_token(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                status_code=401, detail="this server needs a token for writes: Authorization: Bearer TOKEN"
            )

    def story_or_404(story_id: str) -> Comparison:
        from ..incremental import compare_stored_story

        with store() as opened:
            if opened.resolve_story(story_id) is None:
                raise HTTPException(status_code=404, detail=f"no story {story_id!r}")
            return compare_stored_story(opened, story_id)

    # -- JSON API ---------------------------------------------------------------------------------------------
    @app.get("/api/health", tags=["api"])
    def health() -> dict[str, Any]:
        """Whether the store answers, and how big it is."""
        with store() as opened:
            return {"status": "ok", "version": __version__, "articles": opened.count_articles(),
                    "stories": opened.count_stories(), "schema_version": opened.schema_version}  # fmt: skip

    @app.get("/api/stories", tags=["api"])
    def list_stories(
        since: str | None = None, until: str | None = None, entity: str | None = None, outlet: str | None = None,
        language: str | None = None, sort: str = Query("size", pattern="^(size|recent)$"),
        limit: int = Query(100, ge=1, le=1000), min_size: int = Query(1, ge=1),
    ) -> dict[str, Any]:  # fmt: skip
        """Stories, largest or most recent first, filtered by date range, entity, outlet and language."""
        where = StoryFilter(since=since, until=until, entity=entity, outlet=outlet, language=language, sort=sort,
                            limit=limit, min_size=min_size)  # fmt: skip
        with store() as opened:
            return {"stories": [r.to_dict() for r in opened.stories(where)]}

    @app.get("/api/stories/{story_id}", tags=["api"])
    def story_detail(story_id: str) -> dict[str, Any]:
        """A story's comparison: facts (with conflicts), brief, timeline, coverage matrix and articles (docs/json.md)."""
        comparison = story_or_404(story_id)
        data = to_json(comparison, include_cleaning=False)
        data["stories"][0]["coverage"] = coverage_matrix(comparison.stories[0])
        return data

    @app.get("/api/articles/{article_id:path}", tags=["api"])
    def article_detail(article_id: str) -> dict[str, Any]:
        """One stored article."""
        with store() as opened:
            found = opened.articles([article_id])
            story = opened.value("SELECT story_id FROM articles WHERE id = ?", (article_id,))
        if not found:
            raise HTTPException(status_code=404, detail=f"no article {article_id!r}")
        article = found[0]
        return {"id": article.id, "title": article.title, "text": article.text, "outlet": article.outlet,
                "published": article.published.isoformat() if article.published else None, "url": article.url,
                "language": article.language, "story": story}  # fmt: skip

    @app.get("/api/search", tags=["api"])
    def search(
        q: str = Query(..., min_length=1, max_length=500), limit: int = Query(20, ge=1, le=200)
    ) -> dict[str, Any]:
        """Full-text search of the stored articles (every word required)."""
        with store() as opened:
            return {"query": q, "hits": [vars(h) for h in opened.search(q, limit)]}

    @app.get("/api/review", tags=["api"])
    def review_api(limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
        """The weakly filed articles, weakest first (``consilience review --json``)."""
        with store() as opened:
            return {"weakly_filed": [to_plain(d) for d in opened.weakly_filed(limit)]}

    @app.get("/api/conflicts", tags=["api"])
    def conflicts_api(limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
        """Where sources disagree: the compared stories' conflicts, most recent story first (``consilience conflicts``)."""
        from ..incremental import stored_conflicts, uncompared

        with store() as opened:
            missing, several = uncompared(opened)
            return {"conflicts": stored_conflicts(opened, limit), "uncompared_stories": missing,
                    "stories_of_several": several}  # fmt: skip

    @app.post("/api/ingest", tags=["api"])
    def ingest(request: Request, payload: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        """Add articles (``{"articles": [{"id", "title", "text", ...}]}``) or pages and feeds (``{"urls": [...]}``);
        with ``"compare": true``, then compare the changed stories (``consilience ingest --compare``)."""
        require_token(request)
        from ..incremental import Ingestor, IngestReport, compare_changed
        from ..ingest import SourceReader
        from ..ingest.web import Fetcher, FetchPolicy

        articles = [_article(record, f"request#{n}") for n, record in enumerate(payload.get("articles") or [], 1)]
        urls = payload.get("urls") or []
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise HTTPException(status_code=422, detail="urls must be a list of strings")
        if not articles and not urls:
            raise HTTPException(status_code=422, detail='give "articles" (objects with a text) or "urls"')
        report = IngestReport()
        with store() as opened, opened.writer():
            ingestor = Ingestor(opened)
            if articles:
                ingestor.add(articles, report)
            if urls:
                policy = FetchPolicy(allow_private=allow_private, allow_loopback=allow_private)
                reader = SourceReader(fetcher=Fetcher(policy, log=report.warnings.append), warnings=report.warnings)
                ingestor.ingest_sources(urls, reader, report)
            else:
                ingestor.finish(report)
            if payload.get("compare") is True:
                compare_changed(opened, report)
        return report.to_dict()

    @app.post("/api/move", tags=["api"])
    def move(request: Request, payload: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        """An editor's correction: ``{"article", "to": STORY}`` or ``{"article", "new": true}``, as ``consilience move``."""
        require_token(request)
        from ..incremental import editor_move

        article, to, new = payload.get("article"), payload.get("to"), payload.get("new")
        if not isinstance(article, str) or not article:
            raise HTTPException(status_code=422, detail='give "article": the id of a stored article')
        if (to is None) == (new is not True) or (to is not None and not isinstance(to, str)):
            raise HTTPException(status_code=422, detail='give either "to": a story id, or "new": true')
        with store() as opened, opened.writer():
            return editor_move(opened, article, to)

    @app.post("/api/merge", tags=["api"])
    def merge(request: Request, payload: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        """An editor's correction: ``{"story", "into": STORY}`` moves every article of one story to the other, as
        ``consilience merge``."""
        require_token(request)
        from ..incremental import editor_merge

        story, into = payload.get("story"), payload.get("into")
        if not isinstance(story, str) or not story or not isinstance(into, str) or not into:
            raise HTTPException(status_code=422, detail='give "story" and "into": the ids of two stored stories')
        with store() as opened, opened.writer():
            return editor_merge(opened, story, into)

    @app.post("/api/compare", tags=["api"])
    def compare_api(payload: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        """Compare 2 or more articles given in the request (nothing is stored): the report of ``consilience compare``."""
        records = payload.get("articles")
        if not isinstance(records, list) or len(records) < 2:
            raise HTTPException(status_code=422, detail='give "articles": a list of 2 or more objects with a text')
        return to_json(
            _compare([_article(r, f"article {n}") for n, r in enumerate(records, 1)]), include_cleaning=False
        )

    # -- pages ------------------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def stories_page(request: Request, entity: str | None = None, outlet: str | None = None,
                     language: str | None = None, sort: str = "size") -> HTMLResponse:  # fmt: skip
        where = StoryFilter(entity=entity or None, outlet=outlet or None, language=language or None,
                            sort="recent" if sort == "recent" else "size", limit=200)  # fmt: skip
        with store() as opened:
            records = opened.stories(where)
        return templates.TemplateResponse(request, "stories.html", {"stories": records, "where": where})

    @app.get("/conflicts", response_class=HTMLResponse, include_in_schema=False)
    def conflicts_page(request: Request) -> HTMLResponse:
        from ..incremental import stored_conflicts, uncompared

        with store() as opened:
            found = stored_conflicts(opened, 200)
            missing, several = uncompared(opened)
        context = {"conflicts": found, "uncompared": missing, "several": several}
        return templates.TemplateResponse(request, "conflicts.html", context)

    @app.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def review_page(request: Request, moved: str | None = None, to: str | None = None) -> HTMLResponse:
        notice = None
        with store() as opened:
            doubts = opened.weakly_filed(100)
            # the notice a move from this page redirects to; said only when it is true
            if moved and to and opened.story_of(moved) == opened.resolve_story(to):
                notice = {"article": moved, "to": opened.resolve_story(to)}
        rows = [(d, membership_reasons(d.membership, limit=4)) for d in doubts]
        return templates.TemplateResponse(request, "review.html", {"rows": rows, "notice": notice})

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(
        request: Request,
        story_id: str,
        moved: str | None = None,
        left: str | None = Query(None, alias="from"),
        merged: str | None = None,
    ) -> HTMLResponse:
        comparison = story_or_404(story_id)
        here = comparison.stories[0].story.id
        notice: dict[str, Any] | None = None
        if moved or merged:  # the notice a correction redirects to; said only when it is true
            with store() as opened:
                if moved and opened.story_of(moved) == here:
                    back = opened.resolve_story(left) if left else None
                    notice = {"moved": moved, "from": left, "undo": back if back not in (None, here) else None}
                elif merged and merged != here and opened.resolve_story(merged) == here:
                    notice = {"merged": merged}
        context = _story_context(comparison) | {"editable": True, "notice": notice}
        return templates.TemplateResponse(request, "story.html", context)

    # -- an editor's corrections from the pages ---------------------------------------------------------------
    async def correction_form(request: Request) -> dict[str, str]:
        """A correction form's fields, once it is known to come from this server's pages and may write."""
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
            raise HTTPException(status_code=403, detail="this form was sent from another site")
        if not can_write(request):
            raise HTTPException(status_code=401, detail="this server needs its token for corrections: log in first")
        form = {key: str(value).strip() for key, value in (await request.form()).items()}
        if not hmac.compare_digest(form.get("key", "").encode(), form_key.encode()):
            raise HTTPException(
                status_code=403, detail="this form is out of date or from another site: reload the page and try again"
            )
        return form

    def correct(work: Callable[[Store], dict[str, Any]]) -> dict[str, Any]:
        """Run an editor's correction on the store; a refused one is an error page, not JSON."""
        from ..store import StoreError

        try:
            with store() as opened, opened.writer():
                return work(opened)
        except StoreError as error:
            raise HTTPException(status_code=503, detail=str(error)) from None
        except ConsilienceError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None

    @app.post("/move", include_in_schema=False)
    async def move_page(request: Request) -> Response:
        from ..incremental import editor_move

        form = await correction_form(request)
        article, to, new = form.get("article", ""), form.get("to", ""), "new" in form
        if not article:
            raise HTTPException(status_code=422, detail="no article given to move")
        if not new and not to:
            raise HTTPException(status_code=422, detail="give the story to move it to, or move it to a new story")
        result = await run_in_threadpool(correct, lambda opened: editor_move(opened, article, None if new else to))
        if form.get("back") == "/review":
            return RedirectResponse(f"/review?{urlencode({'moved': article, 'to': result['to']})}", status_code=303)
        query = urlencode({"moved": article, "from": result["from"]})
        return RedirectResponse(f"/stories/{quote(result['to'], safe='')}?{query}", status_code=303)

    @app.post("/merge", include_in_schema=False)
    async def merge_page(request: Request) -> Response:
        from ..incremental import editor_merge

        form = await correction_form(request)
        story, into = form.get("story", ""), form.get("into", "")
        if not story or not into:
            raise HTTPException(status_code=422, detail="give the story to merge and the story it joins")
        result = await run_in_threadpool(correct, lambda opened: editor_merge(opened, story, into, smaller_moves=True))
        return RedirectResponse(
            f"/stories/{quote(result['into'], safe='')}?{urlencode({'merged': result['story']})}", status_code=303
        )

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next_page: str = Query("/", alias="next")) -> HTMLResponse:
        return templates.TemplateResponse(request, "login.html", {"next": _local_path(next_page), "error": None})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        target = _local_path(str(form.get("next") or "/"))
        if token is not None and not hmac.compare_digest(str(form.get("token") or "").encode(), token.encode()):
            return templates.TemplateResponse(
                request,
                "login.html",
                {"next": target, "error": "that is not the token this server was started with"},
                status_code=401,
            )
        response = RedirectResponse(target, status_code=303)
        if token is not None:  # a session cookie: gone when the browser closes
            response.set_cookie(
                TOKEN_COOKIE, cookie, httponly=True, samesite="strict", secure=request.url.scheme == "https"
            )
        return response

    @app.get("/articles/{article_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(
        request: Request, article_id: str, story: str | None = None, fact: str | None = None
    ) -> HTMLResponse:
        with store() as opened:
            found = opened.articles([article_id])
            story_id = story or opened.story_of(article_id)
        if not found:
            raise HTTPException(status_code=404, detail=f"no article {article_id!r}")
        article = found[0]
        spans: list[tuple[int, int]] = []
        chosen = None
        if fact and story_id:
            comparison = story_or_404(story_id)
            article = (
                comparison.article(article_id) if any(a.id == article_id for a in comparison.articles) else article
            )
            chosen = next((f for f in comparison.stories[0].facts if f.id == fact), None)
            if chosen is not None:
                spans = sorted((m.start, m.end) for m in chosen.mentions if m.article == article_id)
        return templates.TemplateResponse(
            request, "article.html",
            {"article": article, "pieces": _highlight(article.text, spans), "fact": chosen, "story": story_id},
        )  # fmt: skip

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare_form(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "compare.html", {"texts": ["", ""], "error": None})

    @app.post("/compare", response_class=HTMLResponse, include_in_schema=False)
    async def compare_page(request: Request) -> HTMLResponse:
        form = await request.form()
        texts = [str(v) for k, v in form.multi_items() if k == "text" and str(v).strip()]
        for upload in form.getlist("file"):
            if hasattr(upload, "read"):
                data = await upload.read()
                if data.strip():
                    from ..ingest import decode_bytes

                    try:
                        texts.append(decode_bytes(data, getattr(upload, "filename", "upload")))
                    except InputError as error:
                        return templates.TemplateResponse(
                            request, "compare.html", {"texts": texts, "error": str(error)}, status_code=422
                        )
        if len(texts) < 2:
            return templates.TemplateResponse(request, "compare.html", {"texts": texts + [""] * (2 - len(texts)),
                                              "error": "paste or upload at least two articles"}, status_code=422)  # fmt: skip
        if len(texts) > MAX_COMPARE_ARTICLES:
            return templates.TemplateResponse(request, "compare.html", {"texts": texts[:2], "error":
                                              f"at most {MAX_COMPARE_ARTICLES} articles at a time"}, status_code=422)  # fmt: skip
        from ..ingest import read_text

        articles = [read_text(text, f"article {n}", article_id=f"article-{n}") for n, text in enumerate(texts, 1)]
        comparison = _compare(articles)
        contexts = [
            _story_context(Comparison(comparison.articles, [item], comparison.warnings), story_href="#h-")
            for item in comparison.stories
        ]
        return templates.TemplateResponse(
            request, "compared.html", {"reports": contexts, "warnings": comparison.warnings}
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)
        return templates.TemplateResponse(request, "error.html", {"status": error.status_code, "detail": error.detail},
                                          status_code=error.status_code)  # fmt: skip

    return app


def _article(record: Any, where: str) -> Article:
    if not isinstance(record, dict) or not str(record.get("text") or "").strip():
        raise HTTPException(status_code=422, detail=f"{where}: an article is an object with a non-empty text")
    from ..ingest import parse_published

    return Article(
        id=str(record.get("id") or where), text=str(record["text"]), title=record.get("title") or None,
        outlet=record.get("outlet") or None, published=parse_published(record.get("published")),
        url=record.get("url") or None, language=record.get("lang") or record.get("language") or None, source=where,
    )  # fmt: skip


def _compare(articles: list[Article]) -> Comparison:
    from ..pipeline import compare

    try:
        return compare(articles)
    except NoArticlesError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    except ConsilienceError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None


def _story_context(comparison: Comparison, story_href: str = "/stories/") -> dict[str, Any]:
    """What _report.html shows of a comparison's one story; ``story_href`` + a story id links a look-alike."""
    item = comparison.stories[0]
    numbers = source_numbers(comparison)
    by_id = {a.id: a for a in comparison.articles}
    facts = {f.id: f for f in item.facts}
    entity_names = {e.id: [e.name, *e.aliases] for e in item.entities}
    fact_entities = {
        f.id: [eid for eid, names in entity_names.items() if any(n and n in f.text for n in names)] for f in item.facts
    }
    return {
        "item": item,
        "articles": [by_id[a] for a in item.story.articles if a in by_id],
        "numbers": numbers,
        "facts": facts,
        "conflicts": [f for f in item.facts if f.status == FactStatus.CONFLICT],
        "corroborated": [f for f in item.facts if f.status == FactStatus.CORROBORATED],
        "single": [f for f in item.facts if f.status == FactStatus.SINGLE_SOURCE],
        "coverage": coverage_matrix(item),
        "fact_entities": fact_entities,
        "look_alikes": [(alike, look_alike_verdict(alike)) for alike in item.story.look_alikes],
        "memberships": {
            m.article: (m.probability, membership_reasons(m, limit=4), m.weak) for m in item.story.memberships
        },
        "weak_ids": [m.article for m in item.story.memberships if m.weak],
        "caveats": {
            f.id: weak_sources_note(f, item.story, numbers) for f in item.facts if f.status == FactStatus.CONFLICT
        },
        "story_href": story_href,
    }


def _highlight(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, highlighted) pieces; Jinja2 escapes each piece."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in spans:
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    pieces.append((text[position:], False))
    return [p for p in pieces if p[0]]


def write_token(host: str, given: str | None) -> tuple[str | None, bool]:
    """The token write endpoints need: ``given``; else none on loopback; else a new random one.

    Returns ``(token, made_up)``; ``made_up`` is True when the caller must show the new token.
    """
    if given:
        return given, False
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    return (None, False) if loopback else (secrets.token_urlsafe(24), True)


def _local_path(path: str) -> str:
    """``path`` when it is a path on this server, else "/": a login never sends the browser to another site."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path and ":" not in path.split("?")[0]:
        return path
    return "/"


def safe_url(url: str | None) -> str | None:
    """``url`` when it is http(s), else None: a ``javascript:`` or ``data:`` link never reaches an href."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in ("http", "https") else None
