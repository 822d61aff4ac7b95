"""Options of `server.py serve` that only a real uvicorn shows."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.process import Process


@pytest.mark.parametrize("setting", ["", "true"])
async def test_websocket_compression_is_off_unless_asked_for(tmp_path: Path, setting: str):
    env = {"WS_PER_MESSAGE_DEFLATE": setting} if setting else {}
    server = Process(f"sqlite://{tmp_path / 'db.sqlite3'}", "memory://",
                     tmp_path / "server.log", **env)
    try:
        await server.ready()
        # The client offers permessage-deflate; the server decides.
        async with connect(server.ws, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            assert ws.response is not None
            negotiated = ws.response.headers.get("Sec-WebSocket-Extensions")
        assert (negotiated is not None) == bool(setting), negotiated
    finally:
        server.stop()


async def test_production_is_locked_down_unless_asked(tmp_path: Path):
    """APP_ENV=production: no GraphiQL, no introspection, no "did you mean" suggestions, and
    X-Forwarded-For believed from no one (uvicorn's own default trusts any local process)."""
    server = Process(f"sqlite://{tmp_path / 'prod.sqlite3'}", "memory://",
                     tmp_path / "prod.log", APP_ENV="production",
                     RATE_LIMITS="requests_ip=6/minute")
    open_one = Process(f"sqlite://{tmp_path / 'open.sqlite3'}", "memory://",
                       tmp_path / "open.log", APP_ENV="production", GRAPHIQL="true",
                       INTROSPECTION="true")
    try:
        await asyncio.gather(server.ready(), open_one.ready())
        async with httpx.AsyncClient(base_url=server.http) as client:
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code == 404
            schema = (await client.post("/graphql", json={
                "query": "{ __schema { types { name } } }"})).json()
            assert schema.get("data") is None
            typo = (await client.post("/graphql", json={"query": "{ reportz { id } }"})).json()
            assert "Did you mean" not in typo["errors"][0]["message"]
            statuses = [(await client.post("/graphql", json={"query": "{ serverTime }"},
                                           headers={"X-Forwarded-For": f"10.0.0.{i}"})
                         ).status_code for i in range(5)]
            # All counted for 127.0.0.1 whatever the header says (three requests went before,
            # so the sixth and later are over): believed, the five addresses would each have
            # had requests to spare. Not an exact count: the window is a sliding approximation,
            # and a minute turning between the requests lets one more through.
            assert statuses[0] == 200, statuses
            assert 429 in statuses, statuses
        async with httpx.AsyncClient(base_url=open_one.http) as client:
            assert (await client.get("/graphql", headers={"Accept": "text/html"})
                    ).status_code == 200
            schema = (await client.post("/graphql", json={
                "query": "{ __schema { queryType { name } } }"})).json()
            assert schema["data"]["__schema"]["queryType"]["name"] == "Query"
    finally:
        server.stop()
        open_one.stop()


async def test_websocket_messages_over_the_limits_are_refused(tmp_path: Path):
    server = Process(f"sqlite://{tmp_path / 'db.sqlite3'}", "memory://",
                     tmp_path / "server.log", WS_MAX_MESSAGE_BYTES="4096", WS_MAX_SIZE="65536")
    try:
        await server.ready()
        # Over the application's limit: closed 4400 before the message is even parsed.
        async with connect(server.ws, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            padding = "x" * 8000
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": f"subscription {{ publicFeed {{ seq }} }} # {padding}"}}))
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4400
        # Over uvicorn's frame limit: the server closes (1009) without reading it into memory.
        async with connect(server.ws, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           max_size=None) as ws:
            await ws.send("x" * 200_000)
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1009
    finally:
        server.stop()


async def _refused(server: Process, count: int) -> int:
    """How many of `count` requests, each claiming another client in X-Forwarded-For, the
    per-IP limit refused."""
    refused = 0
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as client:
        for i in range(count):
            answer = await client.post("/graphql", json={"query": "{ serverTime }"},
                                       headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})
            refused += answer.status_code == 429
    return refused


async def test_forwarded_for_is_believed_only_from_the_configured_proxies(tmp_path: Path):
    # Nobody by default: a local process rotating X-Forwarded-For is still one client.
    alone = Process(f"sqlite://{tmp_path / 'a.sqlite3'}", "memory://", tmp_path / "a.log",
                    RATE_LIMITS="requests_ip=5/minute")
    behind = Process(f"sqlite://{tmp_path / 'b.sqlite3'}", "memory://", tmp_path / "b.log",
                     RATE_LIMITS="requests_ip=5/minute", FORWARDED_ALLOW_IPS="127.0.0.1")
    try:
        await asyncio.gather(alone.ready(), behind.ready())
        assert await _refused(alone, 20) >= 10
        # Behind the configured proxy each forwarded address is a client of its own.
        assert await _refused(behind, 20) == 0
    finally:
        alone.stop()
        behind.stop()
