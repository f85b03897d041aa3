"""Build the installable skill: a folder and a zip holding exactly skills/polymarket/.

    python tools/build_skill.py [--source skills/polymarket] [--dist dist]

writes DIST/polymarket/ (copy it into an agent's skills directory, e.g. ~/.claude/skills/) and
DIST/polymarket-skill.zip (the same files under a top-level polymarket/ folder). Build leftovers
(__pycache__, *.pyc, *.egg-info, dotfiles) are left out. The zip is reproducible: entries are
sorted and carry a fixed timestamp, so the same sources give the same bytes. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = ["build", "skill_files"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT / "skills" / "polymarket"
DEFAULT_DIST = REPO_ROOT / "dist"
ZIP_NAME = "polymarket-skill.zip"
# The earliest date a zip entry can hold; any fixed date makes the archive reproducible.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _is_leftover(name: str) -> bool:
    return (
        name.startswith(".")
        or name == "__pycache__"
        or name.endswith((".pyc", ".pyo", ".egg-info"))
    )


def skill_files(source: Path) -> list[Path]:
    """The skill's files, relative to `source`, sorted; build leftovers excluded."""
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if not _is_leftover(d))
        for filename in sorted(filenames):
            if not _is_leftover(filename):
                found.append((Path(folder) / filename).relative_to(source))
    return sorted(found, key=lambda path: path.as_posix())


def _write_zip(source: Path, files: list[Path], name: str, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for relative in files:
            path = source / relative
            entry = zipfile.ZipInfo(f"{name}/{relative.as_posix()}", ZIP_DATE)
            entry.external_attr = (stat.S_IFREG | stat.S_IMODE(path.stat().st_mode)) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())


def build(source: Path = DEFAULT_SOURCE, dist: Path = DEFAULT_DIST) -> tuple[Path, Path]:
    """Write dist/<skill>/ and dist/polymarket-skill.zip from `source`; return both paths."""
    if not (source / "SKILL.md").is_file():
        raise SystemExit(f"error: {source} has no SKILL.md; is it a skill folder?")
    files = skill_files(source)
    name = source.name
    dist.mkdir(parents=True, exist_ok=True)

    folder = dist / name
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dist))
    staging.chmod(0o755)  # mkdtemp makes it private; the installed skill is an ordinary folder
    for relative in files:
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, staging / relative)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)

    archive = dist / ZIP_NAME
    partial = archive.with_name(archive.name + ".partial")
    _write_zip(source, files, name, partial)
    partial.replace(archive)
    return folder, archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the skill folder")
    parser.add_argument("--dist", type=Path, default=DEFAULT_DIST, help="where to write")
    args = parser.parse_args(argv)
    folder, archive = build(args.source.resolve(), args.dist.resolve())
    count = len(skill_files(folder))
    print(f"{folder}/ ({count} files)")
    print(f"{archive} ({archive.stat().st_size // 1024} KiB)")
    print(f"install: cp -r {folder} ~/.claude/skills/  (or a project's .claude/skills/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
