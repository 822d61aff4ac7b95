"""Query root: thin wrappers that decode ids, call models.queries and wrap rows in types."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from tortoise.queryset import QuerySet

from models.actions import notifications, partners, webhooks
from models.actions.directory import MAX_AGENCIES, MAX_CATEGORIES
from models.actions.partners import MAX_API_KEYS
from models.errors import Invalid, Unauthenticated
from models.messages import _
from models.orm.accounts import User as UserRow
from models.orm.directory import Agency as AgencyRow
from models.orm.directory import Category as CategoryRow
from models.orm.reports import Report as ReportRow
from models.orm.reports import parse_report_code
from models.queries import timeline
from models.queries.pagination import MAX_PAGE, Page, PageArgs, paginate
from models.queries.reports import (
    BBox,
    Near,
    ReportOrder,
    agency_inbox,
    check_order,
    my_reports,
    reports_for,
    review_queue,
    visible_report,
)
from models.queries.reports import ReportFilter as Filter
from models.rules.policy import Viewer, can_see_extension_requests, can_see_report
from realtime import answer_tags
from resolvers.prefetch import prefetch
from resolvers.statistics import StatisticsQuery
from schema.accounts import ApiKey, User
from schema.context import Context, Info
from schema.declared import max_items, sized_by
from schema.directory import Agency, Category
from schema.enums import AgencyKind, AgencyLevel, WebhookDeliveryStatus
from schema.inputs import ReportFilter
from schema.notifications import NotificationSettings
from schema.participation import Comment
from schema.projected_lists import Projected, Projection, project_page, projected_nodes
from schema.relay import MAX_NODES, Node, PageInfo, decode_id, decode_ids, from_global_id
from schema.reports import ExtensionRequest, Report, ReportConnection, ReportEdge
from schema.webhooks import WebhookDelivery, WebhookEndpoint

# Which reports a list holds; a scope that must read something first is a coroutine.
Scope = Callable[[Viewer, Filter, datetime],
                 QuerySet[ReportRow] | Coroutine[Any, Any, QuerySet[ReportRow]]]


def to_domain_filter(f: ReportFilter | None) -> Filter:
    if f is None:
        return Filter()
    bbox = None
    if f.bbox is not None:
        bbox = BBox(f.bbox.south, f.bbox.west, f.bbox.north, f.bbox.east)
    near = None
    if f.near is not None:
        near = Near(f.near.latitude, f.near.longitude, f.near.radius_meters)
    return Filter(
        near=near,
        statuses=f.statuses or (),
        category_ids=decode_ids(f.category_ids, "Category", "filter.categoryIds"),
        agency_ids=decode_ids(f.agency_ids, "Agency", "filter.agencyIds"),
        text=f.text,
        bbox=bbox,
        submitted_after=f.submitted_after,
        submitted_before=f.submitted_before,
        overdue=f.overdue,
    )


def _reader(ctx: Context, scope: Scope,
            domain_filter: Filter) -> Callable[[], Awaitable[QuerySet[ReportRow]]]:
    async def read() -> QuerySet[ReportRow]:
        scoped = scope(ctx.viewer, domain_filter, ctx.deps.now())
        # A QuerySet is awaitable too: only a coroutine is a scope that reads first.
        return await scoped if inspect.iscoroutine(scoped) else scoped  # type: ignore[return-value]

    return read


def _shape(ctx: Context, scope: Scope, domain_filter: Filter, order: ReportOrder,
           args: PageArgs) -> Hashable | None:
    """What the page's statement depends on; the clock too with the overdue filter."""
    if domain_filter.overdue is not None:
        return None
    return (scope, ctx.viewer, repr(domain_filter), order, args)


async def public_page(ctx: Context, projection: Projection, order: ReportOrder,
                      args: PageArgs) -> Projected | None:
    """`reports(first:, orderBy:)` with neither filter nor cursor, as report_connection
    projects it, for a document that asks for nothing else (web/graphql/page_documents.py)."""
    answer_tags.tag(answer_tags.LISTS)
    domain_filter = to_domain_filter(None)
    check_order(order, domain_filter)
    return await project_page(ctx, projection, _reader(ctx, reports_for, domain_filter),
                              order.value, args,
                              _shape(ctx, reports_for, domain_filter, order, args))


async def report_connection(
    info: Info, scope: Scope, filter: ReportFilter | None, order: ReportOrder,
    args: PageArgs,
) -> ReportConnection:
    ctx = info.context
    answer_tags.tag(answer_tags.LISTS)  # which reports, in which order: events move them
    domain_filter = to_domain_filter(filter)
    check_order(order, domain_filter)
    read = _reader(ctx, scope, domain_filter)
    if domain_filter.near is None:
        projected = await projected_nodes(info, read, order.value, args,
                                          _shape(ctx, scope, domain_filter, order, args))
        if projected is not None:
            nothing = Page[ReportRow](items=[], cursors=[], has_next=False, has_previous=False)

            async def count_read() -> int:
                return await (await read()).count()

            in_edges = projected.target == "edges"  # else nodes: which field the page fills
            return ReportConnection(edges=projected if in_edges else [],  # type: ignore[arg-type]
                                    page_info=PageInfo.of(nothing), count=count_read,
                                    projected=None if in_edges else projected)
    qs = await read()

    def count() -> Awaitable[int]:
        return qs.count()

    page = await paginate(qs, order.value, args)
    await prefetch(info, page.items)
    near = domain_filter.near
    edges = [
        ReportEdge(node=Report.from_row(row, near.distance_to(row.latitude, row.longitude)
                                        if near and row.latitude is not None
                                        and row.longitude is not None else None),
                   cursors=page.cursors, index=index)
        for index, row in enumerate(page.items)
    ]
    return ReportConnection(edges=edges, page_info=PageInfo.of(page), count=count)


def _connection_field(scope: Scope, default_order: ReportOrder, doc: str) -> object:
    async def resolve(
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ReportFilter | None = None,
        order_by: Annotated[ReportOrder | None, strawberry.argument(
            description="Default: NEWEST (agencyInbox: DUE_SOON, reviewQueue: OLDEST), or "
            "DISTANCE with filter.near.")] = None,
    ) -> ReportConnection:
        args = PageArgs(first=first, after=after, last=last, before=before)
        if order_by is None:
            near = filter is not None and filter.near is not None
            order_by = ReportOrder.DISTANCE if near else default_order
        return await report_connection(info, scope, filter, order_by, args)

    return strawberry.field(resolver=resolve, description=doc)


async def _node(info: Info, global_id: str) -> Node | None:
    """Every lookup goes through a dataloader, so `nodes` costs one query per type, not per id."""
    type_name, pk = from_global_id(global_id)
    viewer, loaders = info.context.viewer, info.context.loaders
    # A report's answer (null while it is not public) changes with its events; agencies and
    # categories with no event at all; anything else is not classified.
    if type_name == "Report":
        answer_tags.tag(answer_tags.report(pk))
    elif type_name not in ("Agency", "Category"):
        answer_tags.tag(answer_tags.EVERY)
    if type_name == "Report":
        row = await loaders.report_by_id.load(pk)
        if row is None or not can_see_report(viewer, row.facts):
            return None
        return Report.from_row(row)
    if type_name == "Agency":
        agency = await loaders.agency_by_id.load(pk)
        return Agency.from_row(agency) if agency else None
    if type_name == "Category":
        category = await loaders.category_by_id.load(pk)
        return Category.from_row(category) if category else None
    if type_name == "User":
        if viewer.user_id != pk and not viewer.is_center:
            return None
        user = await loaders.user_by_id.load(pk)
        return User.from_row(user) if user else None
    if type_name == "Comment":
        comment = await loaders.comment_by_id.load(pk)
        report = await loaders.report_by_id.load(comment.report_id) if comment else None
        if comment is None or report is None or not can_see_report(viewer, report.facts):
            return None
        return Comment.from_row(comment)
    if type_name == "ExtensionRequest":
        ext = await loaders.extension_request_by_id.load(pk)
        report = await loaders.report_by_id.load(ext.report_id) if ext else None
        if ext is None or report is None or not can_see_extension_requests(viewer, report.facts):
            return None
        return ExtensionRequest.from_row(ext)
    return None


@strawberry.type
class CoreQuery:
    @strawberry.field(description="Fetch any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _node(info, id)

    @strawberry.field(description=f"Fetch up to {MAX_NODES} objects by global id.",
                      metadata=sized_by("ids"))
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise Invalid(_("At most {max_nodes} ids."), field="ids", max_nodes=MAX_NODES)
        return list(await asyncio.gather(*(_node(info, i) for i in ids)))

    @strawberry.field(description="The signed-in account, or null.")
    async def me(self, info: Info) -> User | None:
        viewer = info.context.viewer
        if viewer.user_id is None:
            return None
        row = await UserRow.get_or_none(id=viewer.user_id)
        return User.from_row(row) if row else None

    @strawberry.field(description="One report by global id or by code (PA-2026-000123).")
    async def report(
        self, info: Info, id: strawberry.ID | None = None, code: str | None = None
    ) -> Report | None:
        if (id is None) == (code is None):
            raise Invalid(_("Give exactly one of id or code."), field="id")
        if id is not None:
            pk = decode_id(id, "Report")
        else:
            assert code is not None
            parsed = parse_report_code(code)
            if parsed is None:
                raise Invalid(_("Malformed report code."), field="code")
            pk = parsed
        answer_tags.tag(answer_tags.report(pk))  # null now, shown once its events make it public
        row = await visible_report(info.context.viewer, pk)
        if row is None:
            return None
        report = Report.from_row(row)
        if code is not None and report.code() != code.strip().upper():
            return None  # right number, wrong year
        return report

    reports = _connection_field(
        reports_for, ReportOrder.NEWEST, "Reports the caller may see."
    )
    my_reports = _connection_field(
        my_reports, ReportOrder.NEWEST, "The signed-in user's own reports."
    )
    agency_inbox = _connection_field(
        agency_inbox, ReportOrder.DUE_SOON,
        "Agency staff: reports assigned to their agency, most urgent first.",
    )
    review_queue = _connection_field(
        review_queue, ReportOrder.OLDEST,
        "IOC: new reports, results to approve, contests and open extension requests.",
    )

    @strawberry.field(description="The server's clock, for clients to correct their own (phone "
                      "clocks are often off) when they show time since submission or pick "
                      "today's period. Anonymous answers may be cached for a few seconds.")
    def server_time(self, info: Info) -> datetime:
        return info.context.deps.now()

    @strawberry.field(description="Admin: the keys of machines (Open311 partners, agencies' "
                      "systems), newest first.",
                      metadata=max_items(MAX_API_KEYS))
    async def api_keys(self, info: Info) -> list[ApiKey]:
        rows = await partners.list_api_keys(info.context.viewer)
        return [ApiKey.from_row(r, r.user) for r in rows]

    @strawberry.field(description="The cursor of the newest event now (\"0\" before any). A "
                      "client that shows a first page and then subscribes asks for it before "
                      "the page and passes it as `after` when the page gave no newer event: "
                      "nothing committed in between is missed.")
    async def event_cursor(self) -> str:
        return str(await timeline.newest_event_id())

    @strawberry.field(description="My notification choices, address and devices (signed in).")
    async def notification_settings(self, info: Info) -> NotificationSettings:
        c = info.context
        if c.viewer.user_id is None or c.viewer.via_api_key:
            raise Unauthenticated(_("Sign in first."))
        row = await notifications.settings_of(c.viewer.user_id, c.deps.now())
        devices = await notifications.push_subscriptions(c.viewer.user_id)
        return NotificationSettings.from_row(row, devices, c.deps)

    @strawberry.field(description="IOC: the webhook endpoints.",
                      metadata=max_items(webhooks.MAX_ENDPOINTS))
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        rows = await webhooks.list_endpoints(info.context.viewer)
        now = info.context.deps.now()
        return [WebhookEndpoint.from_row(r, now) for r in rows]

    @strawberry.field(description="IOC: an endpoint's deliveries, newest first, with their "
                      "attempts, answers and timings (first: 1 to 100).",
                      metadata=max_items(MAX_PAGE))
    async def webhook_deliveries(
        self, info: Info, endpoint_id: strawberry.ID,
        status: WebhookDeliveryStatus | None = None, first: int = 50,
    ) -> list[WebhookDelivery]:
        if not 1 <= first <= MAX_PAGE:
            raise Invalid(_("{field} must be between 1 and {count}."), field="first",
                          count=MAX_PAGE)
        rows = await webhooks.list_deliveries(
            info.context.viewer, decode_id(endpoint_id, "WebhookEndpoint", "endpointId"),
            status.value if status else None, first)
        return [WebhookDelivery.from_row(r) for r in rows]

    @strawberry.field(metadata=max_items(MAX_CATEGORIES))
    async def categories(self) -> list[Category]:
        rows = await CategoryRow.all().order_by("name").limit(MAX_CATEGORIES)
        return [Category.from_row(c) for c in rows]

    @strawberry.field(metadata=max_items(MAX_AGENCIES))
    async def agencies(
        self, kind: AgencyKind | None = None, level: AgencyLevel | None = None
    ) -> list[Agency]:
        qs = AgencyRow.all()
        if kind is not None:
            qs = qs.filter(kind=kind)
        if level is not None:
            qs = qs.filter(level=level)
        return [Agency.from_row(a) for a in await qs.order_by("name").limit(MAX_AGENCIES)]

    @strawberry.field
    async def agency(self, info: Info, id: strawberry.ID) -> Agency | None:
        row = await info.context.loaders.agency_by_id.load(decode_id(id, "Agency"))
        return Agency.from_row(row) if row else None


@strawberry.type
class Query(CoreQuery, StatisticsQuery):
    pass
