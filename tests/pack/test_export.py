"""scripts/export_modules.py: the modules readers take are the bytes the tests ran."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.fixtures.pack import TITLED_BLOCKS, pack_modules_dir
from tests.pack.blocks import PACK_ROOT

EXPORT = PACK_ROOT / "scripts" / "export_modules.py"


def export(*args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, str(EXPORT), *args], capture_output=True, text=True)


def exported_titles() -> set[str]:
    return {
        t
        for t, b in TITLED_BLOCKS.items()
        if b.kind == "module" and b.settings.get("export") != "no"
    }


# Every exported module: with websockets alone each imports and works (py-clob-client-v2 lazy).
STREAMING = sorted(title.removesuffix(".py") for title in exported_titles())


def test_export_writes_every_module_byte_identical_to_what_the_tests_ran(tmp_path):
    """Each exported file equals the block the harness imported, byte for byte."""
    done = export(str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert written == exported_titles()
    for title in written:
        assert (tmp_path / "out" / title).read_bytes() == (pack_modules_dir / title).read_bytes()


def test_only_brings_what_a_program_requires_in_dependency_order(tmp_path):
    """--only user_stream.py writes it and its requires, each after what it imports."""
    done = export(str(tmp_path), "--only", "user_stream.py")
    assert done.returncode == 0, done.stderr
    order = done.stdout.split(": ", 1)[1].split()
    assert order[-1] == "user_stream.py"
    assert set(order) == {"user_stream.py", *TITLED_BLOCKS["user_stream.py"].requires}
    for position, title in enumerate(order):
        for required in TITLED_BLOCKS[title].requires:
            assert order.index(required) < position, (required, title)


def test_bad_input_is_a_clear_error_that_writes_nothing(tmp_path):
    """An unknown name, or a file that would change, stops the export before it writes."""
    unknown = export(str(tmp_path / "a"), "--only", "order_books")
    assert unknown.returncode != 0 and "no module 'order_books.py'" in unknown.stderr
    assert not (tmp_path / "a").exists()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "wire.py").write_text("# mine\n")
    kept = export(str(tmp_path / "b"))
    assert kept.returncode != 0 and "--force" in kept.stderr
    assert (tmp_path / "b" / "wire.py").read_text() == "# mine\n"
    assert list((tmp_path / "b").iterdir()) == [tmp_path / "b" / "wire.py"]
    assert export(str(tmp_path / "b"), "--force").returncode == 0
    assert (tmp_path / "b" / "wire.py").read_bytes() == (pack_modules_dir / "wire.py").read_bytes()


def test_streaming_modules_run_in_a_venv_with_only_websockets(tmp_path, websockets_only_python):
    """Exported files and the single file import there; a book and an event work."""
    assert export(str(tmp_path / "pkg")).returncode == 0
    bundle = str(tmp_path / "one" / "bundle.py")
    assert export("--single-file", bundle, "--only", ",".join(STREAMING)).returncode == 0
    as_files = "".join(f"import {name}\n" for name in STREAMING) + (
        "from order_book import OrderBook\n"
        "from user_events import UserEventRouter\n"
        "from account_sync import AccountSync\n"
        "from clob_rest import l2_signature\n"
        "from order_tracker import OrderTracker\n"
    )
    as_one_file = "from bundle import OrderBook, UserEventRouter, AccountSync, l2_signature\n"
    as_one_file += "from bundle import OrderTracker\n"
    check = (
        "import json, sys\n"
        "book = OrderBook('1')\n"
        "book.apply_book({'bids': [{'price': '0.4', 'size': '5'}], 'asks': []})\n"
        "assert book.best() is not None and str(book.best()[0]) == '0.4'\n"
        "seen = []\n"
        "UserEventRouter(on_other=seen.append).handle_message(json.dumps({'event_type': 'x'}))\n"
        "assert AccountSync(None, OrderTracker()).reader is None\n"
        "assert l2_signature('c2VjcmV0', 1, 'GET', '/time').endswith('=')\n"
        "assert seen and 'py_clob_client_v2' not in sys.modules\n"
        "print('ok')\n"
    )
    for folder, prelude in ((tmp_path / "pkg", as_files), (tmp_path / "one", as_one_file)):
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        done = subprocess.run(
            [websockets_only_python, "-c", prelude + check],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0 and done.stdout == "ok\n", (folder, done.stderr)
    program = tmp_path / "one" / "feed.py"
    assert export("--single-file", str(program), "--only", "trading_feed.py").returncode == 0
    helped = subprocess.run(
        [websockets_only_python, str(program), "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "--time-scale" in helped.stdout, helped.stderr


def test_export_help_explains_every_option():
    """--help names the forms and what the modules need, for an agent that will not read code."""
    done = export("--help")
    assert done.returncode == 0
    for word in ("DEST", "--single-file", "--only", "--list", "--force", "websockets"):
        assert word in done.stdout
    # Standard library only: it runs with site-packages switched off (-S) from the unpacked skill.
    bare = subprocess.run(
        [sys.executable, "-S", "-I", str(EXPORT), "--list"], capture_output=True, text=True
    )
    assert bare.returncode == 0 and "wire.py" in bare.stdout, bare.stderr


def test_pages_state_each_module_size_truly():
    """Where a page says "`x.py` (N lines)", N is the tested block's line count."""
    for page in PACK_ROOT.rglob("*.md"):
        for title, lines in re.findall(r"`([a-z_]+\.py)` \((\d+) lines\)", page.read_text("utf-8")):
            actual = TITLED_BLOCKS[title].source.count("\n")
            assert int(lines) == actual, f"{page.name}: {title} has {actual} lines, not {lines}"
