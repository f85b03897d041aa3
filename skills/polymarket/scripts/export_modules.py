"""Write the skill's tested Python modules as files, exactly as the tests ran them.

Every module of the pack is a titled code block in the skill's markdown (modules/*.md and the
pages); the test suite imports those very blocks. This command extracts them, byte for byte, so
that you take tested code instead of retyping it. Standard library only.

  python scripts/export_modules.py DEST                 every module into the folder DEST
  python scripts/export_modules.py DEST --only user_stream.py,market_feed
                                                        these (programs too) and what they need
  python scripts/export_modules.py --single-file FILE   every module joined into one file
  python scripts/export_modules.py --single-file FILE --only market_feed,user_events
                                                        just these and what they need
  python scripts/export_modules.py --single-file bot.py --append my_bot.py
                                                        your program last, with what it imports
  python scripts/export_modules.py --list               names, dependency order, sizes, needs

The modules import each other by plain name (`from wire import parse_events`), so put DEST on
`sys.path`: run your program from DEST, or set PYTHONPATH=DEST.

A single file is an amalgamation, as SQLite's sqlite3.c: the modules' own source in dependency
order, one namespace (`from FILE import MarketFeed, Realtime`), imports between modules removed
and the others gathered at the top; a name two modules both define is renamed after its module
(`log` -> `wire_log`), and the file's header lists what is inside, the version and each rename.
With one program in --only, the program comes last and the file runs as it is
(`--single-file feed.py --only trading_feed.py`, then `python feed.py`). Your own program
too: write it against exported files (`from realtime import Realtime, serve`), then
`--single-file bot.py --append my_bot.py` joins it last, with just the modules it imports;
a top-level name of yours that the kit also defines is renamed after your file and listed.
The test suite runs the pack's behaviour tests against this file too. Modules need Python
3.11+ and `websockets`; py-clob-client-v2 only where --list says so. Missing folders are
created; existing files are never overwritten unless they are identical or you pass --force.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # amalgamate.py, even under python -I
from amalgamate import AmalgamationError, Part, build  # noqa: E402

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


def skill_version(root: Path = SKILL_ROOT) -> str:
    """metadata.version of SKILL.md's frontmatter ("unknown" if absent)."""
    match = re.search(
        r'^\s+version:\s*"?([^"\n]+)"?\s*$', (root / "SKILL.md").read_text("utf-8"), re.M
    )
    return match.group(1) if match else "unknown"


def pack_imports(source: str, blocks: dict[str, Block]) -> list[str]:
    """The pack modules a program of yours imports (`from realtime import Realtime`)."""
    found = re.findall(r"^\s*from (\w+) import", source, re.MULTILINE)
    found += re.findall(r"^\s*import (\w+)", source, re.MULTILINE)
    return [f"{name}.py" for name in dict.fromkeys(found) if f"{name}.py" in blocks]


def single_file(blocks: dict[str, Block], titles: list[str], yours: Path | None = None) -> str:
    """The amalgamation of `titles` (modules in dependency order) and, last, one program:
    a pack program among `titles`, or `yours` (a file of your own)."""
    programs = [t for t in titles if blocks[t].is_program]
    if len(programs) + (yours is not None) > 1:
        named = [*programs, *([yours.name] if yours else [])]
        raise SystemExit(f"error: one file can end with one program, not {', '.join(named)}")

    def part(title: str) -> Part:
        block = blocks[title]
        return Part(title, block.source, block.where, tuple(block.third_party))

    modules = [part(t) for t in titles if t not in programs]
    program = part(programs[0]) if programs else None
    if yours is not None:
        program = Part(yours.name, yours.read_text("utf-8"), f"your {yours.name}")
    try:
        return build(modules, version=skill_version(), program=program)
    except AmalgamationError as exc:
        raise SystemExit(f"error: cannot join the modules into one file: {exc}") from None


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
    parser.add_argument(
        "--append",
        type=Path,
        metavar="YOURS.py",
        help="with --single-file: your own program, last (its imports of the kit resolved)",
    )
    parser.add_argument("--list", action="store_true", help="list what would be written")
    parser.add_argument("--force", action="store_true", help="replace files that differ")
    args = parser.parse_args(argv)
    if not (args.dest or args.single_file or args.list):
        parser.error("give DEST, --single-file FILE or --list")
    blocks = find_blocks()
    modules = [t for t, b in blocks.items() if not b.is_program]
    only = [name.strip() for name in (args.only or "").split(",") if name.strip()]
    if args.append is not None:
        if not args.single_file:
            parser.error("--append needs --single-file FILE")
        if not args.append.is_file():
            raise SystemExit(f"error: {args.append}: no such file (your program to append)")
        imported = pack_imports(args.append.read_text("utf-8"), blocks)
        if not (only or imported):
            raise SystemExit(
                f"error: {args.append} imports no module of the kit (e.g. `from realtime import "
                "Realtime`); name what it needs with --only"
            )
        only = [*only, *imported]
    titles = dependency_order(blocks, only or modules)
    if args.list:
        print(describe(blocks, titles))
        return 0
    if args.dest:
        write_files(blocks, titles, args.dest, args.force)
        print(f"wrote {len(titles)} file(s) to {args.dest}: {' '.join(titles)}")
    if args.single_file:
        text = single_file(blocks, titles, args.append)
        target = args.single_file
        if target.is_dir():
            raise SystemExit(f"error: {target} is a folder; give a file name, e.g. {target}/kit.py")
        if target.exists() and not args.force and target.read_text("utf-8") != text:
            raise SystemExit(f"error: {target} exists; pass --force to replace it")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
        except OSError as exc:
            raise SystemExit(f"error: cannot write {target}: {exc.strerror or exc}") from None
        lines = text.count("\n")
        parts = [*titles, *([args.append.name] if args.append else [])]
        print(f"wrote {target} ({lines} lines) with {len(parts)} part(s): {' '.join(parts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
