"""A real HTTP/1.1 server on loopback that records what it receives: webhook receivers and
Web Push services in the tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses


@dataclasses.dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A small HTTP/1.1 server: answers each request with the next scripted answer (a status,
    or "hang" to answer only after the sender's timeout), then 200."""

    def __init__(self, script: list[int | str]) -> None:
        self.script = script
        self.got: list[Received] = []
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.got.append(Received(headers, body))
            answer = self.script.pop(0) if self.script else 200
            if answer == "hang":  # until the sender gives up and hangs up
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(2):
                        await reader.read()
            else:
                writer.write(f"HTTP/1.1 {answer} X\r\ncontent-length: 2\r\n"
                             f"connection: close\r\n\r\nok".encode())
                await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        self.writers.discard(writer)

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks"

    async def stop(self) -> None:
        for writer in list(self.writers):
            writer.transport.abort()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
