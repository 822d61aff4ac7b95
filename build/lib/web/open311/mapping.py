"""Our categories and reports as Open311 services and service requests. Never personal data:
no reporter, no caller contact, no original text (the IOC may have edited names out of it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from media.urls import media_url
from models.deps import Deps
from models.enums import AgencyKind, MediaKind, Status
from models.orm.directory import Agency, Category
from models.orm.reports import Media, Report
from models.rules.calendar import rfc3339
from models.rules.lifecycle import OPEN_STATUSES
from models.rules.policy import media_is_public, result_published

OPEN, CLOSED = "open", "closed"
GROUPS = {AgencyKind.GOVERNMENT: "Cơ quan nhà nước", AgencyKind.BUSINESS: "Doanh nghiệp"}


def open311_status(status: Status) -> str:
    """`open` until the result is published (every status before RESOLVED), `closed` after,
    and for rejected and merged reports."""
    return OPEN if status in OPEN_STATUSES else CLOSED


def statuses_for(names: Sequence[str]) -> list[Status]:
    wanted = set(names)
    return [s for s in Status if open311_status(s) in wanted]


def when(value: datetime | None) -> str | None:
    """ISO 8601 with Huế's offset, to the second: 2026-11-23T10:00:00+07:00."""
    return rfc3339(value) if value else None


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name,
        "metadata": False,  # no extra attributes: a description, a place and a photo suffice
        "type": "realtime",
        "keywords": "",
        "group": GROUPS[category.agency_kind],
    }


def definition(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": []}


def first_photos(media: Sequence[Media]) -> dict[int, Media]:
    """The first photo of each report's evidence (not of the agency's result)."""
    first: dict[int, Media] = {}
    for m in sorted(media, key=lambda m: m.id):
        if m.report_id is not None and m.kind is MediaKind.IMAGE and not m.is_result:
            first.setdefault(m.report_id, m)
    return first


def request(report: Report, *, categories: dict[int, Category], agencies: dict[int, Agency],
            photo: Media | None, base_url: str, deps: Deps) -> dict[str, Any]:
    category = categories.get(report.category_id) if report.category_id else None
    agency = agencies.get(report.agency_id) if report.agency_id else None
    published = result_published(report.facts)
    photo_url = None
    if photo is not None:
        photo_url = base_url + media_url(photo.storage_key,
                                         public=media_is_public(report.facts, photo.is_result),
                                         secret=deps.secret_key, now=deps.now())
    return {
        "service_request_id": report.code,
        "status": open311_status(report.status),
        "status_notes": report.result_text if published else None,
        "service_name": category.name if category else None,
        "service_code": category.code if category else None,
        "description": report.description,
        "agency_responsible": agency.name if agency else None,
        "service_notice": None,
        "requested_datetime": when(report.submitted_at),
        "updated_datetime": when(report.updated_at),
        "expected_datetime": when(report.due_at),
        "address": report.address,
        "address_id": None,
        "zipcode": None,
        "lat": report.latitude,
        "long": report.longitude,
        "media_url": photo_url,
    }
