"""`GET /export/reports.geojson` (public reports, anyone) and `GET /export/reports.csv` (every
report, IOC only; `reports.xlsx` is the same as a workbook, web/exports/xlsx.py). Both stream in
keyset batches, so memory stays flat whatever the number of reports, and neither carries
personal data (reporter, caller contact, original text)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from models.messages import t
from models.orm.reports import report_code
from models.rules.lifecycle import is_overdue
from models.rules.policy import ANONYMOUS
from schema.relay import to_global_id
from web.exports.source import CSV_HEADER, ioc_export, line, local, names, prepare, rows


async def reports_geojson(request: Request) -> Response:
    prepared = prepare(request, ANONYMOUS)
    if isinstance(prepared, Response):
        return prepared
    deps, f = prepared
    now = deps.now()
    categories, agencies = await names()

    async def body() -> AsyncIterator[bytes]:
        yield b'{"type":"FeatureCollection","features":['
        first = True
        async for row in rows(ANONYMOUS, f, now):
            located = row["latitude"] is not None and row["longitude"] is not None
            feature = {
                "type": "Feature",
                "id": to_global_id("Report", row["id"]),
                "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
                if located else None,
                "properties": _public_properties(row, categories, agencies, now),
            }
            yield (b"" if first else b",") + orjson.dumps(feature)
            first = False
        yield b"]}"

    return StreamingResponse(body(), media_type="application/geo+json", headers={
        "Content-Disposition": 'inline; filename="reports.geojson"',
        "X-Content-Type-Options": "nosniff"})


def _public_properties(row: dict[str, Any], categories: dict[int, str], agencies: dict[int, str],
                       now: datetime) -> dict[str, Any]:
    return {
        "code": report_code(row["id"], row["submitted_at"]),
        "title": row["title"], "description": row["description"], "status": row["status"],
        "category": categories.get(row["category_id"]), "agency": agencies.get(row["agency_id"]),
        "address": row["address"], "submittedAt": local(row["submitted_at"]),
        "dueAt": local(row["due_at"]), "resolvedAt": local(row["resolved_at"]),
        "overdue": is_overdue(row["status"], row["due_at"], now), "onTime": row["on_time"],
        "extended": row["extended"], "supportCount": row["support_count"],
        "commentCount": row["comment_count"], "satisfaction": row["satisfaction"],
    }


async def reports_csv(request: Request) -> Response:
    export = await ioc_export(request, t("The CSV export is for the IOC."))
    if isinstance(export, Response):
        return export

    async def body() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> bytes:
            data = buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            return data

        writer.writerow(CSV_HEADER)
        yield "\ufeff".encode() + flush()  # the BOM tells Excel the file is UTF-8
        n = 0
        async for row in rows(export.viewer, export.filter, export.now):
            writer.writerow([cell(v) for v in line(row, export.categories, export.agencies,
                                                   export.now, local)])
            n += 1
            if n % 200 == 0:
                yield flush()
        yield flush()

    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="reports.csv"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A spreadsheet runs a cell that starts like a formula: such text gets a leading quote
    (OWASP's rule), so the IOC opening the file sees it and runs nothing."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
