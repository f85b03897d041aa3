"""Find and classify every fenced block in the skill pack.

Two finders run over the same files: pytest-examples' regex finder (what the examples harness
executes) and a line-based fence scanner (what a CommonMark renderer sees). Comparing them catches
the fence traps that make the regex finder skip or swallow blocks.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from pytest_examples import CodeExample, find_examples

__all__ = [
    "PACK_ROOT",
    "Fence",
    "PythonBlock",
    "scan_fences",
    "python_blocks",
    "json_blocks",
    "pack_markdown_files",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
PACK_ROOT = REPO_ROOT / "skills" / "polymarket"

# Fence languages a page may use; anything else is a typo or a trap.
KNOWN_LANGUAGES = {"python", "json", "text", "pycon", "bash", "console", "mermaid", "yaml", "toml"}

_OPEN_FENCE = re.compile(r"^(?P<indent> *)(?P<marks>`{3,}|~{3,})(?P<info>.*)$")
_SETTING = re.compile(r"""([A-Za-z_][\w-]*)=(["'])(.*?)\2""")
_MAIN_GUARD = re.compile(r"^if __name__ == [\"']__main__[\"']:", re.MULTILINE)


@dataclass(frozen=True)
class Fence:
    """One fenced block as a CommonMark reader sees it."""

    path: Path
    start_line: int
    """1-based line of the opening fence."""
    end_line: int
    """1-based line of the closing fence (or the last line if unclosed)."""
    marks: str
    info: str
    source: str
    closed: bool

    @property
    def language(self) -> str:
        match = re.match(r"\{?\.?([A-Za-z0-9_+-]*)", self.info.strip())
        return match.group(1).lower() if match else ""

    @property
    def settings(self) -> dict[str, str]:
        return {m.group(1): m.group(3) for m in _SETTING.finditer(self.info)}

    def __str__(self) -> str:
        return f"{self.path.relative_to(REPO_ROOT)}:{self.start_line}"


@dataclass(frozen=True)
class PythonBlock:
    """A python block as the examples harness runs it."""

    example: CodeExample
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.example.source

    @property
    def title(self) -> str | None:
        return self.settings.get("title")

    @property
    def requires(self) -> list[str]:
        raw = self.settings.get("requires", "")
        return [name.strip() for name in raw.split(",") if name.strip()]

    @property
    def kind(self) -> str:
        """`module`, `program`, `fragment`, or `unclassified` (a build error)."""
        if self.settings.get("test", "").startswith("skip"):
            return "fragment"
        if not self.title or not self.title.endswith(".py"):
            return "unclassified"
        return "program" if _MAIN_GUARD.search(self.source) else "module"

    @property
    def stem(self) -> str:
        return (self.title or "").removesuffix(".py")

    def __str__(self) -> str:
        where = f"{self.example.path.relative_to(REPO_ROOT)}:{self.example.start_line}"
        return f"{where}[{self.title}]" if self.title else where


def pack_markdown_files() -> list[Path]:
    return sorted(PACK_ROOT.rglob("*.md"))


def scan_fences(path: Path) -> list[Fence]:
    """Line-based fence scanner following CommonMark's rules for opening and closing fences."""
    lines = path.read_text("utf-8").splitlines()
    fences: list[Fence] = []
    index = 0
    while index < len(lines):
        opening = _OPEN_FENCE.match(lines[index])
        if not opening or (opening["marks"][0] == "`" and "`" in opening["info"]):
            index += 1
            continue
        marks, indent = opening["marks"], len(opening["indent"])
        closer = re.compile(rf"^ *{re.escape(marks[0])}{{{len(marks)},}}\s*$")
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not closer.match(lines[end]):
            body.append(lines[end][indent:] if lines[end].startswith(" " * indent) else lines[end])
            end += 1
        closed = end < len(lines)
        fences.append(
            Fence(
                path=path,
                start_line=index + 1,
                end_line=min(end, len(lines) - 1) + 1,
                marks=marks,
                info=opening["info"].strip(),
                source="\n".join(body),
                closed=closed,
            )
        )
        index = end + 1
    return fences


@functools.cache
def python_blocks() -> tuple[PythonBlock, ...]:
    """Python blocks as pytest-examples finds them, restricted to exact language `python`.

    Read once per run: the harness, the fixtures and the summary all ask for them.
    """
    blocks = []
    for path in pack_markdown_files():
        for example in find_examples(path):
            info = example.prefix.strip()
            if re.match(r"\{?\.?python\b(?!3)", info):
                info_line = _original_info(example)
                settings = {m.group(1): m.group(3) for m in _SETTING.finditer(info_line)}
                blocks.append(PythonBlock(example=example, settings=settings))
    return tuple(blocks)


def _original_info(example: CodeExample) -> str:
    """pytest-examples lowercases the info string; read it again so reasons keep their case."""
    line = example.path.read_text("utf-8").splitlines()[example.start_line - 1]
    return line.strip().lstrip("`")


@functools.cache
def json_blocks() -> tuple[Fence, ...]:
    return tuple(
        f for path in pack_markdown_files() for f in scan_fences(path) if f.language == "json"
    )
