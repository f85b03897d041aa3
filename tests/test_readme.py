"""The README's commands exist: every `make` target it names is a target of the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_make_targets_exist():
    """Each `make <target>` in the README is defined in the Makefile."""
    readme = (ROOT / "README.md").read_text("utf-8")
    makefile = (ROOT / "Makefile").read_text("utf-8")
    named = set(re.findall(r"\bmake ([a-z][\w-]*)", readme))
    defined = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    assert {"docs", "test"} <= named, "the quickstart is make docs + make test"
    assert named <= defined, f"README names undefined targets: {sorted(named - defined)}"


def test_ci_runs_the_readme_test_command():
    """CI runs exactly the README's test command."""
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE)
