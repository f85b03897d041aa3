"""The built site in a real headless Chromium (Debian's), driven by Playwright.

Skipped, with the reason, when Playwright or Chromium is missing; `.ci/run` installs Chromium.
Playwright's async API, on one event loop for the module: its sync API runs on greenlets, whose
switches upset CPython 3.11.7's AST recursion check (a later `ast.parse` raises SystemError).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.pack.blocks import PACK_ROOT, scan_fences
from tests.site.harness import (
    CHROMIUM_FLAGS,
    NAV_SOURCES,
    REPO_ROOT,
    build_site,
    chromium_executable,
    serve_directory,
)

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="playwright not installed: make .venv/.installed"
)
CHROMIUM = chromium_executable()
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium not installed: apt-get install -y chromium (as root; .ci/run does it)",
    ),
    pytest.mark.asyncio(loop_scope="module"),
]

ARTIFACTS = REPO_ROOT / "test-artifacts" / "site"
DIAGRAMS = Path(__file__).with_name("diagrams.md")

# Material renders each diagram into a *closed* shadow root, which no selector can enter; the
# test opens them so it can see the SVG, and counts uncaught errors so a wait can stop early.
INIT_SCRIPT = """
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attachShadow.call(this, Object.assign({}, init, { mode: "open" }));
};
window.__uncaught = 0;
window.addEventListener("error", () => { window.__uncaught += 1; });
window.addEventListener("unhandledrejection", () => { window.__uncaught += 1; });
"""
DIAGRAMS_DRAWN_OR_ERROR = (
    "n => document.querySelectorAll('div.mermaid').length >= n || window.__uncaught > 0"
)


def page_url(base: str, src_uri: str) -> str:
    """URL of the page built from `src_uri` (SKILL.md is the home page)."""
    if src_uri == "SKILL.md":
        return base
    stem = src_uri.removesuffix(".md")
    return base + (stem.removesuffix("README") if stem.endswith("README") else stem + "/")


class PageProblems:
    """Console errors, uncaught exceptions and failed requests seen by one browser page."""

    def __init__(self, page) -> None:
        self.items: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.items.append(f"uncaught: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.items.append(f"console {message.type}: {message.text}")

    def _request_failed(self, request) -> None:
        # ERR_ABORTED is a request cancelled by the next navigation (often the favicon), not a
        # missing resource: a missing one answers 404, which _response records.
        if request.failure != "net::ERR_ABORTED":
            self.items.append(f"failed: {request.url} {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.items.append(f"HTTP {response.status}: {response.url}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[object]:
    """Headless Debian Chromium; Playwright gives each launch a fresh, empty profile."""
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser) -> AsyncIterator[object]:
    """A new page in its own context; its problems are in `page.problems`."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(INIT_SCRIPT)
    page = await context.new_page()
    page.problems = PageProblems(page)
    yield page
    await context.close()


def _anchors(document: str) -> set[str]:
    return set(re.findall(r'\b(?:id|name)="([^"]+)"', document))


def _artifact(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / name)


async def _assert_diagrams_render(page, expected: int, where: str) -> None:
    """Wait until `expected` diagrams are drawn, failing early on a page error; check each SVG."""
    diagrams = page.locator("div.mermaid")  # Material swaps each <pre> for this once drawn
    with contextlib.suppress(playwright_api.TimeoutError):
        await page.wait_for_function(DIAGRAMS_DRAWN_OR_ERROR, arg=expected, timeout=10_000)
    drawn, left = await diagrams.count(), await page.locator("pre.mermaid").count()
    assert drawn == expected and left == 0, (
        f"{where}: {expected} mermaid block(s), {drawn} drawn; page problems: {page.problems.items}"
    )
    for index in range(expected):
        svg = diagrams.nth(index).locator("svg").first
        box = await svg.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, f"{where}: diagram {index} empty"
        assert "Syntax error" not in await svg.inner_html(), f"{where}: diagram {index}"


@pytest.mark.parametrize("src_uri", NAV_SOURCES)
async def test_page_renders_cleanly(page, site_url: str, src_uri: str):
    """The page loads without console errors, titles its code blocks, and draws its diagrams."""
    fences = scan_fences(PACK_ROOT / src_uri)
    await page.goto(page_url(site_url, src_uri), wait_until="networkidle")
    assert await page.locator("article h1").count() == 1

    titles = [fence.settings["title"] for fence in fences if "title" in fence.settings]
    shown = page.locator("article .highlight > span.filename")
    assert await shown.all_inner_texts() == titles
    for index in range(len(titles)):
        assert await shown.nth(index).is_visible(), titles[index]
    code_blocks = await page.locator("article pre:not(.mermaid) > code").count()
    copy_buttons = await page.locator("article pre button[data-md-type='copy']").count()
    assert copy_buttons == code_blocks

    await _assert_diagrams_render(page, sum(f.language == "mermaid" for f in fences), src_uri)
    assert page.problems.items == []


async def test_every_link_on_every_page_resolves(page, site_url: str):
    """Every same-site <a href> on every page answers 200, and its #fragment exists there."""
    origin = urllib.parse.urlsplit(site_url).netloc
    broken: list[str] = []
    documents: dict[str, tuple[int, set[str] | None]] = {}  # status, ids (None: not HTML)
    for src_uri in NAV_SOURCES:
        await page.goto(page_url(site_url, src_uri), wait_until="domcontentloaded")
        hrefs = await page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            parts = urllib.parse.urlsplit(href)
            if parts.scheme not in ("http", "https") or parts.netloc != origin:
                continue
            target = urllib.parse.urlunsplit(parts._replace(fragment=""))
            if target not in documents:
                response = await page.request.get(target)
                text = await response.text() if response.status == 200 else ""
                documents[target] = (response.status, _anchors(text) if "<html" in text else None)
            status, anchors = documents[target]
            if status != 200:
                broken.append(f"{src_uri}: {href} -> HTTP {status}")
            elif parts.fragment and anchors is not None:
                if urllib.parse.unquote(parts.fragment) not in anchors:
                    broken.append(f"{src_uri}: {href} -> no element with id {parts.fragment!r}")
    assert len(documents) >= len(NAV_SOURCES)
    assert broken == []


@pytest.mark.parametrize("term", ["PING", "reconnect"])
async def test_search_finds(page, site_url: str, term: str):
    """Typing in Material's search box lists results for the term, each a page of the site."""
    await page.goto(site_url)
    await page.locator("input.md-search__input").click()
    await page.keyboard.type(term)  # Material searches on key events, so type rather than fill
    await page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=10_000)
    links = await page.eval_on_selector_all(
        ".md-search-result__item > a", "links => links.map(a => a.href)"
    )
    assert links and all(link.startswith(site_url) for link in links)
    assert term.lower() in (await page.locator(".md-search-result").inner_text()).lower()
    assert page.problems.items == []


async def test_lifecycle_diagrams_render_offline(page, tmp_path: Path):
    """The two lifecycle diagrams render to SVG with the site's config and no network."""
    pack = tmp_path / "skills" / "polymarket"
    for src_uri in NAV_SOURCES:
        (pack / src_uri).parent.mkdir(parents=True, exist_ok=True)
        (pack / src_uri).write_text(f"# {src_uri}\n", "utf-8")
    (pack / "SKILL.md").write_text(
        "---\nname: polymarket\ndescription: Stand-in.\n---\n\n# Stand-in\n"
    )
    (pack / "real-time" / "websocket-overview.md").write_text(DIAGRAMS.read_text("utf-8"), "utf-8")
    (tmp_path / "mkdocs.yml").symlink_to(REPO_ROOT / "mkdocs.yml")
    (tmp_path / "site_src").symlink_to(REPO_ROOT / "site_src")
    build = await asyncio.to_thread(build_site, tmp_path / "site", tmp_path / "mkdocs.yml")
    assert build.returncode == 0, build.output
    with serve_directory(build.site_dir) as url:
        await page.goto(page_url(url, "real-time/websocket-overview.md"), wait_until="networkidle")
        expected = DIAGRAMS.read_text("utf-8").count("```mermaid")
        await _assert_diagrams_render(page, expected, "diagrams.md")
        labels = " ".join(await page.locator("div.mermaid svg").all_text_contents())
        for label in ("MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED", "resubscribe"):
            assert label in labels, label
        await page.screenshot(path=_artifact("diagrams.png"), full_page=True)
    assert page.problems.items == []


async def test_user_channel_page_screenshot(page, site_url: str):
    """A screenshot of the user-channel page (first screen) is saved under test-artifacts/site/."""
    await page.goto(page_url(site_url, "real-time/user-channel.md"), wait_until="networkidle")
    png = await page.screenshot(path=_artifact("user-channel.png"))
    assert len(png) > 10_000
    assert page.problems.items == []
