"""MkDocs hooks for the site: SKILL.md as the home page, and llms.txt for agents.

The site renders the skill files themselves (docs_dir is the skill folder), so two things that a
docs folder would normally hold cannot live there:

* a home page: SKILL.md is the skill's entry point, so it is written to `index.html` instead of
  `SKILL/index.html` (links to it from other pages still resolve, because MkDocs resolves links by
  source file);
* llms.txt and llms-full.txt (https://llmstxt.org): generated here from the raw markdown, in nav
  order, next to a raw copy of every page, so an agent can fetch the whole pack in one request.

The llms files are built from the source markdown, not from rendered HTML (as mkdocs-llmstxt
does): the skill files are already what an agent should read, byte for byte.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

__all__ = ["on_files", "on_nav", "on_post_build"]

HOME_SOURCE = "SKILL.md"
LLMS_INDEX = "llms.txt"
LLMS_FULL = "llms-full.txt"

log = logging.getLogger("mkdocs.hooks.site")

# Nav of the current build, kept between the on_nav and on_post_build events.
_nav_pages: list[tuple[str, Page]] = []


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Publish SKILL.md as the site's home page."""
    skill = files.get_file_from_path(HOME_SOURCE)
    if skill is None:
        log.warning("%s not found in docs_dir; the site has no home page", HOME_SOURCE)
        return files
    files.remove(skill)
    files.append(
        File(
            skill.src_uri,
            skill.src_dir,
            skill.dest_dir,
            skill.use_directory_urls,
            dest_uri="index.html",
            inclusion=skill.inclusion,
        )
    )
    return files


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """Remember each nav page with the title of the section it sits in."""
    _nav_pages.clear()

    def walk(items, section: str) -> None:
        for item in items:
            if isinstance(item, Section):
                walk(item.children, item.title)
            elif isinstance(item, Page):
                _nav_pages.append((section, item))

    walk(nav.items, "")
    return nav


def _summary(config: MkDocsConfig) -> str:
    """The skill's frontmatter description (MkDocs has parsed it into the page's meta)."""
    for _, page in _nav_pages:
        if page.file.src_uri == HOME_SOURCE and page.meta.get("description"):
            return " ".join(str(page.meta["description"]).split())
    return config.site_description or ""


def _link(config: MkDocsConfig, src_uri: str) -> str:
    base = (config.site_url or "").rstrip("/")
    return f"{base}/{src_uri}" if base else src_uri


def on_post_build(config: MkDocsConfig) -> None:
    """Write raw markdown copies of the nav pages, llms.txt and llms-full.txt."""
    site = Path(config.site_dir)
    summary = _summary(config)
    index = [f"# {config.site_name}", "", f"> {summary}", ""]
    index += [
        "Each link is the raw markdown of one file of the skill; "
        f"[{LLMS_FULL}]({_link(config, LLMS_FULL)}) holds all of them in this order.",
    ]
    full = [f"# {config.site_name}", "", f"> {summary}", ""]
    current_section = None
    for section, page in _nav_pages:
        src_uri = page.file.src_uri
        raw = page.file.content_string
        copy = site / src_uri
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(raw, "utf-8")
        heading = section or "Skill"
        if heading != current_section:
            index += ["", f"## {heading}", ""]
            current_section = heading
        index.append(f"- [{page.title}]({_link(config, src_uri)})")
        full += [f"<!-- file: {src_uri} -->", "", raw.rstrip("\n"), ""]
    (site / LLMS_INDEX).write_text("\n".join(index) + "\n", "utf-8")
    (site / LLMS_FULL).write_text("\n".join(full), "utf-8")
