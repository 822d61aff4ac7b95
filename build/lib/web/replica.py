"""Which reads may go to the read replica (`DATABASE_REPLICA_URL`).

Anonymous queries (the public wall, lists, a report's page, figures) are most of the traffic
and need not read their own writes: they may read the replica. Everything else reads the
primary: mutations, anything signed in (a citizen right after submitting, staff after acting),
subscriptions and the event hub.

A replica is a little behind. An anonymous answer must not be older than what this process has
already announced: the hub has read event N, so the response cache dropped the answers event N
changes, and an answer computed now from a replica that has not replayed N would be kept as
fresh. So the replica is used only while it has replayed every event the hub has read (its
newest `seq`, read every REPLICA_CHECK_SECONDS); while it lags, or is away, the primary
answers. An answer computed across an event is not kept by the cache in any case.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from models.db import REPLICA, reading_replica
from models.rules.policy import Viewer
from realtime import tasks
from realtime.hub import Hub

log = logging.getLogger("hien_truong")


class ReplicaReads:
    def __init__(self, db: Any, hub: Hub, interval: float) -> None:
        self.db = db  # the TortoiseContext holding the "replica" connection
        self.hub = hub
        self.interval = interval
        self.replayed = -1  # the replica's newest seq; -1: unknown or away
        self.reads = self.fallbacks = 0  # anonymous queries sent to it, and kept off it
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> None:
        try:
            _, rows = await self.db.db(REPLICA).execute_query(
                "SELECT COALESCE(MAX(id), 0) AS seq FROM report_event")
            self.replayed = int(rows[0]["seq"])
        except Exception:
            if self.replayed != -1:
                log.warning("read replica unreachable: reads go to the primary", exc_info=True)
            self.replayed = -1

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        await self.check()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await tasks.stop(self._task)

    def fresh(self) -> bool:
        return self.replayed >= self.hub.hwm

    @contextlib.contextmanager
    def reading(self, viewer: Viewer, operation_type: str | None) -> Iterator[None]:
        """Around an operation's execution: the replica for an anonymous query when fresh."""
        if operation_type != "query" or viewer.signed_in:
            yield
            return
        if not self.fresh():
            self.fallbacks += 1
            yield
            return
        self.reads += 1
        token = reading_replica.set(True)
        try:
            yield
        finally:
            reading_replica.reset(token)
