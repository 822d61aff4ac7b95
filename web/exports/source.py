"""What every export reads: the reports a viewer may see under a filter, in keyset batches,
with their category and agency names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from models.deps import Deps
from models.errors import DomainError
from models.orm.directory import Agency, Category
from models.queries.reports import ReportFilter, reports_for
from models.rules.calendar import rfc3339
from models.rules.policy import Viewer
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
