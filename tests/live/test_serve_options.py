"""Options of `server.py serve` that only a real uvicorn shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.asyncio.client import connect

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
