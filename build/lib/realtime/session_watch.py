"""Ending live streams whose session ended (signed out, expired, replaced, account disabled).

A process's signed-in subscriptions are checked together: every `interval` seconds one query
per thousand distinct tokens (models/actions/sessions.py `problems`), however many streams
share a token, instead of one lookup per subscription. A stream whose token went bad is ended
through its `Ending` (the hub puts an end-of-stream in its queue; no stream polls anything).
Signing out on this process ends the streams at once (`end_now`); elsewhere within `interval`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from models.actions.sessions import TokenProblem
from models.errors import Unauthenticated
from models.messages import _
from realtime import tasks

log = logging.getLogger(__name__)

Verify = Callable[[Collection[str]], Awaitable[dict[str, TokenProblem]]]
Listener = Callable[[Exception], None]


def signed_out() -> Unauthenticated:
    return Unauthenticated(_("Signed out: this subscription has ended."))


@dataclass(eq=False)
class Ending:
    """The end of every stream opened with one token: set once, heard by each stream."""

    error: Exception | None = None
    listeners: list[Listener] = field(default_factory=list)
    streams: int = 0

    def attach(self, listener: Listener) -> None:
        if self.error is not None:
            listener(self.error)
        else:
            self.listeners.append(listener)

    def detach(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self.listeners.remove(listener)

    def end(self, error: Exception) -> None:
        if self.error is not None:
            return
        self.error = error
        for listener in list(self.listeners):
            listener(error)
        self.listeners.clear()


class SessionWatch:
    def __init__(self, verify: Verify, interval: float) -> None:
        self.verify = verify
        self.interval = interval
        self.watched: dict[str, Ending] = {}
        self.queries = 0  # checks run, for tests and the benchmark
        self._task: asyncio.Task[None] | None = None

    def watch(self, token: str) -> Ending:
        ending = self.watched.get(token)
        if ending is None:
            ending = self.watched[token] = Ending()
        ending.streams += 1
        return ending

    def unwatch(self, token: str) -> None:
        ending = self.watched.get(token)
        if ending is not None:
            ending.streams -= 1
            if ending.streams <= 0:
                del self.watched[token]

    def end_now(self, token: str) -> None:
        """This process signed the token out: its streams end without waiting for a check."""
        ending = self.watched.get(token)
        if ending is not None:
            ending.end(signed_out())

    async def check(self) -> int:
        """One round: end the streams of every token that went bad. Returns how many."""
        tokens = [t for t, ending in self.watched.items() if ending.error is None]
        if not tokens:
            return 0
        self.queries += 1
        bad = await self.verify(tokens)
        for token in bad:
            ending = self.watched.get(token)
            if ending is not None:
                ending.end(signed_out())
        return len(bad)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # the database may be restarting: the next round tries again
                log.warning("could not check the sessions of live subscriptions",
                            exc_info=True)

    def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await tasks.stop(self._task)
        self._task = None
