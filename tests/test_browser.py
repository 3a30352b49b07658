"""The web app in a real headless Chromium (Debian's, driven by Playwright; no browser download)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXAMPLES
from .test_web import HOSTILE

pytest.importorskip("fastapi", reason="the web app needs the [web] extra")
playwright_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (the [test] extra)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "browser tests need Debian's chromium (.ci/run installs it: apt-get install chromium)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from consilience.incremental import Ingestor, IngestReport
    from consilience.ingest import SourceReader
    from consilience.store import open_store
    from consilience.web import create_app

    folder = tmp_path_factory.mktemp("browser")
    db = str(folder / "web.db")
    hostile = folder / "hostile.jsonl"
    hostile.write_text(json.dumps(HOSTILE) + "\n")
    with open_store(db) as store, store.writer():
        sources = [
            str(EXAMPLES / "ecbplus-paris-jewel-heist.jsonl"),
            str(EXAMPLES / "ecbplus-qeshm-earthquake.jsonl"),
            str(hostile),
        ]
        Ingestor(store).ingest_sources(sources, SourceReader(), IngestReport())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone-width screen
    opened = context.new_page()
    opened.dialogs = []
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


def open_heist(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.get_by_role("link", name=re.compile("Robbers|Harry Winston|diamond|jewel", re.I)).first.click()
    page.wait_for_selector("h1")


def test_story_list_then_story_then_conflict_highlights_both_sentences(page: Any, server: str, tmp_path: Path) -> None:
    page.goto(server + "/")
    assert page.locator("table.stories tbody tr").count() >= 2  # the heist and the quake
    open_heist(page, server)
    toggle = page.locator(".conflict-toggle").first
    assert toggle.is_visible()
    fact = toggle.get_attribute("data-fact")
    assert page.locator(f'.sentence.highlighted[data-fact="{fact}"]').count() == 0
    toggle.click()
    highlighted = page.locator(f'.sentence.highlighted[data-fact="{fact}"]')
    assert highlighted.count() >= 2
    texts = highlighted.all_inner_texts()
    assert len(set(texts)) >= 2, "each source's own sentence is highlighted"
    assert toggle.get_attribute("aria-expanded") == "true"
    output = Path(os.environ.get("CONSILIENCE_TEST_OUTPUT", tmp_path))
    output.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(output / "story-page.png"), full_page=True)
    print(f"screenshot of the story page: {output / 'story-page.png'}")


def test_review_page_leads_from_a_weakly_filed_report_to_its_story(page: Any, server: str) -> None:
    """The shipped settings file the one-sentence "$160 million" report with the heist weakly: the review lists it,
    its story link opens the heist with the report named at the top and its reasons under Sources."""
    page.goto(server + "/")
    page.get_by_role("link", name="Review").click()
    page.wait_for_selector("h1")
    row = page.locator("table.stories tbody tr", has_text="ecb-24_8ecb")
    assert row.count() == 1
    row.get_by_role("link", name=re.compile(r"^s\d+$")).click()
    page.wait_for_selector(".weak-members")
    page.locator(".weak-members a.cite").first.click()
    target = page.locator("ol.sources li:target")
    assert target.count() == 1 and "weakly filed" in target.inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")  # fits a phone's width


def test_entity_chip_filters_facts(page: Any, server: str) -> None:
    open_heist(page, server)
    chips = page.locator(".chip[data-entity]:not([data-entity=''])")
    assert chips.count() > 0
    rows = page.locator(".coverage .fact-row")
    before = rows.count()
    chips.first.click()
    visible = page.locator(".coverage .fact-row:not(.hidden-by-filter)").count()
    assert 0 < visible <= before
    page.locator(".chip[data-entity='']").click()
    assert page.locator(".coverage .fact-row:not(.hidden-by-filter)").count() == before


def test_compare_now_with_the_seed_texts(page: Any, server: str, seed_paths: list[Path]) -> None:
    page.goto(server + "/compare")
    texts = [p.read_text(encoding="utf-8") for p in seed_paths]
    page.get_by_label("Article 1").fill(texts[0])
    page.get_by_label("Article 2").fill(texts[1])
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("section.report", timeout=120_000)
    body = page.locator("main").inner_text()
    assert "corroborated" in body and "2023-02-22" in body
    assert page.locator(".brief li").count() >= 3


def test_hostile_article_runs_no_script(page: Any, server: str) -> None:
    for path in ("/", "/articles/hostile-1"):
        page.goto(server + path)
        assert page.evaluate("typeof window.pwned") == "undefined"
    story = page.evaluate("fetch('/api/articles/hostile-1').then(r => r.json()).then(j => j.story)")
    page.goto(f"{server}/stories/{story}")
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.dialogs == []
    assert "<script>" in page.locator("main").inner_text() or "Quake report" in page.locator("main").inner_text()


def test_keyboard_reaches_the_conflict_button(page: Any, server: str) -> None:
    open_heist(page, server)
    toggle = page.locator(".conflict-toggle").first
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"


def test_an_editor_moves_a_report_out_and_back_from_the_story_page(page: Any, server: str, tmp_path: Path) -> None:
    """Last in this file: the moved report stays in its story, but placed there by an editor."""
    page.goto(server + "/")
    story = page.evaluate("fetch('/api/articles/ecb-20_2ecb').then(r => r.json()).then(j => j.story)")
    page.goto(f"{server}/stories/{story}")
    sources = page.locator("ol.sources > li")
    before = sources.count()
    item = page.locator("ol.sources > li", has_text="Five Wounded by Quake")
    item.locator("summary").click()
    item.get_by_role("button", name="Move to a new story of its own").click()
    page.wait_for_selector(".notice")
    assert f"Moved ecb-20_2ecb here from story {story}." in page.locator(".notice").inner_text()
    assert sources.count() == 1 and "Five Wounded by Quake" in sources.first.inner_text()
    output = Path(os.environ.get("CONSILIENCE_TEST_OUTPUT", tmp_path))
    output.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(output / "moved-report.png"), full_page=True)
    page.get_by_role("button", name="Undo: move it back").click()
    page.wait_for_url(re.compile(rf"/stories/{story}\?"))
    assert "Moved ecb-20_2ecb here" in page.locator(".notice").inner_text() and sources.count() == before
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")  # fits a phone's width
