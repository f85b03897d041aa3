"""The harness itself, run on crafted markdown: it must catch what it claims to catch."""

from __future__ import annotations

from pytest_examples import CodeExample

from tests.pack.blocks import PythonBlock, scan_fences


def _block(source: str, **settings: str) -> PythonBlock:
    return PythonBlock(example=CodeExample.create(source), settings=settings)


def test_titled_block_with_main_guard_is_a_program():
    """A titled block ending in a __main__ guard is run as a program."""
    block = _block('import asyncio\n\nif __name__ == "__main__":\n    pass\n', title="p.py")
    assert block.kind == "program"


def test_titled_block_without_main_guard_is_a_module():
    """A titled block without a __main__ guard is imported as a module."""
    assert _block("X = 1\n", title="m.py").kind == "module"


def test_untitled_block_is_unclassified():
    """A python block with neither title nor skip is a build error, not silently run."""
    assert _block("X = 1\n").kind == "unclassified"


def test_skip_makes_a_fragment():
    """test="skip" marks a fragment, whatever else the fence says."""
    assert _block("X = 1\n", title="m.py", test="skip", reason="r").kind == "fragment"


def test_scanner_flags_unclosed_tilde_and_long_fences(tmp_path):
    """The line scanner reports the fence shapes that corrupt pytest-examples' regex finder."""
    page = tmp_path / "page.md"
    page.write_text(
        "````markdown\n```python\nX = 1\n```\n````\n\n~~~python\nY = 2\n~~~\n\n```python\nZ = 3\n",
        "utf-8",
    )
    fences = scan_fences(page)
    assert [f.marks for f in fences] == ["````", "~~~", "```"]
    assert fences[0].language == "markdown" and "```python" in fences[0].source
    assert fences[-1].closed is False


def test_scanner_reads_settings_from_the_info_string(tmp_path):
    """Fence settings come from key="value" pairs, with their original case."""
    page = tmp_path / "page.md"
    page.write_text('```json {expect="invalid" schema="rest_order"}\n{}\n```\n', "utf-8")
    (fence,) = scan_fences(page)
    assert fence.language == "json"
    assert fence.settings == {"expect": "invalid", "schema": "rest_order"}
