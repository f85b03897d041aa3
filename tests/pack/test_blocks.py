"""Every code block in the pack is classified, linted, importable, exercised, or validated."""

from __future__ import annotations

import functools
import importlib
import json
import re
from pathlib import Path

import pytest
from pytest_examples import EvalExample

from tests.fixtures.pack import RUN_SUMMARY, TITLED_BLOCKS
from tests.pack.blocks import (
    KNOWN_LANGUAGES,
    REPO_ROOT,
    pack_markdown_files,
    python_blocks,
    scan_fences,
)

PYTHON_BLOCKS = python_blocks()
ALL_FENCES = [fence for path in pack_markdown_files() for fence in scan_fences(path)]
TESTS_ROOT = REPO_ROOT / "tests"


@functools.cache
def _test_sources() -> str:
    return "\n".join(
        path.read_text("utf-8")
        for path in TESTS_ROOT.rglob("test_*.py")
        if path.parent.name != "pack"  # the harness itself does not count as a behaviour test
    )


def test_pack_has_python_blocks():
    """The harness finds the pack's python blocks (an empty pack must not pass silently)."""
    assert PYTHON_BLOCKS, "no ```python blocks found under skills/polymarket"


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=str)
def test_block_is_classified(block):
    """Each python block is a titled module, a titled program, or a fragment with a reason."""
    assert block.kind != "unclassified", (
        f'{block}: give it title="name.py" (module or program) or test="skip" reason="..."'
    )
    if block.kind == "fragment":
        assert block.settings.get("reason"), f'{block}: a skipped fragment needs reason="..."'


def test_titles_are_unique():
    """Two blocks never share a title, so `import <title>` is unambiguous."""
    titles = [block.title for block in PYTHON_BLOCKS if block.title]
    duplicates = sorted({title for title in titles if titles.count(title) > 1})
    assert not duplicates, f"duplicate block titles: {duplicates}"


@pytest.mark.parametrize("block", [b for b in PYTHON_BLOCKS if b.requires], ids=str)
def test_requires_name_modules(block):
    """Every `requires` entry names a module block of the pack."""
    for name in block.requires:
        assert name in TITLED_BLOCKS, f"{block}: requires unknown block {name!r}"
        assert TITLED_BLOCKS[name].kind == "module", f"{block}: requires {name!r}, not a module"


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=str)
def test_block_passes_ruff(block, eval_example: EvalExample):
    """Every python block is ruff-clean with the project's rules."""
    eval_example.set_config(
        line_length=100,
        target_version="py311",
        ruff_select=["E", "F", "W", "I", "B", "UP", "ASYNC", "DTZ"],
    )
    eval_example.lint_ruff(block.example)


@pytest.mark.parametrize("block", [b for b in PYTHON_BLOCKS if b.kind == "module"], ids=str)
def test_module_imports_by_title(block):
    """A module block imports on its own (beside the modules it requires), with no side effects."""
    module = importlib.import_module(block.stem)
    RUN_SUMMARY["modules imported"] += 1
    public = [name for name in vars(module) if not name.startswith("_")]
    assert public, f"{block}: module defines nothing"


@pytest.mark.parametrize("block", [b for b in PYTHON_BLOCKS if b.kind == "module"], ids=str)
def test_module_is_driven_by_a_behaviour_test(block):
    """A module block that no behaviour test imports is not tested, only run."""
    pattern = rf"^\s*(import {block.stem}\b|from {block.stem} import)"
    assert re.search(pattern, _test_sources(), re.MULTILINE), (
        f"{block}: no test under tests/ imports {block.stem}"
    )


@pytest.mark.parametrize("block", [b for b in PYTHON_BLOCKS if b.kind == "program"], ids=str)
def test_program_is_run_by_a_test(block):
    """A program block that no test runs against the mock is not tested."""
    assert re.search(rf"run_program\(\s*[\"']{re.escape(block.title)}[\"']", _test_sources()), (
        f"{block}: no test calls run_program({block.title!r}, ...)"
    )


@pytest.mark.parametrize("fence", [f for f in ALL_FENCES if f.language == "json"], ids=str)
def test_json_example_matches_the_wire(fence):
    """A json example parses and validates against the mock's schemas (or fails, if marked)."""
    from polymarket_mock.messages import validate

    value = json.loads(fence.source)
    schema = fence.settings.get("schema")
    errors = validate(value, schema=schema) if schema else validate(value)
    if fence.settings.get("expect") == "invalid":
        assert errors, f'{fence}: marked expect="invalid" but the mock accepts it'
    else:
        assert not errors, f"{fence}: {errors}"
    RUN_SUMMARY["json validated"] += 1


@pytest.mark.parametrize("path", pack_markdown_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_fence_traps(path: Path):
    """No fence that breaks the examples finder: unclosed, empty, tilde, four-backtick, unknown."""
    problems = []
    for fence in scan_fences(path):
        if not fence.closed:
            problems.append(f"{fence}: fence never closed")
        if not fence.source.strip():
            problems.append(f"{fence}: empty fence")
        if fence.marks != "```":
            problems.append(f"{fence}: use exactly three backticks, not {fence.marks!r}")
        if fence.language not in KNOWN_LANGUAGES:
            problems.append(f"{fence}: unknown fence language {fence.language!r}")
        if fence.language.startswith("py") and fence.language not in ("python", "pycon"):
            problems.append(f"{fence}: write python or pycon, not {fence.language!r}")
    if "--8<--" in path.read_text("utf-8"):
        problems.append(f"{path}: snippet includes are invisible to an agent reading raw markdown")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", pack_markdown_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_both_finders_agree(path: Path):
    """pytest-examples finds exactly the python blocks a markdown renderer shows."""
    rendered = [f.start_line for f in scan_fences(path) if f.language == "python"]
    executed = [b.example.start_line for b in PYTHON_BLOCKS if b.example.path == path]
    assert executed == rendered
