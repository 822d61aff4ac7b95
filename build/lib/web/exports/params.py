"""The `reports` filter, read from a query string:
`?status=ASSIGNED,RESOLVED&categoryId=…&agencyId=…&text=…&bbox=south,west,north,east`
`&near=latitude,longitude,radiusMeters&submittedAfter=2026-01-01T00:00:00+07:00&overdue=true`."""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import QueryParams

from models.enums import Status
from models.errors import Invalid
from models.messages import _
from models.queries.reports import BBox, Near, ReportFilter
from schema.relay import decode_ids

KNOWN = {"status", "categoryId", "agencyId", "text", "bbox", "near", "submittedAfter",
         "submittedBefore", "overdue"}


def comma_list(params: QueryParams, name: str) -> list[str]:
    """Values given as `a,b` or as repeated parameters, blanks dropped."""
    return [part.strip() for value in params.getlist(name) for part in value.split(",")
            if part.strip()]


def _floats(params: QueryParams, name: str, count: int) -> list[float] | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        numbers = [float(part) for part in raw.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != count:
        raise Invalid(_("{field} takes {count} comma-separated numbers."), field=name,
                      count=count)
    return numbers


def _instant(params: QueryParams, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid(_("{name} must be an ISO 8601 date-time."), field=name, name=name) from None
    if value.tzinfo is None:
        raise Invalid(_("{field} needs a UTC offset, e.g. +07:00."), field=name)
    return value


def report_filter(params: QueryParams) -> ReportFilter:
    unknown = set(params) - KNOWN
    if unknown:
        raise Invalid(_("Unknown parameter {name}; known: {known}."), field=sorted(unknown)[0],
                      name=sorted(unknown)[0], known=", ".join(sorted(KNOWN)))
    try:
        statuses = [Status(s) for s in comma_list(params, "status")]
    except ValueError:
        raise Invalid(_("status is one of {statuses}."), field="status",
                      statuses=", ".join(s.value for s in Status)) from None
    overdue = params.get("overdue")
    if overdue not in (None, "true", "false"):
        raise Invalid(_("overdue is true or false."), field="overdue")
    bbox = _floats(params, "bbox", 4)
    near = _floats(params, "near", 3)
    return ReportFilter(
        statuses=statuses,
        category_ids=decode_ids(comma_list(params, "categoryId"), "Category", "categoryId"),
        agency_ids=decode_ids(comma_list(params, "agencyId"), "Agency", "agencyId"),
        text=params.get("text"),
        bbox=BBox(*bbox) if bbox else None,
        near=Near(*near) if near else None,
        submitted_after=_instant(params, "submittedAfter"),
        submitted_before=_instant(params, "submittedBefore"),
        overdue=None if overdue is None else overdue == "true",
    )
