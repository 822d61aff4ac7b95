"""The bounded load test (bench/load.py) in CI: 60 s of reads, submissions, comments and 500
live subscribers over two server processes on PostgreSQL and Redis. Fails on any 5xx, any
unexpected mutation error, and any committed event that did not reach every subscriber entitled
to it (or reached one that was not). `LOAD_SECONDS` shortens it on a laptop."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.load import Config, run, save
from bench.servers import Server
from tests.conftest import forget_dialect_caches

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_load_nothing_lost_no_5xx(pg_url: str, redis_server: Server, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]):
    forget_dialect_caches()
    config = Config(duration=float(os.environ.get("LOAD_SECONDS", "60")))
    result = await run(pg_url, redis_server.url, tmp_path, config)
    with capsys.disabled():
        print("\n" + result.table())
        print(f"written to {save(result)}")
    assert result.server_errors == 0
    assert result.mutation_errors == []
    assert result.read_errors == []
    assert result.lifecycles >= config.writers * (config.duration / config.lifecycle_seconds) / 2
    assert result.requests > 20 * config.duration
    assert result.dropped_connections == 0
    assert result.resumed_subscriptions == 0  # nothing went away: nobody had to resume
    assert result.deliveries_expected > 500 * 20  # it really fanned out
    assert (result.missing, result.duplicates, result.unexpected) == (0, 0, 0)
