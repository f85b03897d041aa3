"""The installable skill (`make skill`): exactly the skill folder, and it works on its own.

The unpacked mock runs with `python -I -S`: no environment variables, no user or site packages
(so no editable install of the repository's copy), and on sys.path only what the mock puts there
itself plus a folder holding nothing but `websockets`, the one dependency it documents. The
front-door check goes further: a fresh venv with only websockets exports trading_feed.py from the
unpacked skill and runs it against the unpacked mock through faults and SIGTERM.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.client import connect

from tests.behaviour.test_realtime import check_line
from tests.fixtures.pack import TITLED_BLOCKS
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


# -- the front door, taken from the artefact ---------------------------------------------------


class _JsonLines:
    """Collects a process's stdout as JSON objects, one per line, from a thread."""

    def __init__(self, stream) -> None:
        self.lines: list[dict] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for raw in stream:
            with self._changed:
                self.lines.append(json.loads(raw))
                self._changed.notify_all()

    def wait_for(self, predicate, what: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.lines):
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no {what} within {timeout}s; lines: {self.lines[-5:]}")
                self._changed.wait(min(left, 0.1))


def _connected(channel: str, reconnects: int):
    wanted = {"type": "connected", "channel": channel, "reconnects": reconnects}
    return lambda lines: any(wanted.items() <= line.items() for line in lines)


def _books_live(assets: list[str], after: int = 0):
    def live(lines: list[dict]) -> bool:
        status = {x["asset_id"]: x["status"] for x in lines[after:] if x["type"] == "book"}
        return all(status.get(asset) == "live" for asset in assets)

    return live


def _control(http_url: str, action: str) -> dict:
    with urllib.request.urlopen(f"{http_url}/_mock/{action}", timeout=5) as reply:  # noqa: S310
        return json.loads(reply.read())


def test_unpacked_skill_runs_the_trading_feed_through_a_drop_a_stall_and_sigterm(
    unpacked: Path, websockets_only_python: str, tmp_path: Path
):
    """From the zip alone, in a venv with only websockets: export trading_feed.py, start the
    bundled mock, run the program through a drop and a stall (faults from the mock's control
    endpoint), SIGTERM it: documented JSON lines, exit 0 within 5 s, both sockets closed 1000."""
    skill = unpacked / "polymarket"
    dest = tmp_path / "feed"
    exported = subprocess.run(
        [
            websockets_only_python,
            "scripts/export_modules.py",
            str(dest),
            "--only",
            "trading_feed.py",
        ],
        cwd=skill,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert exported.returncode == 0, exported.stderr
    program = TITLED_BLOCKS["trading_feed.py"]
    assert (dest / "trading_feed.py").read_text("utf-8") == program.source  # as the tests ran it
    credentials = {  # a fresh account: the mock trades for whichever account it is started with
        "POLYMARKET_API_KEY": str(uuid.uuid4()),
        "POLYMARKET_API_SECRET": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "POLYMARKET_API_PASSPHRASE": secrets.token_hex(16),
    }
    base = {"PATH": "/usr/bin:/bin"}
    mock = subprocess.Popen(
        [
            websockets_only_python,
            "scripts/mock_server.py",
            "--port",
            "0",
            "--activity-interval",
            "0.2",
        ],
        cwd=skill,
        env={**base, **credentials},
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "mock.log").open("w"),
        text=True,
    )
    feed = None
    try:
        assert mock.stdout is not None
        banner = ""
        while "Scenarios:" not in banner:
            line = mock.stdout.readline()
            assert line, f"the mock exited:\n{(tmp_path / 'mock.log').read_text()}"
            banner += line
        found = dict(re.findall(r"export (POLYMARKET_\w+)=(\S+)", banner))
        assets = found["POLYMARKET_ASSET_IDS"].split(",")
        env = {**base, **found, **credentials, "POLYMARKET_ADDRESS": "0x" + "ab" * 20}
        feed = subprocess.Popen(
            [
                websockets_only_python,
                "trading_feed.py",
                "--time-scale",
                "0.05",
            ],
            cwd=dest,
            env=env,
            stdout=subprocess.PIPE,
            stderr=(tmp_path / "feed.log").open("w"),
            text=True,
        )
        out = _JsonLines(feed.stdout)
        out.wait_for(_connected("user", 0), "user connection")
        out.wait_for(_books_live(assets), "live books")
        http = found["POLYMARKET_CLOB_URL"]
        _control(http, "fault?kind=drop&channel=market")
        out.wait_for(_connected("market", 1), "reconnect after the drop")
        out.wait_for(lambda ls: sum(x["type"] == "gap" for x in ls) >= len(assets), "gap lines")
        state = _control(http, "state")
        open_market = [
            c["id"] for c in state["connections"] if c["channel"] == "market" and not c["closed_at"]
        ]
        _control(http, f"fault?kind=stall&channel=market&connection_id={open_market[-1]}")
        out.wait_for(_connected("market", 2), "reconnect after the stall")
        out.wait_for(_books_live(assets, len(out.lines) - 1), "live books after the stall")
        started = time.monotonic()
        feed.send_signal(signal.SIGTERM)
        code = feed.wait(10)
        took = time.monotonic() - started
        state = _control(http, "state")
    finally:
        for process in (feed, mock):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
    log = (tmp_path / "feed.log").read_text()
    assert code == 0, log
    assert took < 5.0, f"exit took {took:.2f}s"
    assert mock.returncode == 0
    for channel in ("market", "user"):
        last = [c for c in state["connections"] if c["channel"] == channel][-1]
        assert (last["close_code"], last["closed_by"]) == (1000, "client"), last
    for line in out.lines:
        check_line(line)
    market_gaps = [x for x in out.lines if x["type"] == "gap" and x["channel"] == "market"]
    assert {a for gap in market_gaps for a in gap["asset_ids"]} == set(assets)
    assert "Traceback" not in log and credentials["POLYMARKET_API_SECRET"] not in log
