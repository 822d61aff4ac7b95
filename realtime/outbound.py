"""What the senders of the outboxes share (realtime/webhooks.py, realtime/notifications.py):
the loop that prepares and sends whatever is due, woken by new events, and the check that a
URL somebody else gave us (a webhook receiver, a browser's push service) does not make this
server reach inside a network."""

from __future__ import annotations

import asyncio
import logging
import socket
from urllib.parse import urlsplit

from models.deps import Deps
from models.rules.webhooks import forbidden_address
from realtime import tasks

log = logging.getLogger("hien_truong")


async def refusal(url: str) -> str | None:
    """Why `url` must not be called: its host does not resolve, or resolves to a private,
    loopback or link-local address (SSRF). None: it may. A host that resolves to a public
    address now and a private one a moment later (DNS rebinding) is not caught: pin receivers
    by IP or put the service behind an egress proxy for that."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM)
    except OSError as unresolved:
        return f"cannot resolve {host}: {unresolved}"
    if any(forbidden_address(str(info[4][0])) for info in found):
        return f"refused: {host} is a private address"
    return None


class OutboxWorker:
    """Runs `round` every `interval`, and at once when woken (the hub read new events)."""

    name = "outbox"

    def __init__(self, deps: Deps, *, interval: float) -> None:
        self.deps = deps
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def open(self) -> None:
        """Resources the sending needs (clients); made before the loop starts."""

    async def close(self) -> None:
        """Their counterpart, after the loop stopped."""

    async def start(self, *, loop: bool = True) -> None:
        """Open and, unless `loop` is off (tests drive `round` themselves), run."""
        await self.open()
        if loop:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await tasks.stop(self._task)
        self._task = None
        await self.close()

    async def _run(self) -> None:
        while True:
            try:
                while await self.round():
                    pass
            except Exception:
                log.warning("%s round failed", self.name, exc_info=True)
            try:
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()

    async def round(self) -> int:
        """Prepare and send what is due now; how many were sent or tried (0: idle)."""
        raise NotImplementedError
