"""Subscription root: live timelines and feeds with replay (`after`), and live figures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from models.actions import accounts
from models.errors import Forbidden, Invalid, NotFound, TooSlow, Unauthenticated
from models.orm.reports import ReportEvent as EventRow
from models.queries.reports import BBox, visible_report
from models.rules import period, policy
from models.rules.geo import check_coordinates
from realtime import channels
from realtime.channels import Channel
from realtime.hub import Batch, replay
from resolvers.context import Info
from resolvers.statistics import FromDate, Quarter, ToDate, ranking_rows, stats_of
from schema.inputs import BBoxInput
from schema.relay import decode_id, decode_ids
from schema.report import ReportEvent
from schema.statistics import RankingTable, Stats

MAX_REPLAY_SPAN = 100_000  # events; further behind, a client should reload instead


@strawberry.input
class FeedFilter:
    category_ids: list[strawberry.ID] | None = None
    bbox: BBoxInput | None = None


def _after(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit() or len(after) > 19:
        raise Invalid("after is the cursor of an event already received.", field="after")
    return int(after)


def _deliver(info: Info, batch: Batch, event: EventRow, channel: Channel) -> ReportEvent:
    info.context.refresh_loaders(batch.loaders)
    report = batch.reports[event.report_id]
    show_note = policy.can_see_event_note(channel.viewer, event.kind, report.facts)
    return ReportEvent.from_row(event, show_note)


async def stream(info: Info, channel: Channel, after: str | None) -> AsyncGenerator[ReportEvent]:
    """Join the hub first, then replay what was missed up to the hub's mark, then go live:
    every event above `after` exactly once, in `seq` order."""
    control = info.context.stream_control
    if control is not None and control.replay_until is not None:
        async for missed in _replay(info, channel, _after(after), control.replay_until):
            yield missed
        return
    hub = info.context.hub
    assert hub is not None, "subscriptions need the event hub"
    sub = hub.register(channel)
    try:
        cursor = None if control is not None else _after(after)
        if control is not None:  # shared: members replay on their own, from the group's mark
            last = sub.start_seq
            if control.on_start is not None:
                control.on_start(last)
        elif cursor is not None:
            async for missed in _replay(info, channel, cursor, sub.start_seq):
                yield missed
            last = max(cursor, sub.start_seq)
        else:
            last = max(sub.start_seq, await newest_event_id())
        while True:
            try:
                async with asyncio.timeout(hub.token_recheck_seconds):
                    item = await sub.queue.get()
            except TimeoutError:
                await _still_signed_in(info)  # a revoked or expired token ends the stream
                continue
            if item is None:
                if sub.dropped:
                    raise TooSlow("Disconnected: this subscription fell too far behind.")
                return
            batch, events = item
            for event in events:
                if event.id > last:
                    last = event.id
                    if control is not None and control.on_event is not None:
                        control.on_event(event.id)
                    yield _deliver(info, batch, event, channel)
    finally:
        hub.unregister(sub)


async def newest_event_id() -> int:
    """Live from now: what was committed before subscribing is not news."""
    newest = await EventRow.all().order_by("-id").first().only("id")
    return newest.id if newest else 0


async def _replay(info: Info, channel: Channel, after: int | None, until: int
                  ) -> AsyncGenerator[ReportEvent]:
    if after is None:
        return
    if until - after > MAX_REPLAY_SPAN:
        raise Invalid("Too far behind to replay; reload and subscribe afresh.", field="after")
    async for batch in replay(channel, after, until):
        for event in batch.events:
            yield _deliver(info, batch, event, channel)


async def _still_signed_in(info: Info) -> None:
    token = info.context.token
    if token is not None:
        viewer = await accounts.viewer_for_token(token, info.context.deps)
        if not viewer.signed_in:
            raise Unauthenticated("Signed out: this subscription has ended.")


def _signed_in(info: Info) -> policy.Viewer:
    viewer = info.context.viewer
    if not viewer.signed_in:
        raise Unauthenticated("Sign in first (connection_init payload: authorization).")
    return viewer


@strawberry.type
class Subscription:
    @strawberry.subscription(description="One report's events, as you may see them.")
    async def report_events(
        self, info: Info, report_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[ReportEvent]:
        rid = decode_id(report_id, "Report", "reportId")
        if await visible_report(info.context.viewer, rid) is None:
            raise NotFound("No such report.", field="reportId")
        async for event in stream(info, channels.report_events(info.context.viewer, rid), after):
            yield event

    @strawberry.subscription(description="Events of public reports, for the live wall.")
    async def public_feed(
        self, info: Info, after: str | None = None, filter: FeedFilter | None = None
    ) -> AsyncGenerator[ReportEvent]:
        categories = decode_ids(filter.category_ids if filter else None, "Category",
                                "filter.categoryIds")
        box = None
        if filter and filter.bbox:
            b = filter.bbox
            check_coordinates(b.south, b.west, "filter.bbox")
            check_coordinates(b.north, b.east, "filter.bbox")
            box = BBox(b.south, b.west, b.north, b.east)
        async for event in stream(info, channels.public_feed(categories, box), after):
            yield event

    @strawberry.subscription(description="Agency staff: assignments, comments, extension "
                                         "decisions and deadline reminders for their agency.")
    async def agency_feed(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[ReportEvent]:
        viewer = _signed_in(info)
        if not viewer.is_staff:
            raise Forbidden("Only agency staff have an agency feed.")
        async for event in stream(info, channels.agency_feed(viewer), after):
            yield event

    @strawberry.subscription(description="IOC: everything the center must act on.")
    async def ioc_feed(self, info: Info, after: str | None = None) -> AsyncGenerator[ReportEvent]:
        viewer = _signed_in(info)
        if not viewer.is_center:
            raise Forbidden("Only the IOC has this feed.")
        async for event in stream(info, channels.ioc_feed(viewer), after):
            yield event

    @strawberry.subscription(description="The published figures, pushed at most once a second.")
    async def stats_updated(
        self, info: Info, quarter: Quarter = None, from_: FromDate = None, to: ToDate = None
    ) -> AsyncGenerator[Stats]:
        chosen = period.resolve(quarter, from_, to)
        figures, deps = info.context.figures, info.context.deps
        assert figures is not None

        async def compute() -> Stats:
            return await stats_of(deps.now(), chosen)

        async for value in figures.follow(("stats", chosen.label), compute):
            yield value

    @strawberry.subscription(description="The agency ranking, pushed at most once a second.")
    async def rankings_updated(
        self, info: Info, quarter: Quarter = None
    ) -> AsyncGenerator[RankingTable]:
        chosen = period.resolve(quarter or period.current_quarter(info.context.deps.now()),
                                None, None)
        figures, deps = info.context.figures, info.context.deps
        assert figures is not None

        async def compute() -> RankingTable:
            return RankingTable(period=chosen.label, rows=await ranking_rows(deps.now(), chosen))

        async for value in figures.follow(("rankings", chosen.label), compute):
            yield value
