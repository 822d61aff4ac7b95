"""/metrics after a small scenario: every figure the scenario touches moved by what it did; the
endpoint is off without a token and answers nothing to a wrong one; /livez and /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from bench.world import World, gid
from models.actions.reminders import remind_forever
from models.enums import Status
from realtime import channels
from tests.support.api import Api
from tests.support.clock import FakeClock
from web import metrics
from web.settings import Settings

TOKEN = "scrape-token-for-tests"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=60, figures_cache_seconds=0,
                    media_dir=str(tmp_path / "media"), media_cleanup_interval_seconds=0,
                    metrics_token=TOKEN, metrics_sample_seconds=3600,
                    rate_limits=(("submitReport", "1/minute"),))


class Scrape:
    def __init__(self, text: str) -> None:
        self.samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                        for family in text_string_to_metric_families(text)
                        for s in family.samples}

    def __call__(self, name: str, **labels: str) -> float:
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def names(self) -> Iterator[str]:
        return (name for name, _ in self.samples)


async def scrape(api: Api) -> Scrape:
    response = await api.client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)


async def test_metrics_move_with_what_happens(app: Starlette, api: Api, world: World,
                                              clock: FakeClock):
    before = await scrape(api)
    wall = "query Wall { reports(first: 5) { nodes { id title } } }"
    for _ in range(2):  # computed, then from the response cache
        assert "errors" not in await api.post(wall)
    refused = await api.post("query Inbox { agencyInbox(first: 5) { totalCount } }")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    category = gid("Category", world.category.id)
    submit = f"""mutation {{ submitReport(input: {{description: "Đèn hỏng trước nhà số 5",
      categoryId: "{category}"}}) {{ report {{ id }} errors {{ code }} }} }}"""
    first = await api.post(submit, token=world.citizen.token)
    second = await api.post(submit, token=world.citizen.token)
    assert first["data"]["submitReport"]["report"] is not None
    assert "RATE_LIMITED" in str(second)
    report = await world.report(Status.ASSIGNED)  # events for the hub to hand out
    clock.advance(days=30)  # ... and a deadline long past, for the reminder job
    await app.state.hub.catch_up()
    reminders = asyncio.create_task(remind_forever(app.state.deps, 3600, metrics.reminder_run))
    for _ in range(1000):
        if metrics.REMINDER_RUNS.labels("ok")._value.get() > before(
                "hien_truong_reminder_runs_total", outcome="ok"):
            break
        await asyncio.sleep(0.01)
    reminders.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reminders
    await app.state.hub.catch_up()  # the reminders' events too: the lag is then 0
    after = await scrape(api)

    def moved(name: str, **labels: str) -> float:
        return after(name, **labels) - before(name, **labels)

    wall_labels = {"route": "graphql", "method": "POST", "status": "200",
                   "operation_type": "query", "operation": "Wall"}
    assert moved("hien_truong_http_requests_total", **wall_labels) >= 1  # the computed one
    assert moved("hien_truong_response_cache_total", result="hit") == 1
    assert moved("hien_truong_response_cache_total", result="miss") >= 1
    assert moved("hien_truong_graphql_errors_total", code="UNAUTHENTICATED") == 1
    assert moved("hien_truong_rate_limit_refusals_total", rule="submitReport") == 1
    assert moved("hien_truong_graphql_query_cost_count") >= 3
    assert moved("hien_truong_http_request_seconds_count", route="graphql",
                 operation_type="query", operation="Inbox") == 1
    assert moved("hien_truong_event_delivery_seconds_count") >= 4  # submitted... assigned
    assert moved("hien_truong_reminder_runs_total", outcome="ok") == 1
    assert moved("hien_truong_reminders_raised_total", kind="OVERDUE") >= 1
    assert after("hien_truong_hub_lag_events") == 0  # it has read everything
    assert report.id
    for name in ("hien_truong_websocket_connections", "hien_truong_shared_subscription_groups",
                 "hien_truong_shared_subscribers"):
        assert name in set(after.names()), name


async def test_subscriptions_are_counted_by_channel(app: Starlette, api: Api, world: World):
    hub = app.state.hub
    opened = [hub.register(channels.report_events(world.citizen.viewer, 1)),
              hub.register(channels.agency_feed(world.staff_a.viewer)),
              hub.register(channels.public_feed()), hub.register(channels.public_feed()),
              hub.register(channels.ioc_feed(world.ioc.viewer))]
    try:
        scraped = await scrape(api)
        counts = {channel: scraped("hien_truong_subscriptions", channel=channel)
                  for channel in ("report", "agency", "public", "ioc")}
        assert counts == {"report": 1, "agency": 1, "public": 2, "ioc": 1}
    finally:
        for sub in opened:
            hub.unregister(sub)
    assert (await scrape(api))("hien_truong_subscriptions", channel="public") == 0


async def test_garbage_collections_are_timed_by_generation(app: Starlette, api: Api):
    before = (await scrape(api))("hien_truong_gc_pause_seconds_count", generation="2")
    gc.collect(2)
    gc.collect(2)
    after = await scrape(api)
    assert after("hien_truong_gc_pause_seconds_count", generation="2") >= before + 2
    assert after("hien_truong_gc_pause_seconds_sum", generation="2") > 0


async def test_metrics_answer_only_the_token(app: Starlette, api: Api):
    assert (await api.client.get("/metrics")).status_code == 404
    wrong = await api.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
    assert (await api.client.get("/metrics", headers=SCRAPE)).status_code == 200


async def test_metrics_are_off_without_a_token(database_url: str, tmp_path: Path,
                                               clock: FakeClock, settings: Settings):
    from server import create_app
    from tests.conftest import forget_dialect_caches

    off = dataclasses.replace(settings, metrics_token="")
    forget_dialect_caches()
    application = create_app(off, clock=clock)
    async with application.router.lifespan_context(application):
        client = Api(application)
        assert (await client.client.get("/metrics", headers=SCRAPE)).status_code == 404
        await client.client.aclose()


async def test_liveness_and_readiness(app: Starlette, api: Api):
    live = await api.client.get("/livez")
    assert live.status_code == 200
    assert live.json() == {"status": "alive"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    app.state.migrated = False  # as if this code had a migration the database lacks

    async def pending(_conn: object) -> list[str]:
        return ["models.0099_not_applied"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("web.health.pending_migrations", pending)
        unready = await api.client.get("/readyz")
    assert unready.status_code == 503
    assert unready.json()["pendingMigrations"] == ["models.0099_not_applied"]
    app.state.draining = True
    assert (await api.client.get("/readyz")).status_code == 503
    assert (await api.client.get("/livez")).status_code == 200
    app.state.draining = False
