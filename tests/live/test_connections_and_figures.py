"""statsUpdated / rankingsUpdated, and WebSocket connection hygiene."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from bench.world import World
from models.enums import Status
from tests.live.conftest import Live
from tests.support.ws import WsClient
from web.settings import Settings

STATS = "subscription { statsUpdated { period received processed } }"
RANKINGS = """subscription { rankingsUpdated(quarter: "2026-Q4") { period
  rows { rank received agency { name } } } }"""


@pytest.fixture
def live_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    event_poll_seconds=0.5, ws_init_timeout_seconds=1, ws_max_subscriptions=3,
                    ws_max_connections_per_ip=6, ws_max_connections_per_user=2)


async def test_stats_and_rankings_are_pushed_after_changes_and_computed_once(
    live: Live, world: World
):
    clients = [await WsClient.open(live.ws) for _ in range(4)]
    for c in clients:
        await c.acked()
    ops = [await c.subscribe(STATS) for c in clients]
    first = [(await c.next(op))["data"]["statsUpdated"] for c, op in zip(clients, ops,
                                                                           strict=True)]
    assert {f["received"] for f in first} == {0}
    rank_op = await clients[0].subscribe(RANKINGS)
    assert (await clients[0].next(rank_op))["data"]["rankingsUpdated"]["rows"] == []
    before = live.app.state.figures.computations
    for _ in range(5):
        await world.report(Status.RESOLVED)
    updates = []
    for c, op in zip(clients, ops, strict=True):
        value = (await c.next(op, within=5))["data"]["statsUpdated"]
        while value["received"] < 5:  # intermediate values may come first; the last is right
            value = (await c.next(op, within=5))["data"]["statsUpdated"]
        updates.append(value)
    assert updates == [{"period": "all", "received": 5, "processed": 5}] * 4
    ranking = (await clients[0].next(rank_op, within=5))["data"]["rankingsUpdated"]
    while ranking["rows"] == [] or ranking["rows"][0]["received"] < 5:
        ranking = (await clients[0].next(rank_op, within=5))["data"]["rankingsUpdated"]
    assert ranking["rows"][0] == {"rank": 1, "received": 5,
                                  "agency": {"name": world.agency_a.name}}
    # Five reports (about thirty events) and five subscribers: recomputed a few times, at most
    # once a second per stream, not once per event or per subscriber.
    assert live.app.state.figures.computations - before <= 2 * 4, (
        live.app.state.figures.computations - before)
    for c in clients:
        await c.close()


async def test_connection_init_must_come_quickly(live: Live):
    conn = await connect(live.ws, subprotocols=[Subprotocol("graphql-transport-ws")])
    await asyncio.wait_for(conn.wait_closed(), 5)
    assert conn.close_code == 4408


async def test_subscriptions_per_connection_are_capped(live: Live):
    client = await WsClient.open(live.ws)
    await client.acked()
    ops = [await client.subscribe(STATS) for _ in range(4)]
    replies = [await client.next(op) for op in ops]
    assert all("data" in r for r in replies[:3])
    assert "Subscription limit" in replies[3]["errors"][0]["message"]
    await client.close()


async def test_connections_per_account_and_per_address_are_capped(live: Live, world: World):
    mine = [await WsClient.open(live.ws, world.citizen.token) for _ in range(2)]
    for c in mine:
        await c.acked()
    third = await WsClient.open(live.ws, world.citizen.token)
    assert await asyncio.wait_for(third.closed, 5) == 4403
    others = [await WsClient.open(live.ws) for _ in range(4)]  # 6 from this address in all
    for c in others:
        await c.acked()
    with pytest.raises(InvalidStatus):  # refused before the handshake completes
        await connect(live.ws, subprotocols=[Subprotocol("graphql-transport-ws")])
    await mine[0].close()
    await asyncio.sleep(0.2)
    again = await WsClient.open(live.ws, world.citizen.token)  # a freed slot can be reused
    await again.acked()
    for c in [*mine[1:], *others, again]:
        await c.close()
