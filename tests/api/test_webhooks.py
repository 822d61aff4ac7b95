"""Outbound webhooks against a real receiving HTTP server on loopback: it fails the first
attempts and times out once; every attempt carries the same webhook-id and a signature that
the standardwebhooks library's verifier accepts; nothing personal is sent; a delivery whose
sender died is sent by another; a private address is refused unless allowed."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette

from bench.servers import free_port
from bench.world import World, gid
from models.actions import webhooks
from models.enums import Status
from models.orm.webhooks import WebhookDelivery, WebhookEndpoint
from realtime.webhooks import WebhookWorker
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.receiver import Receiver
from tests.support.waiting import until
from web.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"
CREATE = """mutation($url: String!, $agency: ID, $kinds: [EventKind!]) {
  createWebhookEndpoint(input: {url: $url, description: "Hệ thống EVN", agencyId: $agency,
    kinds: $kinds}) { endpoint { id rotating } secret errors { code field } } }"""
DELIVERIES = """query($id: ID!) { webhookDeliveries(endpointId: $id) { id messageId eventSeq
  status attempts lastStatusCode lastError } }"""


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=0, figures_cache_seconds=0,
                    media_dir=str(tmp_path / "media"), media_cleanup_interval_seconds=0,
                    webhook_poll_seconds=0.05, webhook_timeout_seconds=0.3,
                    webhooks_allow_private=True, webhook_retry_scale=0)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    made = Receiver([500, 503, "hang"])
    yield made
    await made.stop()


async def register(api: Api, world: World, url: str, agency: bool = True) -> tuple[str, str]:
    data = await api.gql(CREATE, {"url": url, "agency": gid("Agency", world.agency_a.id)
                                  if agency else None, "kinds": []}, world.ioc.token)
    payload = data["createWebhookEndpoint"]
    assert payload["errors"] == [], payload
    return payload["endpoint"]["id"], payload["secret"]


async def test_deliveries_retry_until_received_signed_and_without_personal_data(
    app: Starlette, api: Api, world: World, receiver: Receiver
):
    endpoint_id, secret = await register(api, world, await receiver.start())
    assert secret.startswith("whsec_")
    report = await world.report(Status.ASSIGNED)

    async def succeeded() -> bool:
        return await WebhookDelivery.filter(status="SUCCEEDED").exists()

    await until(succeeded, "a delivery to succeed")
    first = receiver.got[:4]
    # 500, 503, a timeout, then 200: four attempts of one message, one webhook-id.
    assert len({r.headers["webhook-id"] for r in first}) == 1
    verifier = Webhook(secret)
    for attempt in first:
        message = verifier.verify(attempt.body, attempt.headers)
        assert message["type"] == "report.assigned"
        assert message["data"]["report"]["id"] == report.id
    everything = b" ".join(r.body for r in receiver.got)
    for personal in (world.citizen.name.encode(), world.citizen.phone.encode()):
        assert personal not in everything
    listed = await api.gql(DELIVERIES, {"id": endpoint_id}, world.ioc.token)
    [delivery] = [d for d in listed["webhookDeliveries"] if d["status"] == "SUCCEEDED"]
    assert (delivery["attempts"], delivery["lastStatusCode"]) == (4, 200)
    assert delivery["messageId"] == first[0].headers["webhook-id"]
    # Only the IOC manages webhooks; an agency's staff cannot read them.
    refused = await api.errors(DELIVERIES, {"id": endpoint_id}, world.staff_a.token)
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"


async def test_rotation_signs_with_both_secrets_for_a_while(
    app: Starlette, api: Api, world: World, receiver: Receiver
):
    receiver.script.clear()
    endpoint_id, old = await register(api, world, await receiver.start())
    rotated = await api.gql("""mutation($id: ID!) { rotateWebhookSecret(input: {id: $id}) {
      endpoint { rotating } secret errors { code } } }""", {"id": endpoint_id}, world.ioc.token)
    new = rotated["rotateWebhookSecret"]["secret"]
    assert rotated["rotateWebhookSecret"]["endpoint"]["rotating"] is True
    test = await api.gql("""mutation($id: ID!) { sendTestWebhook(input: {id: $id}) {
      delivery { status } errors { code } } }""", {"id": endpoint_id}, world.ioc.token)
    assert test["sendTestWebhook"]["errors"] == []

    async def received() -> bool:
        return bool(receiver.got)

    await until(received, "the test event")
    [got] = receiver.got
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # a receiver on either secret accepts it
        assert Webhook(secret).verify(got.body, got.headers)["type"] == "webhook.test"


async def test_a_delivery_whose_sender_died_is_sent_by_another(
    app: Starlette, api: Api, world: World, receiver: Receiver, clock: FakeClock
):
    receiver.script.clear()
    await app.state.webhooks.stop()  # this test drives the workers itself
    await register(api, world, await receiver.start())
    await world.report(Status.ASSIGNED)
    deps = app.state.deps
    two = WebhookWorker(deps, interval=60, timeout=1, allow_private=True, retry_scale=0)
    # Two processes turn the new events into deliveries at once: each event becomes its
    # delivery once (the outbox cursor), and events from before the endpoint existed none.
    assert sum(await asyncio.gather(webhooks.prepare(), webhooks.prepare())) >= 1
    assert await WebhookDelivery.all().count() == 1
    # Two workers claim at once: each delivery goes to one of them.
    claimed_one, claimed_two = await asyncio.gather(webhooks.claim_due(deps.now(), 20),
                                                    webhooks.claim_due(deps.now(), 20))
    assert len(claimed_one) + len(claimed_two) == 1
    # The worker that claimed it died before sending: the claim expires, another sends it.
    assert await webhooks.claim_due(deps.now(), 20) == []
    clock.advance(seconds=webhooks.LEASE.total_seconds() + 1)
    await two.start(loop=False)
    try:
        assert await two.send_due() == 1
    finally:
        await two.stop()
    assert len(receiver.got) == 1
    assert await WebhookDelivery.filter(status="SUCCEEDED").count() == 1
    clock.advance(days=31)  # delivered a month ago: pruned
    assert (await two.prune(), await WebhookDelivery.all().count()) == (1, 0)


async def test_private_addresses_are_refused_unless_allowed(
    app: Starlette, api: Api, world: World, receiver: Receiver, clock: FakeClock
):
    receiver.script.clear()
    await app.state.webhooks.stop()
    await register(api, world, await receiver.start(), agency=False)
    await world.report(Status.PENDING_REVIEW)  # SUBMITTED: an IOC-wide endpoint wants it
    worker = WebhookWorker(app.state.deps, interval=60, timeout=1, allow_private=False)
    await worker.start(loop=False)
    try:
        await worker.send_due()
    finally:
        await worker.stop()
    assert receiver.got == []  # never reached
    [delivery] = await WebhookDelivery.all()
    assert delivery.status == "PENDING"  # to be tried again later, not lost
    assert "private address" in (delivery.last_error or "")


async def test_an_endpoint_failing_for_a_day_is_disabled(
    app: Starlette, api: Api, world: World, clock: FakeClock
):
    await app.state.webhooks.stop()
    endpoint_id, _ = await register(api, world, "http://127.0.0.1:9/never")
    await world.report(Status.ASSIGNED)
    worker = WebhookWorker(app.state.deps, interval=60, timeout=0.3, allow_private=True,
                           retry_scale=0)
    await worker.start(loop=False)
    try:
        await worker.send_due()
        clock.advance(days=1, seconds=1)
        await worker.send_due()
    finally:
        await worker.stop()
    row = await WebhookEndpoint.get()
    assert row.disabled_at is not None
    listed = await api.gql("{ webhookEndpoints { id disabledAt disabledReason } }",
                           token=world.ioc.token)
    [shown] = listed["webhookEndpoints"]
    assert shown["id"] == endpoint_id
    assert "a day" in shown["disabledReason"] or "ngày" in shown["disabledReason"]
    # Nothing is sent while disabled; enabled again, the outbox resumes.
    assert await webhooks.claim_due(clock.now + timedelta(days=3), 20) == []
    enabled = await api.gql("""mutation($id: ID!) { setWebhookEndpointEnabled(input: {id: $id,
      enabled: true}) { endpoint { disabledAt } errors { code } } }""", {"id": endpoint_id},
                            world.ioc.token)
    assert enabled["setWebhookEndpointEnabled"]["endpoint"]["disabledAt"] is None
    kept = await WebhookDelivery.first()
    assert kept is not None
    assert orjson.loads(kept.payload)["type"] == "report.assigned"  # still in the outbox


async def test_the_readme_receiver_accepts_deliveries_and_refuses_forgeries(
    app: Starlette, api: Api, world: World, monkeypatch: pytest.MonkeyPatch
):
    """examples/webhook_receiver.py, the README's receiver, under a real uvicorn."""
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    server = uvicorn.Server(uvicorn.Config(example.app, host="127.0.0.1", port=free_port(),
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        async def started() -> bool:
            return bool(server.started)

        await until(started, "the example receiver to listen")
        port = server.config.port
        endpoint_id, secret = await register(api, world, f"http://127.0.0.1:{port}/hooks")
        monkeypatch.setenv("WEBHOOK_SECRET", secret)
        await world.report(Status.ASSIGNED)

        async def succeeded() -> bool:
            return await WebhookDelivery.filter(status="SUCCEEDED").exists()

        await until(succeeded, "the example receiver to take the delivery")
        [delivery] = await WebhookDelivery.filter(status="SUCCEEDED")
        assert delivery.last_status_code == 204
        assert example.seen == {delivery.message_id}
        async with httpx.AsyncClient() as client:  # a forgery: signed with another secret
            forged = await client.post(f"http://127.0.0.1:{port}/hooks",
                                       content=delivery.payload, headers={
                "webhook-id": "msg_forged", "webhook-timestamp": str(int(time.time())),
                "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
        assert forged.status_code == 400
        assert "msg_forged" not in example.seen
        assert endpoint_id
    finally:
        server.should_exit = True
        await serving


async def test_a_sending_process_of_its_own_delivers_and_stops_cleanly(
    app: Starlette, api: Api, world: World, receiver: Receiver, database_url: str
):
    receiver.script.clear()
    await app.state.webhooks.stop()  # only `python server.py send` sends here
    await register(api, world, await receiver.start())
    root = EXAMPLE.parents[1]
    sender = await asyncio.create_subprocess_exec(
        sys.executable, str(root / "server.py"), "send", "--nice", "5",
        env={**os.environ, "DATABASE_URL": database_url, "WEBHOOK_POLL_SECONDS": "0.1",
             "WEBHOOKS_ALLOW_PRIVATE": "true", "PYTHONPATH": str(root)},
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        await world.report(Status.ASSIGNED)

        async def succeeded() -> bool:
            return await WebhookDelivery.filter(status="SUCCEEDED").exists()

        await until(succeeded, "the separate process's delivery", 30)
    finally:
        sender.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(sender.communicate(), 20))[0].decode()
    assert sender.returncode == 0, output
    assert "sending: webhooks" in output
    assert len(receiver.got) == 1
