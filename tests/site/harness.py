"""Build the site with MkDocs, serve it on loopback, and find a Chromium to drive it."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CHROMIUM_FLAGS",
    "MKDOCS_YML",
    "NAV_SOURCES",
    "REPO_ROOT",
    "SiteBuild",
    "build_site",
    "chromium_executable",
    "serve_directory",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
MKDOCS_YML = REPO_ROOT / "mkdocs.yml"

# The pages in reading order, as mkdocs.yml's nav lists them (test_build checks the two agree).
NAV_SOURCES = [
    "SKILL.md",
    "auth/api-credentials.md",
    "real-time/README.md",
    "real-time/quickstart.md",
    "real-time/your-own-contract.md",
    "real-time/websocket-overview.md",
    "real-time/market-channel.md",
    "real-time/user-channel.md",
    "real-time/connection-management.md",
    "modules/README.md",
    *(
        f"modules/{name}.md"
        for name in (
            "wire",
            "robust_ws",
            "order_book",
            "market_feed",
            "credentials",
            "user_events",
            "user_subscription",
            "order_tracker",
            "account_sync",
            "clob_rest",
            "realtime",
        )
    ),
]

# Debian's Chromium on a machine with no network but loopback: without the background-networking
# flags it keeps trying to reach Google's hosts and logs the refusals.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class SiteBuild:
    """The result of one `mkdocs build --strict`."""

    site_dir: Path
    returncode: int
    output: str

    @property
    def warnings(self) -> list[str]:
        """Lines MkDocs logged at WARNING or ERROR level."""
        return [line for line in self.output.splitlines() if re.match(r"^(WARNING|ERROR)\b", line)]


def build_site(site_dir: Path, config: Path = MKDOCS_YML) -> SiteBuild:
    """Run `mkdocs build --strict` into `site_dir` and collect what it logged."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", NO_COLOR="1")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site_dir),
        ],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return SiteBuild(site_dir, completed.returncode, completed.stdout + completed.stderr)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output free of one access-log line per request."""


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve `directory` over HTTP on 127.0.0.1 in a thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def chromium_executable() -> str | None:
    """Debian's Chromium (or the one named by SITE_TEST_CHROMIUM), if installed."""
    candidates = [os.environ.get("SITE_TEST_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None
