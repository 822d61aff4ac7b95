"""The benchmarks' real throwaway servers (bench/servers.py), for the tests: a missing binary
skips the tests that need it on a developer's machine and fails them when CI=true, so CI can
never pass without having run them."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from bench import servers
from bench.servers import Missing, Server


def need(what: str) -> NoReturn:
    """Skip locally, fail in CI."""
    message = str(what) if "not installed" in what else f"{what} is not installed"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _or_skip(start: Callable[[], Server]) -> Server:
    try:
        return start()
    except Missing as missing:
        need(str(missing))


def start_postgres() -> Server:
    return _or_skip(servers.start_postgres)


def start_replica(primary: Server) -> Server:
    return _or_skip(lambda: servers.start_replica(primary))


def start_redis(base: Path, port: int | None = None) -> Server:
    return _or_skip(lambda: servers.start_redis(base, port))


def start_s3(base: Path) -> Server:
    """moto's S3-compatible server (a test dependency from PyPI), on a free port."""
    import subprocess
    import sys

    base.mkdir(parents=True, exist_ok=True)
    port, log = servers.free_port(), base / "s3.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT)
    servers._wait_for_port(port, process, "moto's S3 server", log)
    return Server(process, port, f"http://127.0.0.1:{port}")
