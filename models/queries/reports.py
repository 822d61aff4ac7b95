"""Read side: which reports a viewer may list, filters, text search, orderings."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from models.enums import ExtensionStatus, Status
from models.errors import Forbidden, Invalid, Unauthenticated
from models.messages import _
from models.orm import rows
from models.orm.reports import ExtensionRequest, Report, ReportEvent
from models.queries.pagination import Direction, SortKey
from models.rules import geo
from models.rules.geo import check_coordinates
from models.rules.lifecycle import AGENCY_STATUSES, OPEN_STATUSES, PUBLIC_STATUSES
from models.rules.policy import Viewer, can_see_report, report_scope
from models.rules.text import clean, fold

MAX_SEARCH_TERMS = 8
MAX_FILTER_IDS = 100


CHORD = "chord2"  # annotation: squared chord to filter.near's centre, see models/geo.py


class ReportOrder(enum.Enum):
    NEWEST = SortKey("NEWEST", "submitted_at", Direction.DESC)
    OLDEST = SortKey("OLDEST", "submitted_at", Direction.ASC)
    DUE_SOON = SortKey("DUE_SOON", "due_at", Direction.ASC)
    # Counts move while people page; a cursor keeps its place by (count, id) all the same.
    SUPPORT = SortKey("SUPPORT", "support_count", Direction.DESC)
    # Nearest first; needs filter.near (the column is the annotation near_q adds).
    DISTANCE = SortKey("DISTANCE", CHORD, Direction.ASC)


@dataclass(frozen=True)
class BBox:
    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    radius_m: float

    def check(self) -> None:
        check_coordinates(self.latitude, self.longitude, "filter.near")
        if not (math.isfinite(self.radius_m)
                and geo.MIN_RADIUS_M <= self.radius_m <= geo.MAX_RADIUS_M):
            raise Invalid(_("radiusMeters must be between {low} and {high}."),
                          field="filter.near.radiusMeters", low=format(geo.MIN_RADIUS_M, "g"),
                          high=format(geo.MAX_RADIUS_M, "g"))

    def distance_to(self, latitude: float, longitude: float) -> float:
        return geo.distance_m(self.latitude, self.longitude, latitude, longitude)


@dataclass(frozen=True)
class ReportFilter:
    statuses: Sequence[Status] = ()
    category_ids: Sequence[int] = ()
    agency_ids: Sequence[int] = ()
    text: str | None = None
    bbox: BBox | None = None
    submitted_after: datetime | None = None
    submitted_before: datetime | None = None
    overdue: bool | None = None
    near: Near | None = None
    extra: dict[str, object] = field(default_factory=dict)


def visible_to(viewer: Viewer) -> Q:
    scope = report_scope(viewer)
    if scope.everything:
        return Q()
    public = Q(status__in=list(PUBLIC_STATUSES))
    if scope.own_user_id is not None:
        return public | Q(reporter_id=scope.own_user_id)
    return public


def overdue_q(now: datetime) -> Q:
    return Q(status__in=list(OPEN_STATUSES), due_at__lt=now)


def search_q(text: str) -> Q:
    cleaned = clean(text, field="filter.text", max_length=200, required=False)
    terms = fold(cleaned or "").split()
    if len(terms) > MAX_SEARCH_TERMS:
        raise Invalid(_("Search at most {count} words."), field="filter.text",
                      count=MAX_SEARCH_TERMS)
    q = Q()
    for term in terms:
        q &= Q(search_text__contains=term)
    return q


def filter_q(f: ReportFilter, now: datetime) -> Q:
    q = Q()
    for name, ids in (("categoryIds", f.category_ids), ("agencyIds", f.agency_ids)):
        if len(ids) > MAX_FILTER_IDS:
            raise Invalid(_("At most {count} ids."), field=f"filter.{name}",
                          count=MAX_FILTER_IDS)
    if f.statuses:
        q &= Q(status__in=list(f.statuses))
    if f.category_ids:
        q &= Q(category_id__in=list(f.category_ids))
    if f.agency_ids:
        q &= Q(agency_id__in=list(f.agency_ids))
    if f.text:
        q &= search_q(f.text)
    if f.bbox is not None:
        b = f.bbox
        check_coordinates(b.south, b.west, "filter.bbox")
        check_coordinates(b.north, b.east, "filter.bbox")
        if b.south > b.north:
            raise Invalid(_("bbox south must not be above north."), field="filter.bbox")
        q &= box_q(geo.Box(b.south, b.west, b.north, b.east))
    if f.near is not None:
        f.near.check()
        q &= box_q(geo.box_around(f.near.latitude, f.near.longitude, f.near.radius_m))
    if f.submitted_after is not None:
        q &= Q(submitted_at__gte=f.submitted_after)
    if f.submitted_before is not None:
        q &= Q(submitted_at__lt=f.submitted_before)
    if f.overdue is True:
        q &= overdue_q(now)
    elif f.overdue is False:
        q &= ~overdue_q(now)
    return q


def box_q(box: geo.Box) -> Q:
    """Reports inside the box: the cell ranges let the index find them, the exact bounds drop
    the cells' overhang."""
    ranges = [Q(geo_cell__gte=low, geo_cell__lte=high) for low, high in geo.cover(box)]
    q = Q(*ranges, join_type=Q.OR) & Q(latitude__gte=box.south, latitude__lte=box.north)
    if box.west <= box.east:
        return q & Q(longitude__gte=box.west, longitude__lte=box.east)
    return q & (Q(longitude__gte=box.west) | Q(longitude__lte=box.east))  # across 180°


def near_q(qs: QuerySet[Report], near: Near) -> QuerySet[Report]:
    """Annotate the squared chord to the centre and keep what lies within the radius. The
    centre's coordinates are checked finite floats, written into the SQL as float literals."""
    x, y, z = geo.unit_vector(near.latitude, near.longitude)
    chord2 = RawSQL(f"((ux - ({x!r}))*(ux - ({x!r})) + (uy - ({y!r}))*(uy - ({y!r}))"
                    f" + (uz - ({z!r}))*(uz - ({z!r})))")
    return qs.annotate(**{CHORD: chord2}).filter(
        **{f"{CHORD}__lte": geo.meters_to_chord2(near.radius_m)})


def filtered(qs: QuerySet[Report], f: ReportFilter, now: datetime) -> QuerySet[Report]:
    qs = qs.filter(filter_q(f, now))
    return near_q(qs, f.near) if f.near is not None else qs


def check_order(order: ReportOrder, f: ReportFilter) -> None:
    if order is ReportOrder.DISTANCE and f.near is None:
        raise Invalid(_("Ordering by DISTANCE needs filter.near."), field="orderBy")


def reports_for(viewer: Viewer, f: ReportFilter, now: datetime) -> QuerySet[Report]:
    return filtered(Report.filter(visible_to(viewer)), f, now)


def my_reports(viewer: Viewer, f: ReportFilter, now: datetime) -> QuerySet[Report]:
    if not viewer.signed_in:
        raise Unauthenticated(_("Sign in first."))
    return filtered(Report.filter(reporter_id=viewer.user_id), f, now)


def agency_inbox(viewer: Viewer, f: ReportFilter, now: datetime) -> QuerySet[Report]:
    """Reports the viewer's agency must act on (by default those still with the agency)."""
    if not viewer.signed_in:
        raise Unauthenticated(_("Sign in first."))
    if not viewer.is_staff:
        raise Forbidden(_("Only agency staff have an inbox."))
    qs = filtered(Report.filter(agency_id=viewer.agency_id), f, now)
    if not f.statuses:
        qs = qs.filter(status__in=list(AGENCY_STATUSES))
    return qs


async def _extending() -> list[int]:
    """The reports with an open extension request, written by hand (asked on every page)."""
    conn = ExtensionRequest._choose_db()
    [mark] = rows.placeholders(conn, 1)
    _, found = await conn.execute_query(
        f'SELECT DISTINCT report_id FROM "extension_request" WHERE status = {mark}',
        [ExtensionStatus.PENDING.value])
    return sorted(row["report_id"] for row in found)


async def review_queue(viewer: Viewer, f: ReportFilter, now: datetime) -> QuerySet[Report]:
    """What the IOC must act on: new reports, results to approve, contests, extension requests.

    The reports with an open extension request are read first, as a list of ids: as a
    subquery inside the OR, PostgreSQL could use no index for the whole condition and walked
    every report in submission order to fill a page (50 ms at 100,000 reports). Each part now
    has its index, combined by a bitmap OR; open requests are few (at most one per report)."""
    if not viewer.signed_in:
        raise Unauthenticated(_("Sign in first."))
    if not viewer.is_center:
        raise Forbidden(_("Only the IOC has a review queue."))
    extending = await _extending()
    needs_ioc = (
        Q(status__in=[Status.PENDING_REVIEW, Status.RESULT_SUBMITTED])
        | Q(contested=True, status=Status.RESOLVED)
    )
    if extending:
        needs_ioc |= Q(id__in=extending)
    return filtered(Report.filter(needs_ioc), f, now)


async def visible_report(viewer: Viewer, report_id: int) -> Report | None:
    report = await Report.get_or_none(id=report_id)
    if report is None or not can_see_report(viewer, report.facts):
        return None
    return report



async def last_events(report_ids: Sequence[int]) -> dict[int, ReportEvent]:
    """The latest timeline event of each report, in one statement: the newest id per report
    (the (report_id, id) index answers it) joined back to its row. Written by hand: built
    with the ORM, the statement cost more to compose than to run."""
    if not report_ids:
        return {}
    ids = sorted(set(report_ids))
    marks = ", ".join(rows.placeholders(ReportEvent._choose_db(), len(ids)))
    sql = ('SELECT e.* FROM "report_event" e WHERE e.id IN (SELECT MAX(id) FROM "report_event" '
           f"WHERE report_id IN ({marks}) GROUP BY report_id)")
    return {row.report_id: row for row in await rows.select(ReportEvent, sql, ids)}


# --- timelines ----------------------------------------------------------------------------------

TIMELINE_PAGE = 100  # events a timeline holds without arguments, and at most with them


async def latest_events(report_ids: Sequence[int], n: int = TIMELINE_PAGE
                        ) -> dict[int, list[ReportEvent]]:
    """The latest `n` events of each report, oldest first, in two queries whatever the number
    of reports: a window function over the (report_id, id) index picks the ids."""
    if not report_ids:
        return {}
    conn = ReportEvent._meta.db
    *marked, limit = rows.placeholders(conn, len(report_ids) + 1)
    marks = ", ".join(marked)
    sql = (
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY report_id ORDER BY id DESC) "
        f"AS n FROM report_event WHERE report_id IN ({marks})) AS ranked WHERE n <= {limit}"
    )
    picked = await conn.execute_query_dict(sql, [*report_ids, n])
    grouped: dict[int, list[ReportEvent]] = {i: [] for i in report_ids}
    for event in await ReportEvent.filter(id__in=[r["id"] for r in picked]).order_by("id"):
        grouped[event.report_id].append(event)
    return grouped


async def events_page(report_id: int, *, first: int | None = None, after: int | None = None,
                      last: int | None = None, before: int | None = None) -> list[ReportEvent]:
    """A page of one report's timeline, oldest first: `first` events after the cursor `after`
    (from the start without it), or the `last` ones before `before` (up to the newest)."""
    qs = ReportEvent.filter(report_id=report_id)
    if after is not None:
        qs = qs.filter(id__gt=after)
    if before is not None:
        qs = qs.filter(id__lt=before)
    if first is not None:
        return list(await qs.order_by("id").limit(first))
    rows = list(await qs.order_by("-id").limit(last or TIMELINE_PAGE))
    rows.reverse()
    return rows
