"""export_modules.py --single-file: one readable file, the modules' own source, one namespace."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

import pytest

from tests.fixtures.pack import TITLED_BLOCKS
from tests.pack.blocks import PACK_ROOT

sys.path.insert(0, str(PACK_ROOT / "scripts"))
from amalgamate import AmalgamationError, Part, build, renames, top_level_names  # noqa: E402

EXPORT = PACK_ROOT / "scripts" / "export_modules.py"


def export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXPORT), *args], capture_output=True, text=True)


def joined(tmp_path, *only: str) -> str:
    target = tmp_path / "kit.py"
    extra = ["--only", ",".join(only)] if only else []
    done = export("--single-file", str(target), "--force", *extra)
    assert done.returncode == 0, done.stderr
    return target.read_text("utf-8")


def test_every_top_level_name_is_defined_once(tmp_path):
    """One namespace: no name is bound twice at the top level, so no module shadows another."""
    for only in ((), ("market_feed", "user_events"), ("trading_feed.py",)):
        repeated = [
            n for n, c in Counter(top_level_names(joined(tmp_path, *only))).items() if c > 1
        ]
        assert repeated == [], (only, repeated)


def test_the_header_lists_parts_version_and_every_rename(tmp_path):
    """What is inside, in order, with the skill's version; and each renamed name, both ways."""
    text = joined(tmp_path)
    header = text.split('"""', 2)[1]
    version = re.search(r'version: "([^"]+)"', (PACK_ROOT / "SKILL.md").read_text()).group(1)
    assert f"Skill version {version}" in header
    listed = re.findall(r"^  (\w+\.py) +\d+ lines", header, re.M)
    sections = re.findall(r"^# =+ (\w+\.py) \(from ", text, re.M)
    assert listed == sections and "wire.py" in listed and "realtime.py" in listed
    assert listed.index("wire.py") < listed.index("robust_ws.py") < listed.index("market_feed.py")
    parts = [Part(t, TITLED_BLOCKS[t].source) for t in listed]
    for module, table in renames(parts).items():
        for old, new in table.items():
            if old in top_level_names(TITLED_BLOCKS[f"{module}.py"].source, imports=False):
                assert f"{old} -> {new}" in header, (module, old)
                assert re.search(rf"^(def |class )?{re.escape(new)}\b", text, re.M), new


def test_each_module_reads_as_written(tmp_path):
    """Apart from imports, __all__ and renamed names, every line of every module is there."""
    text = joined(tmp_path)
    lines = set(text.splitlines())
    titles = re.findall(r"^# =+ (\w+\.py) \(from ", text, re.M)
    table = renames([Part(t, TITLED_BLOCKS[t].source) for t in titles])
    for title in titles:
        source = TITLED_BLOCKS[title].source
        for old, new in table[title.removesuffix(".py")].items():
            source = re.sub(rf"(?<![.\w]){re.escape(old)}\b", new, source)
        source = source.splitlines()
        skip = r"(from|import) |__all__|    \"\w+\",$"  # imports and __all__ are gathered
        kept = [ln for ln in source if ln.strip() and not re.match(skip, ln)]
        missing = [ln for ln in kept if ln not in lines]
        assert len(missing) < 0.05 * len(kept), (title, missing[:5])


def test_only_what_a_program_needs_is_markedly_smaller(tmp_path):
    """A market-and-user feed without REST reconciliation leaves out REST and the front door."""
    whole = joined(tmp_path).count("\n")
    feed = joined(tmp_path, "market_feed", "user_subscription", "order_tracker")
    assert "class AccountSync" not in feed and "class ClobRest" not in feed
    assert "class MarketFeed" in feed and "class OrderTracker" in feed
    assert feed.count("\n") < 0.7 * whole


def test_a_missing_folder_is_created_and_a_folder_is_not_a_file(tmp_path):
    """--single-file DIR/FILE into folders that do not exist yet writes it (no traceback);
    a folder given as FILE, or a file that would change, is a clear error."""
    target = tmp_path / "new" / "deeper" / "kit.py"
    done = export("--single-file", str(target))
    assert done.returncode == 0 and target.exists(), done.stderr
    folder = export("--single-file", str(tmp_path / "new"))
    assert folder.returncode == 1 and "is a folder" in folder.stderr, folder.stderr
    target.write_text("# mine\n")
    kept = export("--single-file", str(target))
    assert kept.returncode != 0 and "--force" in kept.stderr and "Traceback" not in kept.stderr
    assert target.read_text() == "# mine\n"


@pytest.mark.parametrize(
    ("second", "why"),
    [
        ("log = 2\ndef f(log):\n    return log\n", "a parameter is named log"),
        ("log = 2\ndef f():\n    return print(log=1)\n", "a keyword argument is named log"),
        ("log = 2\ndef f():\n    return f'{log}'\n", "could not be renamed"),
        ("from missing import x\n", None),
        ("from a import nothing\n", "a.py defines no nothing"),
    ],
)
def test_what_cannot_be_joined_is_refused_with_the_reason(second, why):
    """A rename that tokens cannot do safely, or a pack import that cannot resolve, is named."""
    first = Part("a.py", "log = 1\n")
    if why is None:  # an import of a module not in the pack stays an import
        assert "from missing import x" in build([first, Part("b.py", second)], version="t")
        return
    with pytest.raises(AmalgamationError, match=why):
        build([first, Part("b.py", second)], version="t")


def test_your_own_program_is_appended_with_what_it_imports(tmp_path, websockets_only_python):
    """--append my_bot.py: the kit modules it imports (and theirs) then your code, last, its
    imports of the kit removed; a name of yours that the kit defines too (`log`, `Update`) is
    renamed after your file and listed; the one file runs alone. No --single-file, a missing
    file, or a file that imports nothing of the kit: a clear error."""
    mine = tmp_path / "my_bot.py"
    mine.write_text(
        "import logging\n"
        "import sys\n\n"
        "from order_book import OrderBook\n\n"
        "log = logging.getLogger('my_bot')\n"
        "Update = 'mine'\n\n\n"
        "def main() -> int:\n"
        "    book = OrderBook('1')\n"
        "    book.apply_book({'bids': [{'price': '0.4', 'size': '5'}], 'asks': []})\n"
        "    print(book.best()[0], Update, log.name)\n"
        "    return 0\n\n\n"
        'if __name__ == "__main__":\n'
        "    sys.exit(main())\n"
    )
    target = tmp_path / "out" / "bot.py"
    done = export("--single-file", str(target), "--append", str(mine))
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("3 part(s): wire.py order_book.py my_bot.py\n"), done.stdout
    text = target.read_text()
    assert re.findall(r"^# =+ (\w+\.py) ", text, re.M) == ["wire.py", "order_book.py", "my_bot.py"]
    assert "class Realtime" not in text and "from order_book import" not in text
    assert "my_bot.py: log -> my_bot_log" in text.split('"""', 2)[1]
    ran = subprocess.run(
        [websockets_only_python, str(target)], capture_output=True, text=True, cwd=tmp_path
    )
    assert ran.returncode == 0 and ran.stdout == "0.4 mine my_bot\n", ran.stderr
    assert "needs --single-file" in export("--append", str(mine), str(tmp_path / "d")).stderr
    missing = export("--single-file", str(target), "--force", "--append", str(tmp_path / "no.py"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    (tmp_path / "plain.py").write_text("print('hi')\n")
    plain = export("--single-file", str(target), "--force", "--append", str(tmp_path / "plain.py"))
    assert plain.returncode == 1 and "imports no module of the kit" in plain.stderr


def test_a_name_a_module_imports_from_another_resolves_to_its_definition():
    """`from b import f` where b.py itself imports f from a.py (a re-export, as realtime.py
    re-exports decimal_text): the joined file calls a.py's f, renamed if it clashes."""
    parts = [
        Part("a.py", "log = 1\n\ndef f():\n    return 'a'\n"),
        Part("b.py", "from a import f\n\nlog = 2\n"),
    ]
    program = Part("c.py", "from b import f, log\n\nprint(f(), log)\n")
    text = build(parts, version="t", program=program)
    assert "print(f(), b_log)" in text
    printed = subprocess.run([sys.executable, "-c", text], capture_output=True, text=True)
    assert printed.stdout == "a 2\n", printed.stderr
