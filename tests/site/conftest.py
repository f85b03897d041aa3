"""Fixtures for the site tests: one strict build per session, served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.site.harness import SiteBuild, build_site, serve_directory


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> SiteBuild:
    """The pack built with the project's mkdocs.yml (strict), whatever the outcome."""
    return build_site(tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="session")
def built_site(site_build: SiteBuild) -> Path:
    """The built site's folder; fails the test when the strict build failed."""
    if site_build.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{site_build.output}", pytrace=False)
    return site_build.site_dir


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """Base URL of the built site, served over HTTP on 127.0.0.1."""
    with serve_directory(built_site) as url:
        yield url
