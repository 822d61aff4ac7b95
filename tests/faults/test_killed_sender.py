"""A server process killed (SIGKILL) while its webhook deliveries and a push notification are in
flight loses none of them: another process takes each over once its sender's claim runs out,
with the same webhook-id, and every event of the time the first was dead is delivered too."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
import pytest
from py_vapid import Vapid

from bench.process import SECRET, Process, gql
from bench.world import gid, make_world
from models.db import database
from models.deps import Deps
from models.rules.calendar import vietnam
from tests.conftest import forget_dialect_caches
from tests.support.push import Browser, b64
from tests.support.receiver import Received
from tests.support.waiting import until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TIMEOUT = 8  # each sender's timeout: its claims last this + 10 s


class Holding:
    """Holds every request open (its sender is mid-delivery) until `hold` is off; then 200."""

    def __init__(self) -> None:
        self.hold = True
        self.held: list[Received] = []
        self.answered: list[Received] = []
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:] if line)}
            got = Received(headers, await reader.readexactly(
                int(headers.get("content-length", "0"))))
            if self.hold:
                self.held.append(got)
                await reader.read()  # until the sender hangs up: here, killed
            else:
                self.answered.append(got)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n"
                             b"connection: close\r\n\r\n")
                await writer.drain()
        writer.close()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


async def test_deliveries_in_flight_when_the_process_dies_are_sent_by_another(
    pg_url: str, tmp_path: Path
):
    forget_dialect_caches()
    async with database(pg_url, global_fallback=False):
        world = await make_world(Deps(calendar=vietnam(), secret_key=SECRET))
    vapid = Vapid()
    vapid.generate_keys()
    env = {"WEBHOOK_POLL_SECONDS": "0.1", "WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT),
           "WEBHOOKS_ALLOW_PRIVATE": "true", "NOTIFICATION_POLL_SECONDS": "0.1",
           "NOTIFICATION_TIMEOUT_SECONDS": str(TIMEOUT), "NOTIFICATIONS_ALLOW_PRIVATE": "true",
           "VAPID_PRIVATE_KEY": b64(vapid.private_key.private_numbers().private_value
                                    .to_bytes(32, "big")),
           "RATE_LIMITS": "requests_ip=0, submitReport=0"}
    receiver = Holding()
    url = await receiver.start()
    browser = Browser()
    first = Process(pg_url, "memory://", tmp_path / "first.log", **env)
    second: Process | None = None
    db = await asyncpg.connect(pg_url)
    try:
        await first.ready()
        made = await gql(first.http, """mutation($url: String!) { createWebhookEndpoint(input:
          {url: $url, description: "Hệ thống EVN", kinds: []}) { errors { code } } }""",
                         {"url": url + "/hooks"}, world.ioc.token)
        assert made["createWebhookEndpoint"]["errors"] == []
        await gql(first.http, """mutation { updateNotificationSettings(input: {kinds: [ACCEPTED],
          channels: [PUSH]}) { errors { code } } }""", {}, world.citizen.token)
        await gql(first.http, """mutation($e: String!, $p: String!, $a: String!) {
          addPushDevice(input: {endpoint: $e, p256dh: $p, auth: $a}) { errors { code } } }""",
                  {"e": url + "/push", "p": browser.p256dh, "a": b64(browser.auth)},
                  world.citizen.token)
        submitted = await gql(first.http, """mutation { submitReport(input: {description:
          "Cột điện nghiêng sau bão ở kiệt 5"}) { report { id } errors { code } } }""", {},
                              world.citizen.token)
        report = submitted["submitReport"]["report"]["id"]
        await gql(first.http, """mutation($id: ID!, $a: ID!) { assignReport(input: {id: $id,
          agencyId: $a}) { errors { code } } }""",
                  {"id": report, "a": gid("Agency", world.agency_a.id)}, world.ioc.token)
        await gql(first.http, """mutation($id: ID!) { acceptReport(input: {id: $id}) {
          errors { code } } }""", {"id": report}, world.staff_a.token)

        async def all_in_flight() -> bool:  # SUBMITTED, ASSIGNED, ACCEPTED and the push
            return len(receiver.held) == 4

        await until(all_in_flight, "four requests in flight", 2 * TIMEOUT)
        first.kill()  # mid-delivery: nothing was recorded as sent
        receiver.hold = False
        assert await db.fetchval("SELECT count(*) FROM webhook_delivery WHERE attempts > 0"
                                 " OR status <> 'PENDING'") == 0

        second = Process(pg_url, "memory://", tmp_path / "second.log", **env)
        await second.ready()
        await gql(second.http, """mutation { submitReport(input: {description:
          "Nắp cống bị vỡ ở đường Hùng Vương"}) { errors { code } } }""", {},
                  world.other_citizen.token)

        async def all_done() -> bool:
            pending = await db.fetchval(
                "SELECT (SELECT count(*) FROM webhook_delivery WHERE status <> 'SUCCEEDED')"
                " + (SELECT count(*) FROM notification WHERE status <> 'SENT')")
            return pending == 0 and len(receiver.answered) == 5

        await until(all_done, "every delivery sent by the second process", 3 * TIMEOUT + 30)
    finally:
        for process in (first, second):
            if process is not None:
                process.stop()
        await receiver.stop()
    try:
        await check(receiver, browser, db)
    finally:
        await db.close()


async def check(receiver: Holding, browser: Browser, db: asyncpg.Connection) -> None:
    hooks = [r for r in receiver.answered if "webhook-id" in r.headers]
    pushes = [r for r in receiver.answered if "topic" in r.headers]
    # Each held webhook sent again with its id; the event of the dead time sent once.
    held_ids = {r.headers["webhook-id"] for r in receiver.held if "webhook-id" in r.headers}
    assert len(held_ids) == 3
    assert held_ids < {r.headers["webhook-id"] for r in hooks}
    assert len(hooks) == len({r.headers["webhook-id"] for r in hooks}) == 4
    assert await db.fetchval("SELECT count(*) FROM webhook_delivery") == 4
    [push] = pushes
    assert "tiếp nhận" in browser.read(push.body)["title"]
