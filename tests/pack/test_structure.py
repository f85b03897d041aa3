"""The pack's shape: Agent Skills frontmatter, sizes, links, anchors, tables of contents."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import skills_ref
import yaml
from markdown.extensions.toc import slugify

from tests.pack.blocks import PACK_ROOT, REPO_ROOT, pack_markdown_files, scan_fences

SKILL = PACK_ROOT / "SKILL.md"
SPEC_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
REFERENCE_FILES = [
    "auth/api-credentials.md",
    "real-time/README.md",
    "real-time/websocket-overview.md",
    "real-time/market-channel.md",
    "real-time/user-channel.md",
    "real-time/connection-management.md",
]
MIN_LINES = {"real-time/user-channel.md": 80, "real-time/connection-management.md": 100}
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")


def _line_count(path: Path) -> int:
    return len(path.read_text("utf-8").splitlines())


def _ids(path: Path) -> str:
    return str(path.relative_to(PACK_ROOT))


@functools.cache
def _prose(path: Path) -> str:
    """The file's text with fenced blocks blanked out, so links inside code are not links."""
    lines = path.read_text("utf-8").splitlines()
    for fence in scan_fences(path):
        for index in range(fence.start_line - 1, fence.end_line):
            lines[index] = ""
    return "\n".join(lines)


def _frontmatter(path: Path) -> tuple[dict, str]:
    text = path.read_text("utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, f"{path.name} must start with YAML frontmatter between --- lines"
    return yaml.safe_load(match.group(1)), text[match.end() :]


@functools.cache
def _anchors(path: Path) -> frozenset[str]:
    """Heading anchors as mkdocs' toc extension generates them."""
    anchors: set[str] = set()
    for line in _prose(path).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1)).replace("`", "")
            slug = base = slugify(text, "-")
            counter = 0
            while slug in anchors:
                counter += 1
                slug = f"{base}_{counter}"
            anchors.add(slug)
    anchors.update(re.findall(r"\{[^}]*#([\w-]+)[^}]*\}", path.read_text("utf-8")))
    return frozenset(anchors)


def test_the_reference_validator_accepts_the_skill():
    """skills-ref, the Agent Skills reference validator, finds nothing wrong with the skill."""
    assert skills_ref.validate(PACK_ROOT) == []


def test_the_reference_validator_catches_a_broken_skill(tmp_path):
    """The validator is live: a copy whose name differs from its folder is rejected."""
    broken = tmp_path / "polymarket"
    broken.mkdir()
    text = SKILL.read_text("utf-8").replace("name: polymarket", "name: Polymarket_WS", 1)
    (broken / "SKILL.md").write_text(text, "utf-8")
    assert skills_ref.validate(broken) != []


def test_skill_frontmatter_follows_the_spec():
    """SKILL.md frontmatter holds only spec keys; name equals the folder; description fits."""
    meta, _ = _frontmatter(SKILL)
    assert set(meta) <= SPEC_KEYS, f"non-spec keys: {set(meta) - SPEC_KEYS}"
    assert meta["name"] == PACK_ROOT.name == "polymarket"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["name"])
    description = meta["description"]
    assert isinstance(description, str) and 1 <= len(description) <= 1024
    assert not re.search(r"[<>]", description), "no < or > in the description"
    assert not re.search(r"claude|anthropic", description, re.IGNORECASE)
    assert not re.match(r"(?i)(use|you)\b", description), "write the description in third person"
    if "metadata" in meta:
        assert all(isinstance(v, str) for v in meta["metadata"].values())


def test_skill_is_short():
    """SKILL.md stays well under the 500-line guideline."""
    assert len(SKILL.read_text("utf-8").splitlines()) < 300


def test_skill_links_every_reference_file_one_level_deep():
    """SKILL.md links every reference file directly, so an agent never follows a chain."""
    targets = {m["target"].split("#")[0] for m in _LINK.finditer(_prose(SKILL))}
    missing = [name for name in REFERENCE_FILES if name not in targets]
    assert not missing, f"SKILL.md does not link: {missing}"


def test_skill_uses_no_material_only_syntax():
    """An agent reads SKILL.md raw: no admonitions, content tabs or code annotations."""
    prose = _prose(SKILL)
    assert not re.search(r"^(!!!|\?\?\?|===) ", prose, re.MULTILINE)
    assert "# (1)!" not in SKILL.read_text("utf-8")


def test_realtime_index_links_every_page():
    """real-time/README.md links every other page of its folder."""
    index = PACK_ROOT / "real-time" / "README.md"
    targets = {m["target"].split("#")[0] for m in _LINK.finditer(_prose(index))}
    pages = {p.name for p in index.parent.glob("*.md")} - {"README.md"}
    assert pages <= targets, f"README.md does not link: {sorted(pages - targets)}"


@pytest.mark.parametrize("name,minimum", sorted(MIN_LINES.items()))
def test_minimum_length(name, minimum):
    """The pages the issue sizes have at least their minimum number of lines."""
    lines = len((PACK_ROOT / name).read_text("utf-8").splitlines())
    assert lines >= minimum, f"{name}: {lines} lines, needs at least {minimum}"


def _paragraph_with_link(path: Path, target: str) -> str:
    for paragraph in re.split(r"\n\s*\n", _prose(path)):
        if any(m["target"].split("#")[0] == target for m in _LINK.finditer(paragraph)):
            return paragraph
    pytest.fail(f"{path.name} has no link to {target}")


def test_user_channel_links_credentials_where_it_names_them():
    """user-channel.md links the credentials page in text that names apiKey, secret, passphrase."""
    paragraph = _paragraph_with_link(
        PACK_ROOT / "real-time/user-channel.md", "../auth/api-credentials.md"
    )
    for word in ("apiKey", "secret", "passphrase"):
        assert word in paragraph, f"the paragraph linking credentials does not name {word}"


def test_connection_management_links_the_lifecycle():
    """connection-management.md links websocket-overview.md in text about the lifecycle."""
    paragraph = _paragraph_with_link(
        PACK_ROOT / "real-time/connection-management.md", "websocket-overview.md"
    )
    assert re.search(r"lifecycle", paragraph, re.IGNORECASE)


@pytest.mark.parametrize("path", pack_markdown_files(), ids=_ids)
def test_relative_links_and_anchors_resolve(path: Path):
    """Every relative link points at an existing file, and every #anchor at a real heading."""
    broken = []
    for match in _LINK.finditer(_prose(path)):
        target = match["target"]
        if re.match(r"^[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif not str(destination).startswith(str(PACK_ROOT)):
            broken.append(f"{target}: leaves the skill folder (the skill must stand alone)")
        elif anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
            broken.append(f"{target}: no heading with anchor #{anchor}")
    assert not broken, f"{path.relative_to(REPO_ROOT)}:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    "path",
    [p for p in pack_markdown_files() if p != SKILL and _line_count(p) > 100],
    ids=_ids,
)
def test_long_reference_files_open_with_a_table_of_contents(path: Path):
    """A reference file over 100 lines lists its sections near the top, as links to anchors."""
    head = "\n".join(_prose(path).splitlines()[:40])
    local_links = [m["target"] for m in _LINK.finditer(head) if m["target"].startswith("#")]
    assert len(local_links) >= 3, f"{path.name}: put a table of contents in the first 40 lines"
