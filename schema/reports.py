"""Report and everything hanging off it: location, media, result, timeline, extensions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Self

import strawberry

from models.actions.changes import MAX_MEDIA_PER_REPORT
from models.actions.handling import MAX_EXTENSION_REQUESTS
from models.orm.reports import ExtensionRequest as ExtensionRow
from models.orm.reports import Report as ReportRow
from models.orm.reports import ReportEvent as EventRow
from models.queries.comments import COMMENTS_OLDEST_FIRST, comments_of
from models.queries.duplicates import MAX_HINTS
from models.queries.pagination import Cursors, Page, PageArgs, paginate
from models.queries.reports import TIMELINE_PAGE, events_page
from models.rules import policy
from models.rules.lifecycle import is_overdue
from realtime import answer_tags
from schema.accounts import Person
from schema.context import Info
from schema.declared import max_items
from schema.directory import Agency, Category, load_agency
from schema.enums import Channel, EventKind, ExtensionStatus, ReportStatus, Role
from schema.loaders import now_or_later
from schema.media import Media
from schema.participation import CommentConnection, Rating
from schema.relay import Node, PageInfo, timeline_args, to_global_id


@strawberry.type
class Location:
    latitude: float
    longitude: float
    address: str | None


@strawberry.type
class ReportResult:
    text: str | None
    submitted_at: datetime | None
    published_at: datetime | None
    media: list[Media] = strawberry.field(metadata=max_items(MAX_MEDIA_PER_REPORT))


@strawberry.type
class ReportEvent:
    seq: int
    at: datetime
    kind: EventKind
    from_status: ReportStatus | None
    to_status: ReportStatus | None
    note: str | None
    actor_role: Role | None
    agency_id: strawberry.Private[int | None]
    report_id: strawberry.Private[int]

    @strawberry.field(description="Opaque position in the event stream, for `after`.")
    def cursor(self) -> str:
        return str(self.seq)

    # Synchronous once loaded (see now_or_later): a timeline of 100 events would otherwise be
    # 200 coroutines, all run back to back by the event loop.
    @strawberry.field
    def agency(self, info: Info) -> Agency | None:
        if self.agency_id is None:
            return None
        return now_or_later(info.context.loaders.agency_by_id, self.agency_id, Agency.maybe)

    @strawberry.field
    def report(self, info: Info) -> Report | None:
        viewer = info.context.viewer

        def visible(row: ReportRow | None) -> Report | None:
            if row is None or not policy.can_see_report(viewer, row.facts):
                return None
            return Report.from_row(row)

        return now_or_later(info.context.loaders.report_by_id, self.report_id, visible)

    @classmethod
    def from_row(cls, row: EventRow, show_note: bool) -> Self:
        return cls(
            seq=row.id, at=row.at, kind=row.kind, from_status=row.from_status,
            to_status=row.to_status, note=row.note if show_note else None,
            actor_role=row.actor_role, agency_id=row.agency_id, report_id=row.report_id,
        )


@strawberry.type
class ExtensionRequest(Node):
    until: date
    reason: str
    status: ExtensionStatus
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    agency_id: strawberry.Private[int]
    report_id: strawberry.Private[int]

    @strawberry.field
    async def agency(self, info: Info) -> Agency | None:
        return await load_agency(info, self.agency_id)

    @strawberry.field
    async def report(self, info: Info) -> Report | None:
        row = await info.context.loaders.report_by_id.load(self.report_id)
        return Report.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ExtensionRow) -> Self:
        return cls(
            id=to_global_id("ExtensionRequest", row.id), until=row.until, reason=row.reason,
            status=row.status, created_at=row.created_at, decided_at=row.decided_at,
            decision_note=row.decision_note, agency_id=row.agency_id, report_id=row.report_id,
        )


@strawberry.type
class Report(Node):
    row: strawberry.Private[ReportRow]
    distance: strawberry.Private[float | None] = None

    @classmethod
    def from_row(cls, row: ReportRow, distance: float | None = None) -> Self:
        answer_tags.tag(answer_tags.report(row.id))  # a cached answer showing it depends on it
        return cls(id=to_global_id("Report", row.id), row=row, distance=distance)

    @strawberry.field(description="Metres from filter.near's point (or from the report that "
                      "lists this one in similarNearby); null elsewhere.")
    def distance_meters(self) -> float | None:
        return None if self.distance is None else round(self.distance, 1)

    @strawberry.field(description="Human-readable code, e.g. PA-2026-000123.")
    def code(self) -> str:
        return self.row.code

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="The public text (the IOC may have edited it).")
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def status(self) -> ReportStatus:
        return self.row.status

    @strawberry.field
    def channel(self) -> Channel:
        return self.row.channel

    @strawberry.field
    def location(self) -> Location | None:
        r = self.row
        if r.latitude is None or r.longitude is None:
            return None
        return Location(latitude=r.latitude, longitude=r.longitude, address=r.address)

    # The fields lists ask for most are synchronous when the list resolver prefetched them
    # (resolvers/prefetch.py): see now_or_later.
    @strawberry.field
    def category(self, info: Info) -> Category | None:
        if self.row.category_id is None:
            return None
        return now_or_later(info.context.loaders.category_by_id, self.row.category_id,
                            Category.maybe)

    @strawberry.field(description="The agency handling the report now.")
    def agency(self, info: Info) -> Agency | None:
        if self.row.agency_id is None:
            return None
        return now_or_later(info.context.loaders.agency_by_id, self.row.agency_id, Agency.maybe)

    @strawberry.field(metadata=max_items(MAX_MEDIA_PER_REPORT))
    def media(self, info: Info) -> list[Media]:
        public = policy.media_is_public(self.row.facts, is_result=False)
        deps, base = info.context.deps, info.context.base_url
        return now_or_later(
            info.context.loaders.media_by_report_id, self.row.id,
            lambda rows: [Media.from_row(m, public=public, deps=deps, base_url=base)
                          for m in rows if not m.is_result])

    @strawberry.field
    def submitted_at(self) -> datetime:
        return self.row.submitted_at

    @strawberry.field
    def due_at(self) -> datetime:
        return self.row.due_at

    @strawberry.field(description="An extension was approved in this cycle (counts as late).")
    def extended(self) -> bool:
        return self.row.extended

    @strawberry.field
    def overdue(self, info: Info) -> bool:
        return is_overdue(self.row.status, self.row.due_at, info.context.deps.now())

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field(description="Frozen at publication: published by dueAt with no extension.")
    def on_time(self) -> bool | None:
        return self.row.on_time

    @strawberry.field(description="Published result; the unpublished draft only for IOC/agency.")
    async def result(self, info: Info) -> ReportResult | None:
        r = self.row
        published = policy.result_published(r.facts)
        if r.result_text is None:
            return None
        if not published and not policy.can_see_unpublished_result(info.context.viewer, r.facts):
            return None
        media = await info.context.loaders.media_by_report_id.load(r.id)
        return ReportResult(
            text=r.result_text, submitted_at=r.result_submitted_at,
            published_at=r.resolved_at if published else None,
            media=[Media.from_row(m, public=policy.media_is_public(r.facts, True),
                                  deps=info.context.deps, base_url=info.context.base_url)
                   for m in media if m.is_result],
        )

    @strawberry.field(description="The report's steps, oldest first: without arguments its "
                      "latest 100; first/after (from the start) and last/before (back from the "
                      "newest) page through it, 1 to 100 at a time, `after`/`before` being an "
                      "event's cursor.", metadata=max_items(TIMELINE_PAGE))
    async def timeline(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> list[ReportEvent]:
        viewer, f = info.context.viewer, self.row.facts
        if first is None and last is None and after is None and before is None:
            rows = await info.context.loaders.latest_events_by_report_id.load(self.row.id)
        else:
            rows = await events_page(self.row.id, **timeline_args(first, after, last, before))
        return [ReportEvent.from_row(e, policy.can_see_event_note(viewer, e.kind, f)) for e in rows]

    @strawberry.field(description="The latest step (what a wall or a list shows), without "
                      "loading the whole timeline.")
    def last_event(self, info: Info) -> ReportEvent | None:
        viewer, f = info.context.viewer, self.row.facts

        def convert(row: EventRow | None) -> ReportEvent | None:
            if row is None:
                return None
            return ReportEvent.from_row(row, policy.can_see_event_note(viewer, row.kind, f))

        return now_or_later(info.context.loaders.last_event_by_report_id, self.row.id, convert)

    @strawberry.field(description="Comments, oldest first; hidden ones show as hidden.")
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> CommentConnection:
        args = PageArgs(first=first, after=after)
        size = args.size()
        if after is None:  # the common case, batched across every report on the page
            rows = await info.context.loaders.first_comments(size).load(self.row.id)
            key = COMMENTS_OLDEST_FIRST
            page = Page(items=rows[:size], cursors=Cursors(key, rows[:size]),
                        has_next=len(rows) > size, has_previous=False)
        else:
            page = await paginate(comments_of(self.row.id), COMMENTS_OLDEST_FIRST,
                                  args)
        return CommentConnection.from_page(page, self.row.id)

    @strawberry.field(description="Visible comments.")
    def comment_count(self) -> int:
        return self.row.comment_count

    @strawberry.field(description="The reporter's latest rating of the published result.")
    def rating(self, info: Info) -> Rating | None:
        f = self.row.facts
        return now_or_later(info.context.loaders.latest_rating_by_report_id, self.row.id,
                            lambda row: Rating.from_row(row, f) if row else None)

    @strawberry.field(description='How many people said "me too".')
    def support_count(self) -> int:
        return self.row.support_count

    @strawberry.field(description="Whether the signed-in user supports this report.")
    async def viewer_has_supported(self, info: Info) -> bool:
        return await info.context.supported_by_viewer.load(self.row.id)

    @strawberry.field(description="Working days from submission to publication, when resolved.")
    def working_days(self) -> int | None:
        return self.row.working_days

    @strawberry.field
    def contested(self) -> bool:
        return self.row.contested

    @strawberry.field
    def reopen_count(self) -> int:
        return self.row.reopen_count

    @strawberry.field
    async def duplicate_of(self, info: Info) -> Report | None:
        if self.row.duplicate_of_id is None:
            return None
        row = await info.context.loaders.report_by_id.load(self.row.duplicate_of_id)
        if row is None or not policy.can_see_report(info.context.viewer, row.facts):
            return None
        return Report.from_row(row)

    @strawberry.field(description="Personal data: null unless you are the reporter or the IOC.")
    async def reporter(self, info: Info) -> Person | None:
        r = self.row
        if not policy.can_see_personal_data(info.context.viewer, r.facts):
            return None
        if r.contact_name is not None or r.contact_phone is not None:
            return Person(display_name=r.contact_name, phone=r.contact_phone)
        user = await info.context.loaders.user_by_id.load(r.reporter_id)
        return Person(display_name=user.display_name, phone=user.phone) if user else None

    @strawberry.field(description="The text as first sent. Personal data, like `reporter`.")
    def original_description(self, info: Info) -> str | None:
        if not policy.can_see_personal_data(info.context.viewer, self.row.facts):
            return None
        return self.row.original_description

    @strawberry.field(description="IOC and the assigned agency only; null for everyone else.",
                      metadata=max_items(MAX_EXTENSION_REQUESTS))
    async def extension_requests(self, info: Info) -> list[ExtensionRequest] | None:
        if not policy.can_see_extension_requests(info.context.viewer, self.row.facts):
            return None
        rows = await info.context.loaders.extension_requests_by_report_id.load(self.row.id)
        return [ExtensionRequest.from_row(e) for e in rows]

    @strawberry.field(description="IOC only (null for everyone else): open public reports within "
                      "150 m in the same category from the last 30 days, closest and most alike "
                      "first, each with distanceMeters, ready for mergeReport.",
                      metadata=max_items(MAX_HINTS))
    async def similar_nearby(self, info: Info) -> list[Report] | None:
        if not policy.can_see_duplicate_hints(info.context.viewer):
            return None
        answer_tags.tag(answer_tags.LISTS)  # other reports' events change who is nearby
        loader = info.context.loaders.similar_nearby(info.context.deps.now())
        return [Report.from_row(h.report, h.distance_m) for h in await loader.load(self.row)]

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at


@strawberry.type
class ReportEdge:
    node: Report
    cursors: strawberry.Private[Sequence[str]]  # the page's (made only when asked for)
    index: strawberry.Private[int]

    @strawberry.field
    def cursor(self) -> str:
        return self.cursors[self.index]


@strawberry.type
class ReportConnection:
    edges: list[ReportEdge]
    page_info: PageInfo
    count: strawberry.Private[object]  # an awaitable factory, run only if totalCount is asked
    # The page's nodes as the database wrote them (schema/projected_lists.py); then edges and
    # pageInfo are empty, and never asked for.
    projected: strawberry.Private[object] = None

    @strawberry.field
    def nodes(self) -> list[Report]:
        if self.projected is not None:
            return self.projected  # type: ignore[return-value]  # schema/limits.py completes it
        return [edge.node for edge in self.edges]

    @strawberry.field(description="Reports matching the filter, over all pages.")
    async def total_count(self) -> int:
        assert callable(self.count)
        result = await self.count()
        assert isinstance(result, int)
        return result
