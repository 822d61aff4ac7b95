"""One per process: turns committed events into deliveries for local subscribers.

The database is the source of truth. The hub keeps a high-water mark (the last `seq` it
dispatched) and, whenever the bus says something happened — or every `poll_seconds` in case a
notice was lost or the bus is down — reads the events above it, in `seq` order, once for the
whole process. Each event's report is loaded once too, for every subscriber of the batch.
Subscribers have bounded queues: one that stops reading is dropped rather than holding memory.

What a subscriber reads is an event stream (`EventSource.stream`): the hub's own replays what
was missed and then goes live; `LiveFeed` and `Replay` are the two halves on their own, for a
group of subscribers that share one execution (web/graphql/fanout.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from tortoise.queryset import QuerySet

from models.errors import Invalid, TooSlow
from models.messages import _
from models.orm.reports import Report, ReportEvent
from realtime import tasks
from realtime.channels import Channel
from realtime.session_watch import Ending

log = logging.getLogger(__name__)
BATCH = 500
MAX_REPLAY_SPAN = 100_000  # events; further behind, a client should reload instead


@dataclass(eq=False)
class Batch:
    """Events read together, with their reports as they are now. Identity matters: consumers
    may keep per-batch state (shared dataloaders) keyed by the batch itself."""

    events: list[ReportEvent]
    reports: dict[int, Report]


Delivery = tuple[Batch, ReportEvent]
# Called while a live stream has been idle for a while; raises to end it (a revoked token).
class EventSource(Protocol):
    def stream(self, channel: Channel, after: int | None,
               ending: Ending | None = None) -> AsyncIterator[Delivery]: ...


async def read_batch(events: QuerySet[ReportEvent]) -> Batch:
    """The events with their reports, in one query (a join): on a process that is busy
    writing to thousands of sockets each round trip is another wait for the event loop."""
    found = list(await events.select_related("report"))
    return Batch(found, {e.report_id: e.report for e in found})


async def newest_seq() -> int:
    """Live from now: what was committed before subscribing is not news."""
    newest = await ReportEvent.all().order_by("-id").first().only("id")
    return newest.id if newest else 0


@dataclass(eq=False)
class Subscriber:
    channel: Channel
    queue_size: int
    start_seq: int = 0
    queue: asyncio.Queue[tuple[Batch, list[ReportEvent]] | None] = field(init=False)
    dropped: bool = False
    error: Exception | None = None  # why the stream was ended from outside (a session ended)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(maxsize=self.queue_size)

    def close(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    def end(self, error: Exception) -> None:
        self.error = error
        self.close()

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


class Subscribers:
    """The subscribers of a process, indexed by what they listen to: a stream of one report
    under that report, an agency's feed under that agency, the rest (walls, the IOC) together.
    An event's batch is offered to the streams of its reports and of their agencies plus the
    rest, so 10,000 citizens each on their own report cost nothing to events of other reports.
    """

    def __init__(self) -> None:
        self.by_report: dict[int, set[Subscriber]] = {}
        self.by_agency: dict[int, set[Subscriber]] = {}
        self.everything: set[Subscriber] = set()
        self.count = 0

    def _home(self, sub: Subscriber) -> set[Subscriber]:
        channel = sub.channel
        if channel.report_id is not None:
            return self.by_report.setdefault(channel.report_id, set())
        if channel.agency_id is not None:
            # An agency's channel admits only reports assigned to it now (Channel.admits).
            return self.by_agency.setdefault(channel.agency_id, set())
        return self.everything

    def add(self, sub: Subscriber) -> None:
        home = self._home(sub)
        if sub not in home:
            home.add(sub)
            self.count += 1

    def discard(self, sub: Subscriber) -> None:
        channel = sub.channel
        for index, key in ((self.by_report, channel.report_id),
                           (self.by_agency, channel.agency_id)):
            if key is not None and key in index:
                if sub in index[key]:
                    index[key].discard(sub)
                    self.count -= 1
                if not index[key]:
                    del index[key]
                return
        if sub in self.everything:
            self.everything.discard(sub)
            self.count -= 1

    def __contains__(self, sub: object) -> bool:
        return isinstance(sub, Subscriber) and sub in self._home(sub)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Subscriber]:
        yield from self.everything
        for index in (self.by_report, self.by_agency):
            for subs in index.values():
                yield from subs

    def clear(self) -> None:
        self.by_report.clear()
        self.by_agency.clear()
        self.everything.clear()
        self.count = 0

    def entitled(self, batch: Batch) -> list[Subscriber]:
        """Who may want something of this batch: never a scan of every subscriber."""
        found: list[Subscriber] = list(self.everything)
        agencies: set[int] = set()
        for report_id in {e.report_id for e in batch.events}:
            found.extend(self.by_report.get(report_id, ()))
            report = batch.reports.get(report_id)
            if report is not None and report.agency_id is not None:
                agencies.add(report.agency_id)
        for agency_id in agencies:
            found.extend(self.by_agency.get(agency_id, ()))
        return found


class Hub:
    def __init__(self, poll_seconds: float = 1.0, queue_size: int = 1000) -> None:
        self.poll_seconds = poll_seconds
        self.queue_size = queue_size
        self.hwm = 0
        self.subscribers = Subscribers()
        self.on_batch: list[Callable[[Batch], None]] = []
        self._wake = asyncio.Event()
        self._reading = asyncio.Lock()  # two catch-ups at once would dispatch twice
        self._task: asyncio.Task[None] | None = None
        self._newest: asyncio.Future[int] | None = None
        self.dispatched = 0
        self.dropped = 0  # subscribers that stopped reading
        self.offered = 0  # batches offered to subscribers, summed: what dispatching costs

    async def start(self) -> None:
        self.hwm = await newest_seq()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await tasks.stop(self._task)
        for sub in list(self.subscribers):
            sub.close()
        self.subscribers.clear()

    def wake(self) -> None:
        self._wake.set()

    async def newest(self) -> int:
        """The newest committed `seq`, one query for everyone who asks meanwhile: thousands
        of subscribers reconnecting at once (a restart) would otherwise query it once each.
        A shared answer can only be a little older than a query of one's own, so a subscriber
        may see one event from the moment it joined as news, and never misses one."""
        if self._newest is None or self._newest.done():
            self._newest = asyncio.ensure_future(newest_seq())
        return await asyncio.shield(self._newest)

    def register(self, channel: Channel) -> Subscriber:
        """Synchronous on purpose: the subscriber gets every event above `start_seq`, and
        nothing can be dispatched between reading the mark and joining the set."""
        sub = Subscriber(channel, self.queue_size, start_seq=self.hwm)
        self.subscribers.add(sub)
        return sub

    def unregister(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    async def stream(self, channel: Channel, after: int | None,
                     ending: Ending | None = None) -> AsyncIterator[Delivery]:
        """Every event above `after` that the channel admits, exactly once and in `seq` order:
        join first, replay what was missed up to the mark, then go live. Without `after`, live
        from now. `ending` ends the stream from outside (its session ended)."""
        sub = self.register(channel)
        try:
            if after is not None:
                async for delivery in replay(channel, after, sub.start_seq):
                    yield delivery
                last = max(after, sub.start_seq)
            else:
                last = max(sub.start_seq, await self.newest())
            async for delivery in self.live(sub, last, ending):
                yield delivery
        finally:
            self.unregister(sub)

    async def live(self, sub: Subscriber, last: int,
                   ending: Ending | None) -> AsyncIterator[Delivery]:
        """What the hub dispatches to `sub` above `last`, until `ending` ends it."""
        if ending is not None:
            ending.attach(sub.end)
        try:
            while True:
                item = await sub.queue.get()
                if item is None:
                    if sub.error is not None:
                        raise sub.error
                    if sub.dropped:
                        raise TooSlow(_("Disconnected: this subscription fell too far behind."))
                    return
                batch, events = item
                for event in events:
                    if event.id > last:
                        last = event.id
                        yield batch, event
        finally:
            if ending is not None:
                ending.detach(sub.end)

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
            batch = await read_batch(
                ReportEvent.filter(id__gt=self.hwm).order_by("id").limit(BATCH))
            events = batch.events
            if not events:
                return
            entitled = self.subscribers.entitled(batch)
            self.offered += len(entitled)
            for sub in entitled:
                if not sub.offer(batch):
                    log.info("dropped a subscriber that stopped reading")
                    self.dropped += 1
                    self.subscribers.discard(sub)
            self.hwm = events[-1].id
            self.dispatched += len(events)
            for listener in self.on_batch:
                listener(batch)
            if len(events) < BATCH:
                return


async def replay(channel: Channel, after: int, until: int) -> AsyncIterator[Delivery]:
    """Events in (after, until] that the channel admits, in order, page by page."""
    if until - after > MAX_REPLAY_SPAN:
        raise Invalid(_("Too far behind to replay; reload and subscribe afresh."), field="after")
    while after < until:
        qs = ReportEvent.filter(id__gt=after, id__lte=until)
        if channel.report_id is not None:
            qs = qs.filter(report_id=channel.report_id)
        if channel.kinds is not None:
            qs = qs.filter(kind__in=list(channel.kinds))
        batch = await read_batch(qs.order_by("id").limit(BATCH))
        events = batch.events
        if not events:
            return
        for event in events:
            if channel.admits(event, batch.reports.get(event.report_id)):
                yield batch, event
        after = events[-1].id


class LiveFeed:
    """Live from the hub's mark, with no replay: what a group of subscribers sharing one
    execution runs. It tells the group where it started (`started`, once registered) and which
    event it delivered last (`seq`): each result the group computes belongs to that event."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.started: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.seq: int | None = None

    async def stream(self, channel: Channel, after: int | None,
                     ending: Ending | None = None) -> AsyncIterator[Delivery]:
        sub = self.hub.register(channel)
        try:
            if not self.started.done():
                self.started.set_result(sub.start_seq)
            async for batch, event in self.hub.live(sub, sub.start_seq, ending):
                self.seq = event.id
                yield batch, event
        finally:
            self.hub.unregister(sub)


class Replay:
    """Only what a subscriber missed, up to `until` (a group's mark when it joined): the
    group's live results take over from there."""

    def __init__(self, until: int) -> None:
        self.until = until

    async def stream(self, channel: Channel, after: int | None,
                     ending: Ending | None = None) -> AsyncIterator[Delivery]:
        if after is None:
            return
        async for delivery in replay(channel, after, self.until):
            yield delivery
