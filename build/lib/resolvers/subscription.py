"""Subscription root: live timelines and feeds with replay (`after`), and live figures."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from models.errors import Forbidden, Invalid, NotFound, Unauthenticated
from models.messages import _
from models.queries.reports import BBox, visible_report
from models.rules import period, policy
from models.rules.geo import check_coordinates
from realtime import channels
from realtime.channels import Channel
from resolvers.statistics import FromDate, Quarter, ToDate, ranking_rows, stats_of
from schema.context import Info
from schema.declared import SHARED
from schema.inputs import BBoxInput
from schema.loaders import for_batch
from schema.relay import decode_id, decode_ids
from schema.reports import ReportEvent
from schema.statistics import RankingTable, Stats


@strawberry.input
class FeedFilter:
    category_ids: list[strawberry.ID] | None = None
    bbox: BBoxInput | None = None


def _after(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit() or len(after) > 19:
        raise Invalid(_("after is the cursor of an event already received."), field="after")
    return int(after)


async def stream(info: Info, channel: Channel, after: str | None) -> AsyncGenerator[ReportEvent]:
    """Every event above `after` exactly once, in `seq` order, as this viewer may see it."""
    events = info.context.events
    assert events is not None, "subscriptions need the event hub"
    cursor = _after(after)

    # A session that ends (signed out, expired, replaced, disabled) ends the stream: the
    # process's sessions are checked together (realtime/session_watch.py), not per stream.
    token, watch = info.context.token, info.context.sessions
    ending = watch.watch(token) if token is not None and watch is not None else None
    try:
        async for batch, event in events.stream(channel, cursor, ending):
            info.context.refresh_loaders(for_batch(batch))
            report = batch.reports[event.report_id]
            show_note = policy.can_see_event_note(channel.viewer, event.kind, report.facts)
            yield ReportEvent.from_row(event, show_note)
    finally:
        if ending is not None and token is not None and watch is not None:
            watch.unwatch(token)


def _signed_in(info: Info) -> policy.Viewer:
    viewer = info.context.viewer
    if not viewer.signed_in:
        raise Unauthenticated(_("Sign in first (connection_init payload: authorization)."))
    return viewer


@strawberry.type
class Subscription:
    @strawberry.subscription(description="One report's events, as you may see them.",
                             metadata=SHARED)
    async def report_events(
        self, info: Info, report_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[ReportEvent]:
        rid = decode_id(report_id, "Report", "reportId")
        if await visible_report(info.context.viewer, rid) is None:
            raise NotFound(_("No such report."), field="reportId")
        async for event in stream(info, channels.report_events(info.context.viewer, rid), after):
            yield event

    @strawberry.subscription(description="Events of public reports, for the live wall.",
                             metadata=SHARED)
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
                                         "decisions and deadline reminders for their agency.",
                             metadata=SHARED)
    async def agency_feed(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[ReportEvent]:
        viewer = _signed_in(info)
        if not viewer.is_staff:
            raise Forbidden(_("Only agency staff have an agency feed."))
        async for event in stream(info, channels.agency_feed(viewer), after):
            yield event

    @strawberry.subscription(description="IOC: everything the center must act on.",
                             metadata=SHARED)
    async def ioc_feed(self, info: Info, after: str | None = None) -> AsyncGenerator[ReportEvent]:
        viewer = _signed_in(info)
        if not viewer.is_center:
            raise Forbidden(_("Only the IOC has this feed."))
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
