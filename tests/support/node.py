"""Node.js packages some tests run (the graphql-http audit, the TypeScript example client),
installed from their package-lock.json with `npm ci` the first time they are needed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.servers import need


def npm_ready(directory: Path) -> Path:
    """`directory` with its node_modules installed as locked; skips (fails in CI) without npm."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        need("Node.js and npm (Debian packages nodejs npm)")
    lock = directory / "package-lock.json"
    stamp = directory / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=directory, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    return directory
