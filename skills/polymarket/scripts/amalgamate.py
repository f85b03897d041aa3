"""Join the pack's modules into one readable file, in the manner of SQLite's sqlite3.c.

The modules' real source, in dependency order, in ONE namespace: imports between pack modules
are removed, the other imports are gathered once at the top, and a top-level name defined by
more than one module is renamed after its module (`log` in wire.py becomes `wire_log`), so every
top-level name is unique and each module's code still reads as it was written. A header says
what is inside, the version, and every rename. Standard library only.

Used by export_modules.py (`--single-file`); `build()` is the whole interface.
"""

from __future__ import annotations

import ast
import hashlib
import io
import keyword
import re
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["AmalgamationError", "Part", "build", "renames", "top_level_names"]

_FUTURE = "from __future__ import annotations"


class AmalgamationError(ValueError):
    """A module cannot be joined as written; the message names the module, line and why."""


@dataclass(frozen=True)
class Part:
    """One module (or the one program) to join: its file name, source, and where it comes from."""

    title: str
    source: str
    where: str = ""
    needs: tuple[str, ...] = ()


@dataclass
class _Parsed:
    part: Part
    tree: ast.Module
    pack_imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (mod, name)
    other_imports: list[ast.stmt] = field(default_factory=list)
    defined: list[str] = field(default_factory=list)  # top-level names it binds itself
    exported: list[str] = field(default_factory=list)  # its __all__
    dropped_lines: set[int] = field(default_factory=set)  # 1-based lines removed from its body

    @property
    def name(self) -> str:
        return self.part.title.removesuffix(".py")


def _bound_names(node: ast.stmt) -> list[str]:
    """Names a top-level statement binds (imports excluded)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _is_type_checking(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def _parse(part: Part, pack: set[str]) -> _Parsed:
    try:
        tree = ast.parse(part.source, part.title)
    except SyntaxError as exc:
        raise AmalgamationError(
            f"{part.title}:{exc.lineno}: not valid Python ({exc.msg})"
        ) from None
    parsed = _Parsed(part, tree)
    for node in tree.body:
        lines = set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            parsed.dropped_lines |= lines
        elif isinstance(node, ast.ImportFrom) and node.module in pack and not node.level:
            for alias in node.names:
                parsed.pack_imports[alias.asname or alias.name] = (node.module, alias.name)
            parsed.dropped_lines |= lines
        elif isinstance(node, ast.Import) and any(a.name in pack for a in node.names):
            raise AmalgamationError(
                f"{part.title}:{node.lineno}: `import <pack module>` cannot be joined; "
                "use `from <module> import <name>`"
            )
        elif isinstance(node, ast.Import | ast.ImportFrom):
            parsed.other_imports.append(node)
            parsed.dropped_lines |= lines
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "__all__"
        ):
            parsed.exported = list(ast.literal_eval(node.value))
            parsed.dropped_lines |= lines
        elif _is_type_checking(node):
            # Imports for type checkers only: pack names are defined here anyway; keep the rest.
            for inner in node.body:
                if isinstance(inner, ast.ImportFrom) and inner.module in pack:
                    for alias in inner.names:
                        parsed.pack_imports[alias.asname or alias.name] = (inner.module, alias.name)
        else:
            parsed.defined.extend(_bound_names(node))
    return parsed


def _import_key(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str, str]]:
    """(module, name, bound as) for each alias: `import a.b` binds `a`."""
    if isinstance(node, ast.Import):
        return [(a.name, "", a.asname or a.name.split(".")[0]) for a in node.names]
    return [(node.module or "", a.name, a.asname or a.name) for a in node.names]


def _gather_imports(parsed: Sequence[_Parsed]) -> tuple[list[str], dict[str, str]]:
    """Every non-pack import once, as lines; and name -> its source, to find clashes."""
    plain: dict[str, str] = {}  # import a.b -> line
    froms: dict[str, dict[str, str | None]] = {}  # module -> {name: asname}
    bound: dict[str, str] = {}  # bound name -> "module.name"
    for item in parsed:
        for node in item.other_imports:
            for module, name, as_name in _import_key(node):
                origin = f"{module}.{name}" if name else module.split(".")[0]
                if bound.setdefault(as_name, origin) != origin:
                    raise AmalgamationError(
                        f"{item.part.title}:{node.lineno}: `{as_name}` is imported from "
                        f"{origin} here and from {bound[as_name]} elsewhere"
                    )
                if name:
                    alias = None if as_name == name else as_name
                    froms.setdefault(module, {})[name] = alias
                else:
                    plain[module] = f"import {module}"
    third_party = {"websockets", "py_clob_client_v2", "orjson"}
    lines = [_FUTURE, ""]
    for group in (False, True):
        chosen = []
        for module in sorted(plain):
            if (module.split(".")[0] in third_party) == group:
                chosen.append(plain[module])
        for module in sorted(froms):
            if (module.split(".")[0] in third_party) != group:
                continue
            names = ", ".join(
                n if a is None else f"{n} as {a}" for n, a in sorted(froms[module].items())
            )
            chosen.append(f"from {module} import {names}")
        if chosen:
            lines.extend(sorted(chosen, key=lambda s: (s.startswith("from"), s)))
            lines.append("")
    return lines, bound


def _renames(parsed: Sequence[_Parsed], imported: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Per module: old name -> new name, for every clash and every pack import alias."""
    owners: dict[str, list[str]] = {}
    for item in parsed:
        for name in dict.fromkeys(item.defined):
            owners.setdefault(name, []).append(item.name)
    final: dict[str, dict[str, str]] = {item.name: {} for item in parsed}
    for name, modules in owners.items():
        if len(modules) > 1 or name in imported:
            for module in modules:
                prefix = "_" if name.startswith("_") else ""
                final[module][name] = f"{prefix}{module}_{name.lstrip('_')}"
    by_name = {item.name: item for item in parsed}
    for item in parsed:
        for alias, (module, name) in item.pack_imports.items():
            if module not in final:
                raise AmalgamationError(
                    f"{item.part.title}: imports {name} from {module}.py, which is not included"
                )
            seen = {module}  # a re-export (b.py's own `from a import f`): follow it to a.py
            while module not in owners.get(name, ()) and name in by_name[module].pack_imports:
                module, name = by_name[module].pack_imports[name]
                if module in seen or module not in final:
                    break
                seen.add(module)
            target = final.get(module, {}).get(name, name)
            if name not in owners or module not in owners[name]:
                raise AmalgamationError(f"{item.part.title}: {module}.py defines no {name}")
            if alias != target:
                if alias in owners and item.name in owners[alias]:
                    raise AmalgamationError(
                        f"{item.part.title}: the alias {alias} also names a definition of its own"
                    )
                final[item.name][alias] = target
    for table in final.values():
        for new in table.values():
            if keyword.iskeyword(new):
                raise AmalgamationError(f"renamed to a keyword: {new}")
    return final


def _check_renamable(item: _Parsed, table: Mapping[str, str]) -> None:
    """Refuse the cases a token-level rename would get wrong: parameters, keyword arguments
    and imports inside functions that use a renamed name."""
    for node in ast.walk(item.tree):
        bad = None
        if isinstance(node, ast.arg) and node.arg in table:
            bad = f"a parameter is named {node.arg}"
        elif isinstance(node, ast.keyword) and node.arg in table:
            bad = f"a keyword argument is named {node.arg}"
        elif (
            isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in item.dropped_lines
        ):
            for alias in node.names:
                if (alias.asname or alias.name) in table:
                    bad = f"an import binds {alias.asname or alias.name}"
        if bad:
            raise AmalgamationError(
                f"{item.part.title}:{node.lineno}: {bad}, which must be renamed in the joined "
                "file; rename it in the module"
            )


def _rewrite(item: _Parsed, table: Mapping[str, str]) -> str:
    """The module's source without its dropped lines, with `table`'s names renamed."""
    _check_renamable(item, table)
    tokens = list(tokenize.generate_tokens(io.StringIO(item.part.source).readline))
    lines = item.part.source.splitlines(keepends=True)
    edits: dict[int, list[tuple[int, int, str]]] = {}
    previous = None
    for token in tokens:
        if token.type == tokenize.NAME and token.string in table and previous != ".":
            row, col = token.start
            edits.setdefault(row, []).append((col, token.end[1], table[token.string]))
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token.string if token.type == tokenize.OP else None
    out = []
    for number, line in enumerate(lines, 1):
        if number in item.dropped_lines:
            continue
        for start, end, new in sorted(edits.get(number, ()), reverse=True):
            line = line[:start] + new + line[end:]
        out.append(line)
    text = re.sub(r"\n{4,}", "\n\n\n", "".join(out).strip("\n") + "\n")  # where imports were
    leftover = [
        n.id
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.Name) and n.id in table and n.id not in table.values()
    ]
    if leftover:  # inside an f-string, which is one token before Python 3.12
        raise AmalgamationError(
            f"{item.part.title}: {leftover[0]} could not be renamed (inside an f-string?)"
        )
    return text


def top_level_names(source: str, *, imports: bool = True) -> list[str]:
    """Every name bound at the top level of a file, repeats kept. `import a.b` and `import a.c`
    bind the same `a` and count once; imports=False leaves imports out."""
    names: list[str] = []
    plain: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if not imports or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                continue
            for _module, name, as_name in _import_key(node):
                if not name and as_name in plain:
                    continue  # another submodule of a package already bound
                if not name:
                    plain.add(as_name)
                names.append(as_name)
        elif not _is_type_checking(node):
            names.extend(_bound_names(node))
    return names


def _plan(everything: Sequence[Part]):
    pack = {p.title.removesuffix(".py") for p in everything}
    parsed = [_parse(part, pack) for part in everything]
    import_lines, imported = _gather_imports(parsed)
    return parsed, import_lines, _renames(parsed, imported)


def renames(parts: Sequence[Part]) -> dict[str, dict[str, str]]:
    """Module name -> {name in the module: name in the joined file}, where they differ."""
    return _plan(parts)[2]


def build(parts: Sequence[Part], *, version: str, program: Part | None = None) -> str:
    """The joined file of `parts` (in dependency order) and, last, an optional program."""
    everything = [*parts, *([program] if program else [])]
    parsed, import_lines, renames = _plan(everything)
    bodies = [_rewrite(item, renames[item.name]) for item in parsed]
    exported = list(  # a name two modules export (one imports it from the other): once
        dict.fromkeys(
            renames[item.name].get(name, name)
            for item in parsed[: len(parts)]
            for name in item.exported
        )
    )
    digest = hashlib.sha256("".join(p.source for p in everything).encode()).hexdigest()[:12]
    header = _header(parsed, renames, version, digest, program is not None)
    sections = []
    for item, body in zip(parsed, bodies, strict=True):
        where = f" (from {item.part.where})" if item.part.where else ""
        rule = f"# {'=' * 20} {item.part.title}{where} "
        sections.append(f"{rule}{'=' * max(0, 99 - len(rule))}\n\n{body}")
    listed = "\n".join(f"    {name!r}," for name in exported)
    all_block = f"__all__ = [\n{listed}\n]\n"
    return "\n\n".join([header, "\n".join(import_lines).rstrip() + "\n", all_block, *sections])


def _header(
    parsed: Sequence[_Parsed],
    renames: Mapping[str, Mapping[str, str]],
    version: str,
    digest: str,
    with_program: bool,
) -> str:
    rows = []
    for item in parsed:
        needs = ", ".join(item.part.needs) or "standard library"
        count = item.part.source.count("\n")
        rows.append(f"  {item.part.title:22} {count:5} lines  needs {needs}")
    renamed = []
    for item in parsed:
        own = {old: new for old, new in renames[item.name].items() if old in item.defined}
        if own:
            pairs = ", ".join(f"{old} -> {new}" for old, new in sorted(own.items()))
            renamed.append(f"  {item.part.title}: {pairs}")
    use = (
        "Run it as it is: the program comes last,\nafter every module it needs."
        if with_program
        else "Import it as one module\n(`from <this file> import MarketFeed`) or paste it."
    )
    text = "\n".join(
        [
            '"""Polymarket real-time kit: the skill\'s tested modules joined into one file.',
            "",
            f"Skill version {version}, sources {digest} (sha256 of the joined sources, first 12).",
            "Written by the skill's scripts/export_modules.py --single-file; like SQLite's",
            "sqlite3.c, it is the modules' own source in dependency order: imports between them",
            "removed, the others gathered at the top, one namespace. " + use,
            "",
            "Inside, in this order:",
            *rows,
            "",
            "Top-level names that clash (defined by two parts, or defined by one and imported",
            "by another) are renamed after their part:",
            *(renamed or ["  (none)"]),
            '"""',
        ]
    )
    return re.sub(r"[ \t]+\n", "\n", text)
