"""The built site in a real headless Chromium (Debian's), driven by Playwright.

Skipped, with the reason, when Playwright or Chromium is missing; `.ci/run` installs Chromium.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    "playwright.sync_api", reason="playwright not installed: make .venv/.installed"
)
CHROMIUM = chromium_executable()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed: apt-get install -y chromium (as root; .ci/run does it)",
)

ARTIFACTS = REPO_ROOT / "test-artifacts" / "site"
DIAGRAMS = Path(__file__).with_name("diagrams.md")

# Material renders each diagram into a *closed* shadow root, which no selector can enter; the
# test opens them so it can see the SVG. The page behaves the same otherwise.
OPEN_SHADOW_ROOTS = """
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attachShadow.call(this, Object.assign({}, init, { mode: "open" }));
};
"""


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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium; Playwright gives each launch a fresh, empty profile."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A new page in its own context; its problems are in `page.problems`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(OPEN_SHADOW_ROOTS)
    page = context.new_page()
    page.problems = PageProblems(page)
    yield page
    context.close()


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def _anchors(document: str) -> set[str]:
    return set(re.findall(r'\b(?:id|name)="([^"]+)"', document))


def _assert_diagrams_render(page, expected: int, where: str, timeout: float = 10.0) -> None:
    """Wait until `expected` diagrams are drawn, failing early on a page error; check each SVG."""
    diagrams = page.locator("div.mermaid")  # Material swaps each <pre> for this once drawn
    for _ in range(int(timeout / 0.1)):
        if diagrams.count() >= expected or page.problems.items:
            break
        page.wait_for_timeout(100)
    assert diagrams.count() == expected and page.locator("pre.mermaid").count() == 0, (
        f"{where}: {expected} mermaid block(s), {diagrams.count()} drawn; "
        f"page problems: {page.problems.items}"
    )
    for index in range(expected):
        svg = diagrams.nth(index).locator("svg").first
        box = svg.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, (
            f"{where}: diagram {index} is empty"
        )
        assert "Syntax error" not in svg.inner_html(), f"{where}: diagram {index}"


@pytest.mark.parametrize("src_uri", NAV_SOURCES)
def test_page_renders_cleanly(page, site_url: str, src_uri: str):
    """The page loads without console errors, titles its code blocks, and draws its diagrams."""
    fences = scan_fences(PACK_ROOT / src_uri)
    page.goto(page_url(site_url, src_uri), wait_until="networkidle")
    assert page.locator("article h1").count() == 1

    titles = [fence.settings["title"] for fence in fences if "title" in fence.settings]
    shown = page.locator("article .highlight > span.filename")
    assert shown.all_inner_texts() == titles
    for index in range(shown.count()):
        assert shown.nth(index).is_visible(), titles[index]
    code_blocks = page.locator("article pre:not(.mermaid) > code").count()
    assert page.locator("article pre button[data-md-type='copy']").count() == code_blocks

    _assert_diagrams_render(page, sum(f.language == "mermaid" for f in fences), src_uri)
    assert page.problems.items == []


def test_every_link_on_every_page_resolves(page, site_url: str):
    """Every same-site <a href> on every page answers 200, and its #fragment exists there."""
    origin = urllib.parse.urlsplit(site_url).netloc
    broken: list[str] = []
    documents: dict[str, tuple[int, str]] = {}
    for src_uri in NAV_SOURCES:
        page.goto(page_url(site_url, src_uri), wait_until="domcontentloaded")
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            parts = urllib.parse.urlsplit(href)
            if parts.scheme not in ("http", "https") or parts.netloc != origin:
                continue
            target = urllib.parse.urlunsplit(parts._replace(fragment=""))
            if target not in documents:
                documents[target] = _fetch(target)
            status, document = documents[target]
            if status != 200:
                broken.append(f"{src_uri}: {href} -> HTTP {status}")
            elif parts.fragment and "<html" in document:
                if urllib.parse.unquote(parts.fragment) not in _anchors(document):
                    broken.append(f"{src_uri}: {href} -> no element with id {parts.fragment!r}")
    assert len(documents) >= len(NAV_SOURCES)
    assert broken == []


@pytest.mark.parametrize("term", ["PING", "reconnect"])
def test_search_finds(page, site_url: str, term: str):
    """Typing in Material's search box lists results for the term, each a page of the site."""
    page.goto(site_url)
    page.locator("input.md-search__input").click()
    page.keyboard.type(term)  # Material searches on key events, so type rather than fill
    results = page.locator(".md-search-result__item")
    results.first.wait_for(state="visible", timeout=10_000)
    links = page.eval_on_selector_all(
        ".md-search-result__item > a", "links => links.map(a => a.href)"
    )
    assert links and all(link.startswith(site_url) for link in links)
    assert term.lower() in page.locator(".md-search-result").inner_text().lower()
    assert page.problems.items == []


def test_lifecycle_diagrams_render_offline(page, tmp_path: Path):
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
    build = build_site(tmp_path / "site", tmp_path / "mkdocs.yml")
    assert build.returncode == 0, build.output
    with serve_directory(build.site_dir) as url:
        page.goto(page_url(url, "real-time/websocket-overview.md"), wait_until="networkidle")
        expected = DIAGRAMS.read_text("utf-8").count("```mermaid")
        _assert_diagrams_render(page, expected, "diagrams.md")
        svgs = " ".join(page.locator("div.mermaid svg").all_text_contents())
        for label in ("MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED", "resubscribe"):
            assert label in svgs, label
        page.screenshot(path=_artifact("diagrams.png"), full_page=True)
    assert page.problems.items == []


def _artifact(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / name)


def test_user_channel_page_screenshot(page, site_url: str):
    """A full-page screenshot of the user-channel page is saved under test-artifacts/site/."""
    page.goto(page_url(site_url, "real-time/user-channel.md"), wait_until="networkidle")
    path = Path(_artifact("user-channel.png"))
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    assert page.problems.items == []
