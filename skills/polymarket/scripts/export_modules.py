"""Write the skill's tested Python modules as files, exactly as the tests ran them.

Every module of the pack is a titled code block in the skill's markdown (modules/*.md and the
pages); the test suite imports those very blocks. This command extracts them, byte for byte, so
that you take tested code instead of retyping it. Standard library only.

  python scripts/export_modules.py DEST                 every module into the folder DEST
  python scripts/export_modules.py DEST --only user_stream.py,market_feed
                                                        these (programs too) and what they need
  python scripts/export_modules.py --single-file FILE   every module in one importable file
  python scripts/export_modules.py --list               names, dependency order, sizes, needs

The modules import each other by plain name (`from wire import parse_events`), so put DEST on
`sys.path`: run your program from DEST, or set PYTHONPATH=DEST. A single file holds each module
as its own module object (registered in sys.modules under its name), so `import FILE` and then
`from order_book import OrderBook` both work. Modules need Python 3.11+ and `websockets`;
py-clob-client-v2 only where --list says so. Existing files are never overwritten unless they
are identical or you pass --force.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SKILL_ROOT = Path(__file__).resolve().parent.parent
_FENCE = re.compile(r"^```python \{(?P<settings>[^}]*)\}\s*$")
_SETTING = re.compile(r"""([A-Za-z_][\w-]*)=(["'])(.*?)\2""")
_MAIN_GUARD = re.compile(r"^if __name__ == [\"']__main__[\"']:", re.MULTILINE)
_THIRD_PARTY = {"websockets": "websockets", "py_clob_client_v2": "py-clob-client-v2"}


@dataclass(frozen=True)
class Block:
    """One titled python block of the skill: a module or a program."""

    title: str
    source: str
    requires: tuple[str, ...]
    where: str  # file:line, for messages

    @property
    def is_program(self) -> bool:
        return bool(_MAIN_GUARD.search(self.source))

    @property
    def third_party(self) -> list[str]:
        """Packages it imports at the top level (a lazy import inside a function is not listed)."""
        found = []
        for module, package in _THIRD_PARTY.items():
            if re.search(rf"^(from|import) {module}\b", self.source, re.MULTILINE):
                found.append(package)
        return found


def find_blocks(root: Path = SKILL_ROOT) -> dict[str, Block]:
    """Every titled python block of the skill's markdown, first occurrence of each title."""
    blocks: dict[str, Block] = {}
    for path in sorted(root.rglob("*.md")):
        if "scripts" in path.relative_to(root).parts:
            continue
        lines = path.read_text("utf-8").splitlines()
        index = 0
        while index < len(lines):
            match = _FENCE.match(lines[index])
            if not match:
                index += 1
                continue
            settings = {m.group(1): m.group(3) for m in _SETTING.finditer(match["settings"])}
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            title = settings.get("title", "")
            skipped = settings.get("test", "").startswith("skip") or settings.get("export") == "no"
            if title.endswith(".py") and not skipped:  # export="no": a counter-example
                requires = tuple(r.strip() for r in settings.get("requires", "").split(",") if r)
                where = f"{path.relative_to(root)}:{index + 1}"
                source = "\n".join(lines[index + 1 : end]) + "\n"
                blocks.setdefault(title, Block(title, source, requires, where))
            index = end + 1
    return blocks


def dependency_order(blocks: dict[str, Block], wanted: list[str]) -> list[str]:
    """`wanted` and everything they require, each after what it requires."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(title: str, chain: tuple[str, ...]) -> None:
        if title in order:
            return
        if title not in blocks:
            known = ", ".join(sorted(blocks))
            raise SystemExit(f"error: no module {title!r} in the skill (known: {known})")
        if title in visiting:
            raise SystemExit(f"error: circular requires: {' -> '.join((*chain, title))}")
        visiting.add(title)
        for required in blocks[title].requires:
            visit(required, (*chain, title))
        visiting.discard(title)
        order.append(title)

    for title in wanted:
        visit(title if title.endswith(".py") else f"{title}.py", ())
    return order


def write_files(blocks: dict[str, Block], titles: list[str], dest: Path, force: bool) -> None:
    """Write each block as DEST/<title>; refuse to change an existing file without --force."""
    conflicts = [
        dest / t
        for t in titles
        if (dest / t).exists() and (dest / t).read_text("utf-8") != blocks[t].source
    ]
    if conflicts and not force:
        names = ", ".join(str(p) for p in conflicts)
        raise SystemExit(f"error: {names} exist(s) with other content; pass --force to replace")
    dest.mkdir(parents=True, exist_ok=True)
    for title in titles:
        (dest / title).write_text(blocks[title].source, "utf-8")


def single_file(blocks: dict[str, Block], titles: list[str]) -> str:
    """One importable file: each module runs as its own module object, sources unchanged."""
    sources = "\n".join(f"    ({t[:-3]!r}, {blocks[t].source!r})," for t in titles)
    return f'''"""Polymarket real-time modules, bundled by the skill's scripts/export_modules.py.

Each module below is the tested source, unchanged; importing this file registers every one in
sys.modules under its own name, so `from order_book import OrderBook` works after it.
Modules: {", ".join(titles)}.
"""

import linecache as _linecache
import sys as _sys
import types as _types

_MODULES = [
{sources}
]

for _name, _source in _MODULES:
    if _name in _sys.modules:
        continue  # already imported (for example from files on sys.path)
    _module = _types.ModuleType(_name)
    _module.__file__ = f"<bundled {{_name}}.py>"
    _lines = _source.splitlines(True)  # so tracebacks show the source lines
    _linecache.cache[_module.__file__] = (len(_source), None, _lines, _module.__file__)
    _sys.modules[_name] = _module
    exec(compile(_source, _module.__file__, "exec"), _module.__dict__)
'''


def describe(blocks: dict[str, Block], titles: list[str]) -> str:
    rows = []
    for title in titles:
        block = blocks[title]
        kind = "program" if block.is_program else "module"
        needs = ", ".join([*block.third_party, *block.requires]) or "standard library only"
        lines = block.source.count("\n")
        rows.append(f"{title:24} {kind:8} {lines:4} lines  needs: {needs}  ({block.where})")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dest", nargs="?", type=Path, help="folder to write the modules into")
    parser.add_argument("--single-file", type=Path, metavar="FILE", help="write one .py file")
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help="comma-separated modules or programs (.py optional), with what they require",
    )
    parser.add_argument("--list", action="store_true", help="list what would be written")
    parser.add_argument("--force", action="store_true", help="replace files that differ")
    args = parser.parse_args(argv)
    if not (args.dest or args.single_file or args.list):
        parser.error("give DEST, --single-file FILE or --list")
    blocks = find_blocks()
    modules = [t for t, b in blocks.items() if not b.is_program]
    only = [name.strip() for name in (args.only or "").split(",") if name.strip()]
    titles = dependency_order(blocks, only or modules)
    if args.list:
        print(describe(blocks, titles))
        return 0
    if args.dest:
        write_files(blocks, titles, args.dest, args.force)
        print(f"wrote {len(titles)} file(s) to {args.dest}: {' '.join(titles)}")
    if args.single_file:
        if args.single_file.exists() and not args.force:
            raise SystemExit(f"error: {args.single_file} exists; pass --force to replace it")
        programs = [t for t in titles if blocks[t].is_program]
        if programs:
            raise SystemExit(f"error: programs cannot be bundled: {', '.join(programs)}")
        args.single_file.write_text(single_file(blocks, titles), "utf-8")
        print(f"wrote {args.single_file} with {len(titles)} module(s): {' '.join(titles)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
