"""What every export reads: the reports a viewer may see under a filter, in keyset batches,
with their category and agency names."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from models.deps import Deps
from models.errors import DomainError
from models.messages import t
from models.orm.directory import Agency, Category
from models.orm.reports import report_code
from models.queries.reports import ReportFilter, reports_for
from models.rules.calendar import rfc3339
from models.rules.lifecycle import is_overdue
from models.rules.policy import Viewer
from schema.relay import to_global_id
from web.auth import viewer_of
from web.exports.params import report_filter
from web.responses import error_response

BATCH = 1000
COLUMNS = ("id", "title", "description", "status", "category_id", "agency_id", "channel",
           "latitude", "longitude", "address", "submitted_at", "due_at", "resolved_at",
           "on_time", "extended", "reopen_count", "contested", "support_count",
           "comment_count", "satisfaction", "duplicate_of_id")
CSV_HEADER = ("code", "id", "title", "description", "status", "category", "agency", "channel",
              "latitude", "longitude", "address", "submitted_at", "due_at", "resolved_at",
              "overdue", "on_time", "extended", "reopen_count", "contested", "support_count",
              "comment_count", "satisfaction", "duplicate_of")


def local(value: datetime | None) -> str | None:
    return rfc3339(value) if value else None


async def rows(viewer: Viewer, f: ReportFilter, now: datetime
                ) -> AsyncIterator[dict[str, Any]]:
    last = 0
    while True:
        qs = reports_for(viewer, f, now).filter(id__gt=last).order_by("id").limit(BATCH)
        batch = await qs.values(*COLUMNS)
        for row in batch:
            yield row
        if len(batch) < BATCH:
            return
        last = batch[-1]["id"]


async def names() -> tuple[dict[int, str], dict[int, str]]:
    categories = dict(await Category.all().values_list("id", "name"))
    agencies = dict(await Agency.all().values_list("id", "name"))
    return categories, agencies


def line(row: dict[str, Any], categories: dict[int, str], agencies: dict[int, str],
         now: datetime, when: Callable[[datetime | None], Any]) -> list[Any]:
    """One report as the IOC's exports show it, in CSV_HEADER's order; `when` writes an
    instant as the format wants it (text with an offset, or a spreadsheet date)."""
    duplicate = row["duplicate_of_id"]
    return [_plain(v) for v in (
        report_code(row["id"], row["submitted_at"]), to_global_id("Report", row["id"]),
        row["title"], row["description"], row["status"], categories.get(row["category_id"]),
        agencies.get(row["agency_id"]), row["channel"], row["latitude"], row["longitude"],
        row["address"], when(row["submitted_at"]), when(row["due_at"]),
        when(row["resolved_at"]), is_overdue(row["status"], row["due_at"], now),
        row["on_time"], row["extended"], row["reopen_count"], row["contested"],
        row["support_count"], row["comment_count"], row["satisfaction"],
        to_global_id("Report", duplicate) if duplicate else None,
    )]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


@dataclass(frozen=True)
class Export:
    viewer: Viewer
    filter: ReportFilter
    now: datetime
    categories: dict[int, str]
    agencies: dict[int, str]


async def ioc_export(request: Request, forbidden: str) -> Export | Response:
    """The IOC's exports (CSV, XLSX): who may have them, the checked filter, the names."""
    viewer = viewer_of(request)
    if not viewer.signed_in:
        return error_response(401, t("Sign in first."), "UNAUTHENTICATED")
    if not viewer.is_center:
        return error_response(403, forbidden, "FORBIDDEN")
    prepared = prepare(request, viewer)
    if isinstance(prepared, Response):
        return prepared
    deps, f = prepared
    categories, agencies = await names()
    return Export(viewer, f, deps.now(), categories, agencies)


def prepare(request: Request, viewer: Viewer) -> tuple[Deps, ReportFilter] | Response:
    """The filter, checked: building the query raises its errors (nothing runs yet), so they
    are answered before the first byte of the stream is sent."""
    deps: Deps = request.app.state.deps
    try:
        f = report_filter(request.query_params)
        reports_for(viewer, f, deps.now())
    except DomainError as error:
        return error_response(400, error.message, error.code.value, field=error.field)
    return deps, f
