"""Bus messages: small JSON strings carrying ids, never personal data. They only wake the
hubs up; the events themselves are read from the database."""

from __future__ import annotations

from typing import Any

import orjson

from models.orm.reports import ReportEvent

REPORT_EVENTS = "report-events"


def encode(event: ReportEvent) -> str:
    payload: dict[str, Any] = {
        "seq": event.id,
        "reportId": event.report_id,
        "kind": event.kind.value,
        "agencyId": event.agency_id,
        "toStatus": event.to_status.value if event.to_status else None,
    }
    return orjson.dumps(payload).decode()

