"""Event payloads on the bus: small JSON strings carrying ids, never personal data."""

from __future__ import annotations

from typing import Any

import orjson

from models.report import ReportEvent

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


def decode(message: str | bytes) -> dict[str, Any]:
    data = orjson.loads(message)
    if not isinstance(data, dict):
        raise ValueError("event payload must be a JSON object")
    return data
