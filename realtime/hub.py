"""One per process: turns committed events into deliveries for local subscribers.

The database is the source of truth. The hub keeps a high-water mark (the last `seq` it
dispatched) and, whenever the bus says something happened — or every `poll_seconds` in case a
notice was lost or the bus is down — reads the events above it, in `seq` order, once for the
whole process. Each event's report is loaded once too, and one set of dataloaders is shared by
every subscriber of the batch. Subscribers have bounded queues: one that stops reading is dropped
rather than holding memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from models.orm.reports import Report, ReportEvent
from realtime.channels import Channel
from resolvers.loaders import Loaders

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class Batch:
    events: list[ReportEvent]
    reports: dict[int, Report]
    loaders: Loaders


async def load_batch(events: list[ReportEvent]) -> Batch:
    reports = {r.id: r for r in await Report.filter(id__in={e.report_id for e in events})}
    loaders = Loaders()
    for report in reports.values():
        loaders.report_by_id.prime(report.id, report)
    return Batch(events, reports, loaders)


@dataclass(eq=False)
class Subscriber:
    channel: Channel
    queue_size: int
    start_seq: int = 0
    queue: asyncio.Queue[tuple[Batch, list[ReportEvent]] | None] = field(init=False)
    dropped: bool = False

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(maxsize=self.queue_size)

    def close(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    def offer(self, batch: Batch) -> bool:
        """Never blocks. False when the subscriber overflowed and must go."""
        mine = [e for e in batch.events
                if self.channel.admits(e, batch.reports.get(e.report_id))]
        if not mine:
            return True
        try:
            self.queue.put_nowait((batch, mine))
            return True
        except asyncio.QueueFull:
            self.dropped = True
            self.close()  # free the memory now, then tell the reader
            return False


class Hub:
    def __init__(self, poll_seconds: float = 1.0, queue_size: int = 1000,
                 token_recheck_seconds: float = 5.0) -> None:
        self.poll_seconds = poll_seconds
        self.queue_size = queue_size
        self.token_recheck_seconds = token_recheck_seconds
        self.hwm = 0
        self.subscribers: set[Subscriber] = set()
        self.on_batch: list[Callable[[Batch], None]] = []
        self._wake = asyncio.Event()
        self._reading = asyncio.Lock()  # two catch-ups at once would dispatch twice
        self._task: asyncio.Task[None] | None = None
        self.dispatched = 0

    async def start(self) -> None:
        last = await ReportEvent.all().order_by("-id").first().only("id")
        self.hwm = last.id if last else 0
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sub in list(self.subscribers):
            sub.close()
        self.subscribers.clear()

    def wake(self) -> None:
        self._wake.set()

    def register(self, channel: Channel) -> Subscriber:
        """Synchronous on purpose: the subscriber gets every event above `start_seq`, and
        nothing can be dispatched between reading the mark and joining the set."""
        sub = Subscriber(channel, self.queue_size, start_seq=self.hwm)
        self.subscribers.add(sub)
        return sub

    def unregister(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    async def _run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can turn a cancellation
            # that coincides with its timeout into TimeoutError, and this loop would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.catch_up()
            except Exception:  # the database may be restarting: try again next round
                log.warning("event hub could not read new events", exc_info=True)
                await asyncio.sleep(self.poll_seconds)

    async def catch_up(self) -> None:
        async with self._reading:
            await self._catch_up()

    async def _catch_up(self) -> None:
        while True:
            events = list(await ReportEvent.filter(id__gt=self.hwm).order_by("id").limit(BATCH))
            if not events:
                return
            batch = await load_batch(events)
            for sub in list(self.subscribers):
                if not sub.offer(batch):
                    log.info("dropped a subscriber that stopped reading")
                    self.subscribers.discard(sub)
            self.hwm = events[-1].id
            self.dispatched += len(events)
            for listener in self.on_batch:
                listener(batch)
            if len(events) < BATCH:
                return


async def replay(channel: Channel, after: int, until: int) -> AsyncIterator[Batch]:
    """Events in (after, until] that the channel admits, in order, page by page."""
    while after < until:
        qs = ReportEvent.filter(id__gt=after, id__lte=until)
        if channel.report_id is not None:
            qs = qs.filter(report_id=channel.report_id)
        if channel.kinds is not None:
            qs = qs.filter(kind__in=list(channel.kinds))
        events = list(await qs.order_by("id").limit(BATCH))
        if not events:
            return
        batch = await load_batch(events)
        batch.events = [e for e in events if channel.admits(e, batch.reports.get(e.report_id))]
        yield batch
        after = events[-1].id
