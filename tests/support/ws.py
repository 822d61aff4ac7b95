"""A small graphql-transport-ws client over a real WebSocket connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"


class WsClient:
    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.closed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._reader: asyncio.Task[None] | None = None
        self._ids = 0
        self.binary_frames = 0  # browsers cannot parse these: the server must send text
        self.close_reason: str | None = None

    @classmethod
    async def open(cls, url: str, token: str | None = None, *, small_buffer: bool = False,
                   init: dict[str, Any] | None = None) -> WsClient:
        sock = None
        if small_buffer:  # a reader that stops reading fills its buffers quickly
            sock = socket.create_connection(_host_port(url))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conn = await connect(url, subprotocols=[PROTOCOL], sock=sock,  # type: ignore[list-item]
                             max_size=None, open_timeout=10)
        client = cls(conn)
        payload = init if init is not None else (
            {"authorization": f"Bearer {token}"} if token else {})
        await conn.send(json.dumps({"type": "connection_init", "payload": payload}))
        client._reader = asyncio.create_task(client._read())
        return client

    async def _read(self) -> None:
        try:
            async for raw in self.conn:
                self.binary_frames += isinstance(raw, bytes)
                message = json.loads(raw)
                if message["type"] == "connection_ack":
                    self.queues.setdefault("ack", asyncio.Queue()).put_nowait(message)
                elif "id" in message:
                    self.queues.setdefault(message["id"], asyncio.Queue()).put_nowait(message)
        except ConnectionClosed:
            pass
        finally:
            if not self.closed.done():
                self.close_reason = self.conn.close_reason
                self.closed.set_result(self.conn.close_code)

    async def acked(self, within: float = 5) -> None:
        queue = self.queues.setdefault("ack", asyncio.Queue())
        await asyncio.wait_for(queue.get(), within)

    async def subscribe(self, query: str | None, variables: dict[str, Any] | None = None, *,
                        extensions: dict[str, Any] | None = None) -> str:
        self._ids += 1
        op = str(self._ids)
        self.queues.setdefault(op, asyncio.Queue())
        payload: dict[str, Any] = {"variables": variables or {}}
        if query is not None:
            payload["query"] = query
        if extensions is not None:
            payload["extensions"] = extensions
        await self.conn.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))
        return op

    async def next(self, op: str, within: float = 5) -> dict[str, Any]:
        """The next message for `op`: its `payload` for next/error, or {'complete': True}."""
        message = await asyncio.wait_for(self.queues[op].get(), within)
        if message["type"] == "complete":
            return {"complete": True}
        payload: dict[str, Any] = message["payload"]
        if message["type"] == "error":
            return {"errors": payload}
        return payload

    async def nothing(self, op: str, wait: float = 0.7) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queues[op].get(), wait)
            return False
        return True

    async def close(self) -> None:
        await self.conn.close()
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader


def _host_port(url: str) -> tuple[str, int]:
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    return host, int(port)
