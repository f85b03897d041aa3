"""The installable skill (`make skill`): exactly the skill folder, and it works on its own.

The unpacked mock runs with `python -I -S`: no environment variables, no user or site packages
(so no editable install of the repository's copy), and on sys.path only what the mock puts there
itself plus a folder holding nothing but `websockets`, the one dependency it documents.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.client import connect

from tests.pack.blocks import PACK_ROOT, REPO_ROOT
from tools.build_skill import ZIP_NAME, build, skill_files

# Runs a script as `python script args` would, after appending one folder to sys.path.
LAUNCHER = (
    "import runpy, sys; sys.path.append(sys.argv.pop(1)); sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)
MOCK = Path("polymarket", "scripts", "mock_server.py")


def _zip_names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as opened:
        return sorted(opened.namelist())


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the unzipped skill (polymarket/) and deps/ with only websockets in it."""
    root = tmp_path_factory.mktemp("unpacked")
    _, archive = build(PACK_ROOT, tmp_path_factory.mktemp("dist"))
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(root)
    (root / "deps").mkdir()
    (root / "deps" / "websockets").symlink_to(Path(websockets.__file__).parent)
    return root


def _isolated(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-I", "-S", "-c", LAUNCHER, str(root / "deps"), str(MOCK), *args]


def test_artefact_holds_exactly_the_skill_folder(tmp_path: Path):
    """The folder and the zip hold the same files as skills/polymarket/, mock included."""
    folder, archive = build(PACK_ROOT, tmp_path)
    expected = [path.as_posix() for path in skill_files(PACK_ROOT)]
    assert folder == tmp_path / "polymarket" and archive == tmp_path / ZIP_NAME
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == (
        sorted(expected)
    )
    assert _zip_names(archive) == sorted(f"polymarket/{name}" for name in expected)
    assert {"SKILL.md", "scripts/mock_server.py"} <= set(expected)
    for name in expected:
        assert (folder / name).read_bytes() == (PACK_ROOT / name).read_bytes(), name


def test_artefact_matches_what_git_would_track():
    """The files packed are the ones git tracks or would track (nothing it ignores)."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to compare the file list with")
    listed = subprocess.run(
        [
            "git",
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            "skills/polymarket",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    on_disk = {name for name in listed if (REPO_ROOT / name).is_file()}
    packed = {f"skills/polymarket/{path.as_posix()}" for path in skill_files(PACK_ROOT)}
    assert packed == on_disk


def test_build_leaves_out_caches_and_install_metadata(tmp_path: Path):
    """__pycache__, *.pyc, *.egg-info and dotfiles in the source never reach the artefact."""
    source = tmp_path / "src" / "polymarket"
    shutil.copytree(PACK_ROOT, source)
    (source / "scripts" / "__pycache__").mkdir(exist_ok=True)
    (source / "scripts" / "__pycache__" / "mock_server.cpython-311.pyc").write_bytes(b"\0")
    (source / "scripts" / "stray.pyc").write_bytes(b"\0")
    (source / "scripts" / "polymarket_mock.egg-info").mkdir()
    (source / "scripts" / "polymarket_mock.egg-info" / "PKG-INFO").write_text("x")
    (source / ".DS_Store").write_bytes(b"\0")
    folder, archive = build(source, tmp_path / "dist")
    leftovers = re.compile(r"(__pycache__|\.pyc$|\.egg-info|(^|/)\.)")
    assert [
        p for p in folder.rglob("*") if leftovers.search(p.relative_to(folder).as_posix())
    ] == []
    assert [name for name in _zip_names(archive) if leftovers.search(name)] == []


def test_zip_is_reproducible(tmp_path: Path):
    """Building twice from the same sources gives byte-identical zips."""
    _, first = build(PACK_ROOT, tmp_path / "one")
    _, second = build(PACK_ROOT, tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()


def test_build_command_reports_what_it_wrote(tmp_path: Path):
    """`python tools/build_skill.py --dist DIR` (what `make skill` runs) writes both artefacts."""
    completed = subprocess.run(
        [sys.executable, "tools/build_skill.py", "--dist", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "polymarket" / "SKILL.md").is_file() and (tmp_path / ZIP_NAME).is_file()
    assert "~/.claude/skills/" in completed.stdout


def test_unpacked_mock_prints_its_help(unpacked: Path):
    """The mock from the unpacked zip answers --help in an isolated interpreter."""
    completed = subprocess.run(
        _isolated(unpacked, "--help"),
        cwd=unpacked,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: mock_server.py")
    assert "--scenario" in completed.stdout


async def _read_until(stream: asyncio.StreamReader, pattern: str, seen: list[str]) -> re.Match:
    regex = re.compile(pattern)
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError(f"mock exited before printing {pattern!r}:\n{''.join(seen)}")
        seen.append(line)
        if match := regex.search(line):
            return match


async def test_unpacked_mock_serves_a_market_subscription(unpacked: Path):
    """The unpacked mock serves a subscription: a book per asset, PONG for PING, clean Ctrl-C."""
    process = await asyncio.create_subprocess_exec(
        *_isolated(unpacked, "--port", "0", "--activity-interval", "none"),
        cwd=unpacked,
        env={"PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    seen: list[str] = []
    try:
        async with asyncio.timeout(20):
            url = (await _read_until(process.stdout, r"listening on (ws://\S+)", seen)).group(1)
            assets = (await _read_until(process.stdout, r"POLYMARKET_ASSET_IDS=(\S+)", seen))[1]
            asset_ids = assets.split(",")
            async with connect(f"{url}/ws/market", proxy=None) as ws:
                subscription = {"assets_ids": asset_ids, "type": "market", "initial_dump": True}
                await ws.send(json.dumps(subscription))
                books: list[dict] = []
                while len(books) < len(asset_ids):
                    frame = json.loads(await ws.recv())
                    books += frame if isinstance(frame, list) else [frame]
                assert {book["event_type"] for book in books} == {"book"}
                assert sorted(book["asset_id"] for book in books) == sorted(asset_ids)
                await ws.send("PING")
                assert await ws.recv() == "PONG"
            process.send_signal(signal.SIGINT)
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
