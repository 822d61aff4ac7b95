"""What the senders of the outboxes share (realtime/webhooks.py, realtime/notifications.py):
the loop that prepares and sends whatever is due, woken by new events, and the check that a
URL somebody else gave us (a webhook receiver, a browser's push service) does not make this
server reach inside a network."""

from __future__ import annotations

import abc
import asyncio
import logging
import socket
import time
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit

from models.deps import Deps
from models.rules.webhooks import forbidden_address
from realtime import tasks

log = logging.getLogger("hien_truong")
# A sender's claim lasts its timeout plus this: an attempt cannot last longer, so a claim that
# outlives it belongs to a sender that died, and another takes the message over.
LEASE_MARGIN_SECONDS = 10.0
PRUNE_EVERY_SECONDS = 3600.0  # finished rows past their keeping time are deleted this often
# Wakes come with every batch of events the hub reads: tens a second on a busy deployment, and
# a round is some ten statements whether it finds work or not. Wakes within this long of the
# last round are served by one round at its end; a message waits at most this much longer.
GATHER_SECONDS = 0.2


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


class OutboxWorker(abc.ABC):
    """Runs `round` every `interval`, and at once when woken (the hub read new events, or a
    send finished). A round claims only as many messages as there are free places among
    `capacity` concurrent sends and does not wait for them: one slow receiver holds one place
    for its timeout, not the whole process's sending."""

    name = "outbox"

    def __init__(self, deps: Deps, *, interval: float, capacity: int = 20,
                 gather: float = GATHER_SECONDS) -> None:
        self.deps = deps
        self.interval = interval
        self.gather = gather
        self.capacity = capacity
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._pruned_at = -PRUNE_EVERY_SECONDS
        self._news = True  # new events may wait to be prepared (woken, or the interval passed)

    @property
    def free(self) -> int:
        return self.capacity - len(self._sending)

    def spawn(self, send: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(send)
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s send failed", self.name, exc_info=task.exception())
        # Room for more: claim again once a quarter of the places are free (or all are), not
        # after every send: a claim is a few statements, worth it for a batch, not for one.
        if self.free * 4 >= self.capacity or not self._sending:
            self._wake.set()

    async def settle(self) -> None:
        """Wait for the sends in flight (tests, and `send_due`)."""
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    async def send_due(self) -> int:
        """One round, and its sends finished: for tests that drive the worker themselves."""
        self._news = True
        claimed = await self.round()
        await self.settle()
        return claimed

    def wake(self, *_: object) -> None:
        """New events (the hub read them): prepare their work, then send."""
        self._news = True
        self._wake.set()

    async def open(self) -> None:  # noqa: B027 (a hook: optional, empty by default)
        """Resources the sending needs (clients); made before the loop starts."""

    async def close(self) -> None:  # noqa: B027 (a hook: optional, empty by default)
        """Their counterpart, after the loop stopped."""

    async def start(self, *, loop: bool = True) -> None:
        """Open and, unless `loop` is off (tests drive `round` themselves), run."""
        await self.open()
        if loop:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Sends in flight are abandoned: their claims run out and another process (or this
        one, started again) sends them."""
        await tasks.stop(self._task)
        self._task = None
        for task in list(self._sending):
            await tasks.stop(task)
        await self.close()

    async def prune(self) -> int:
        """Delete finished rows past their keeping time; how many."""
        return 0

    async def _run(self) -> None:
        while True:
            try:
                if time.monotonic() - self._pruned_at >= PRUNE_EVERY_SECONDS:
                    self._pruned_at = time.monotonic()
                    await self.prune()
                while await self.round():
                    pass
            except Exception:
                log.warning("%s round failed", self.name, exc_info=True)
            ran_at = time.monotonic()
            try:
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            except TimeoutError:
                self._news = True  # events of other processes, when no bus tells of them
            rest = self.gather - (time.monotonic() - ran_at)
            if rest > 0:
                await asyncio.sleep(rest)
            self._wake.clear()

    async def round(self) -> int:
        """Prepare the work of new events (when there may be some), then claim what is due
        now, up to the free places, and `spawn` its sends; how many were claimed (0: idle or
        full)."""
        if self._news:
            self._news = False
            await self.prepare()
        if self.free <= 0:
            return 0
        return await self.claim(self.free)

    @abc.abstractmethod
    async def prepare(self) -> None:
        """Turn the events committed since the cursor into rows to send."""

    @abc.abstractmethod
    async def claim(self, limit: int) -> int:
        """Claim up to `limit` due rows and `spawn` their sends; how many."""
