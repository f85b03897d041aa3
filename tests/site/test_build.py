"""The strict site build, and what it publishes besides HTML: no browser needed."""

from __future__ import annotations

import html
import re
from pathlib import Path

import yaml
from mkdocs.config import load_config

from tests.pack.blocks import PACK_ROOT, scan_fences
from tests.site.harness import MKDOCS_YML, NAV_SOURCES, SiteBuild

MERMAID_JS = "assets/vendor/mermaid/mermaid.min.js"


def html_path(site: Path, src_uri: str) -> Path:
    """Where MkDocs writes the page built from `src_uri` (SKILL.md is the home page)."""
    if src_uri == "SKILL.md":
        return site / "index.html"
    stem = src_uri.removesuffix(".md")
    if stem.endswith("README"):
        return site / stem.removesuffix("README") / "index.html"
    return site / stem / "index.html"


def _nav_sources(items) -> list[str]:
    sources: list[str] = []
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        sources += _nav_sources(value) if isinstance(value, list) else [value]
    return sources


def _frontmatter(src_uri: str) -> dict:
    text = (PACK_ROOT / src_uri).read_text("utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    return yaml.safe_load(match.group(1)) if match else {}


def test_strict_build_passes_without_warnings(site_build: SiteBuild):
    """`mkdocs build --strict` with maximal validation succeeds and logs no warning."""
    assert site_build.returncode == 0 and not site_build.warnings, (
        "strict build failed; warnings:\n" + "\n".join(site_build.warnings or [site_build.output])
    )


def test_nav_lists_the_pages_in_reading_order():
    """The nav is SKILL.md, the credentials page, the real-time pages, then the module files."""
    config = load_config(str(MKDOCS_YML))
    assert _nav_sources(config["nav"]) == NAV_SOURCES


def test_strictest_validation_is_configured():
    """Every link and nav check MkDocs 1.6 offers is at `warn`, so --strict fails on it."""
    config = load_config(str(MKDOCS_YML))
    validation = config["validation"]
    assert validation["nav"]["omitted_files"] >= 30  # logging.WARNING
    assert validation["nav"]["absolute_links"] >= 30
    for check in ("not_found", "absolute_links", "unrecognized_links", "anchors"):
        assert validation["links"][check] >= 30, check


def test_skill_md_is_the_home_page_and_its_frontmatter_is_meta(built_site: Path):
    """SKILL.md renders as index.html; its frontmatter becomes meta, not page text."""
    home = (built_site / "index.html").read_text("utf-8")
    meta = _frontmatter("SKILL.md")
    description = re.search(r'<meta name="description" content="([^"]*)"', home)
    assert description and html.unescape(description.group(1)) == meta["description"].strip()
    article = home[home.index("<article") : home.index("</article>")]
    assert f"name: {meta['name']}" not in article
    assert not (built_site / "SKILL" / "index.html").exists()


def test_code_block_titles_render(built_site: Path):
    """Each fence's `title` setting appears as the code block's filename, in page order."""
    for src_uri in NAV_SOURCES:
        titles = [
            f.settings["title"] for f in scan_fences(PACK_ROOT / src_uri) if "title" in f.settings
        ]
        page = html_path(built_site, src_uri).read_text("utf-8")
        rendered = [
            html.unescape(t) for t in re.findall(r'<span class="filename">([^<]*)</span>', page)
        ]
        assert rendered == titles, src_uri


def test_mermaid_is_served_by_the_site_on_pages_with_diagrams(built_site: Path):
    """Pages with mermaid fences load the vendored mermaid, others don't; nothing from a CDN."""
    assert (built_site / MERMAID_JS).stat().st_size > 1_000_000
    for src_uri in NAV_SOURCES:
        fences = [f for f in scan_fences(PACK_ROOT / src_uri) if f.language == "mermaid"]
        page = html_path(built_site, src_uri).read_text("utf-8")
        assert page.count('<pre class="mermaid">') == len(fences), src_uri
        loads = re.search(rf'<script src="[./]*{re.escape(MERMAID_JS)}"', page) is not None
        assert loads == bool(fences), src_uri
        assert "unpkg.com" not in page and "fonts.googleapis.com" not in page, src_uri


def test_llms_txt_links_the_raw_markdown_in_nav_order(built_site: Path):
    """llms.txt links every page's raw markdown in nav order; each copy equals its source."""
    index = (built_site / "llms.txt").read_text("utf-8")
    assert index.startswith("# ") and "\n> " in index
    links = re.findall(r"^- \[[^\]]+\]\(([^)]+)\)", index, re.MULTILINE)
    assert links == NAV_SOURCES
    for src_uri in links:
        assert (built_site / src_uri).read_bytes() == (PACK_ROOT / src_uri).read_bytes()


def test_llms_full_txt_holds_every_page_in_nav_order(built_site: Path):
    """llms-full.txt is every page's raw markdown, one after another in nav order."""
    full = (built_site / "llms-full.txt").read_text("utf-8")
    position = 0
    for src_uri in NAV_SOURCES:
        marker = f"<!-- file: {src_uri} -->\n\n"
        start = full.index(marker, position) + len(marker)
        raw = (PACK_ROOT / src_uri).read_text("utf-8").rstrip("\n")
        assert full[start : start + len(raw)] == raw, src_uri
        position = start + len(raw)


def test_site_holds_no_build_leftovers(built_site: Path):
    """The mock's sources are served as files, its caches and install metadata are not."""
    leftovers = [
        p
        for p in built_site.rglob("*")
        if p.name == "__pycache__" or p.suffix == ".pyc" or p.name.endswith(".egg-info")
    ]
    assert leftovers == []
