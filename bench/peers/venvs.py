"""A peer's virtual environment: found ready, built from its pins on first use, or why not.

A venv counts as ready when its stamp file (`.installed`, as `make sdk` writes it) is newer
than its requirements file. Building it prints progress on stderr; every failure becomes a
reason string for the table, never an exception. `python -m bench.peers.venvs NAME` builds one
peer's venv (`make polymarket-apis` does, for tests/clients).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .specs import REPO_ROOT, ClientSpec

__all__ = ["Readiness", "prepare", "find_python", "main", "NO_PYTHON"]

INSTALL_TIMEOUT = 900
NO_PYTHON = 2  # main's exit status when no interpreter is recent enough (the tests then skip)


@dataclass
class Readiness:
    spec: ClientSpec
    python: Path | None  # the venv's interpreter when ready
    reason: str = ""  # why not, for the table
    install_seconds: float | None = None  # measured when this run built the venv


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        major, minor = out.stdout.split()
        return int(major), int(minor)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def find_python(minimum: tuple[int, int]) -> tuple[str | None, list[str]]:
    """The first interpreter >= minimum: ours, pythonX.Y on PATH, then pyenv's versions."""
    candidates = [getattr(sys, "_base_executable", sys.executable)]
    candidates += [shutil.which(f"python3.{minor}") for minor in range(minimum[1], 16)]
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(f"{pyenv}/versions/3.*/bin/python3"))
    looked = []
    for candidate in dict.fromkeys(c for c in candidates if c):
        version = _version(candidate)
        looked.append(f"{candidate} ({'.'.join(map(str, version)) if version else '?'})")
        if version and version >= minimum:
            return candidate, looked
    return None, looked


def _stamp(spec: ClientSpec) -> Path:
    return spec.venv_path() / ".installed"


def _is_ready(spec: ClientSpec) -> bool:
    stamp, requirements = _stamp(spec), REPO_ROOT / spec.requirements
    return (
        spec.interpreter().is_file()
        and stamp.is_file()
        and stamp.stat().st_mtime >= requirements.stat().st_mtime
    )


def _pip_error(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("ERROR")]
    lines = errors or output.strip().splitlines() or ["no output"]
    return lines[-1][:300]


def _install(spec: ClientSpec) -> Readiness:
    minimum = ".".join(map(str, spec.min_python))
    if spec.python:
        python = spec.python if _version(spec.python) else None
        looked = [spec.python]
    else:
        python, looked = find_python(spec.min_python)
    if python is None:
        return Readiness(
            spec,
            None,
            f"cannot install: needs Python >= {minimum}, none found ({', '.join(looked)})",
        )
    _say(
        f"installing {spec.name} into {spec.venv} ({spec.install_hint or 'a minute or so'}, "
        "first run only)"
    )
    started = time.perf_counter()
    steps = (
        [python, "-m", "venv", str(spec.venv_path())],
        [
            str(spec.interpreter()),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REPO_ROOT / spec.requirements),
        ],
    )
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as error:
            return Readiness(spec, None, f"cannot install: {error}"[:300])
        if done.returncode != 0:
            what = "venv" if step is steps[0] else "pip"
            return Readiness(spec, None, f"cannot install ({what}): {_pip_error(done.stderr)}")
    _stamp(spec).touch()
    seconds = time.perf_counter() - started
    _say(f"installed {spec.name} in {seconds:.0f} s")
    return Readiness(spec, spec.interpreter(), install_seconds=seconds)


def prepare(specs: list[ClientSpec], install: bool) -> list[Readiness]:
    """Every spec with its interpreter, or the reason it has none."""
    ready = []
    for spec in specs:
        if not spec.is_peer:
            ready.append(Readiness(spec, spec.interpreter()))
        elif _is_ready(spec):
            ready.append(Readiness(spec, spec.interpreter()))
        elif not install:
            ready.append(Readiness(spec, None, "not installed (run without --no-install)"))
        else:
            ready.append(_install(spec))
    return ready


def main(argv: list[str] | None = None) -> int:
    """Build the venv of the peer named in argv (ready already: nothing to do). Exit 0 when it
    is ready, NO_PYTHON when no Python is recent enough, 1 when the install failed."""
    from .specs import PEERS

    (name,) = sys.argv[1:] if argv is None else argv
    (spec,) = [peer for peer in PEERS if peer.name == name]
    (ready,) = prepare([spec], install=True)
    if ready.python is not None:
        return 0
    _say(f"{name}: {ready.reason}")
    return NO_PYTHON if find_python(spec.min_python)[0] is None else 1


if __name__ == "__main__":
    sys.exit(main())
