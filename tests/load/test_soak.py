"""The soak (bench/load.py with faults): three server processes on PostgreSQL and Redis under
reads, report lifecycles and live subscribers; one process killed (SIGKILL) and another
restarted (SIGTERM, then a new one) while it runs. Subscribers of those processes resume on
another with `after`. Every committed event must reach every entitled subscriber exactly once;
no 5xx; only requests in flight on the killed process may be cut; /metrics scraped before and
after. `SOAK_SECONDS` sets its length (40 by default)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.load import Config, run
from bench.servers import Server
from tests.conftest import forget_dialect_caches

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_soak_three_processes_one_killed_one_restarted(
    pg_url: str, redis_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    forget_dialect_caches()
    config = Config(duration=float(os.environ.get("SOAK_SECONDS", "40")), processes=3,
                    subscribers=300, ioc_subscribers=6, kill_at=0.3, restart_at=0.6)
    result = await run(pg_url, redis_server.url, tmp_path, config)
    with capsys.disabled():
        print("\n" + result.table())
    assert result.server_errors == 0
    assert result.mutation_errors == []
    assert result.read_errors == []
    assert (result.missing, result.duplicates, result.unexpected) == (0, 0, 0)
    assert result.deliveries_expected > 300 * 10  # it really fanned out
    # A third of the subscribers were on the killed process, a third on the restarted one:
    # every one of them resumed elsewhere, and none ended for another reason.
    assert result.resumed_subscriptions >= 2 * 300 // 3
    assert result.dropped_connections == 0
    assert result.lifecycles > 0
    assert result.metrics_requests_before > 0
    assert result.metrics_requests_after > 0
    assert result.metrics_hub_lag_after == 0
