"""Outbound webhooks, as the Standard Webhooks spec defines them (standardwebhooks.org).

The IOC (operators and admins) registers an endpoint for an agency's system: a URL, the event
kinds it wants (none: every kind) and the agency whose events it receives, as that agency's
staff sees them; without an agency, every event as the IOC sees them. The reporter's personal
data is never in a payload. The secret is shown once; rotating it keeps the old one signing
beside the new for a day, so the receiver can switch without losing a delivery.

Nothing is lost: the timeline is the outbox. Each event is written in the same transaction as
its change; `prepare` turns the events committed since its cursor into deliveries
(`WebhookDelivery`, one per endpoint that wants the event) in the transaction that moves the
cursor (actions/outbox.py), so each event becomes its deliveries exactly once and a mutation
pays nothing for webhooks. `data.report` is the report as it was when the delivery was
prepared (a moment after the event); `data.toStatus` is the event's own. A worker in every
process (realtime/webhooks.py) prepares, then claims due deliveries, at most one process
per delivery (a claim is a conditional update with a lease), sends them with a short timeout,
and retries with backoff and jitter for about a day (rules/webhooks.py), then marks them
failed. A receiver sees each message at least once, always with the same `webhook-id`, and
de-duplicates by it. An endpoint whose deliveries have all failed for a day is disabled, with
the reason, for the IOC to see and enable again.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from models.actions import outbox
from models.deps import Deps
from models.enums import EventKind, Role, WebhookDeliveryStatus
from models.errors import Forbidden, Invalid, NotFound, Unauthenticated
from models.messages import _
from models.orm.directory import Agency
from models.orm.reports import Report, ReportEvent
from models.orm.webhooks import WebhookDelivery, WebhookEndpoint
from models.queries.timeline import newest_event_id
from models.rules import policy
from models.rules.text import clean
from models.rules.webhooks import DISABLE_AFTER, next_delay, wants

MAX_ENDPOINTS = 200
ROTATION_OVERLAP = timedelta(days=1)
CURSOR = "webhooks"
# A claimed delivery is another worker's again after this; a worker claims for its own
# timeout plus a margin (realtime/webhooks.py), since an attempt cannot last longer.
LEASE = timedelta(seconds=60)
PENDING, SUCCEEDED, FAILED = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.SUCCEEDED,
                              WebhookDeliveryStatus.FAILED)


def require_manager(viewer: policy.Viewer) -> None:
    if not viewer.signed_in:
        raise Unauthenticated(_("Sign in first."))
    if not viewer.is_center:
        raise Forbidden(_("Only the IOC manages webhooks."))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str) -> str:
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(text) > 2000:
        raise Invalid(_("Give an http or https URL."), field="url")
    if parts.username or parts.password:
        raise Invalid(_("Credentials do not belong in the URL; the signature authenticates."),
                      field="url")
    return text


async def create_endpoint(deps: Deps, viewer: policy.Viewer, url: str, description: str,
                          kinds: Sequence[EventKind], agency_id: int | None
                          ) -> tuple[WebhookEndpoint, str]:
    require_manager(viewer)
    label = clean(description, field="description", max_length=200, min_length=2)
    assert label is not None
    if agency_id is not None and not await Agency.exists(id=agency_id):
        raise NotFound(_("No such agency."), field="agencyId")
    if await WebhookEndpoint.all().count() >= MAX_ENDPOINTS:
        raise Invalid(_("There can be at most {count} endpoints."), field="url",
                      count=MAX_ENDPOINTS)
    secret = new_secret()
    row = await WebhookEndpoint.create(
        url=check_url(url), description=label, agency_id=agency_id,
        kinds=sorted({k.value for k in kinds}), secret=secret, created_at=deps.now(),
        from_event_id=await newest_event_id())
    return row, secret


async def endpoint(endpoint_id: int) -> WebhookEndpoint:
    row = await WebhookEndpoint.get_or_none(id=endpoint_id)
    if row is None:
        raise NotFound(_("No such webhook endpoint."), field="id")
    return row


async def rotate_secret(deps: Deps, viewer: policy.Viewer, endpoint_id: int
                        ) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one keeps signing beside it for ROTATION_OVERLAP."""
    require_manager(viewer)
    row = await endpoint(endpoint_id)
    secret = new_secret()
    row.previous_secret, row.previous_until = row.secret, deps.now() + ROTATION_OVERLAP
    row.secret = secret
    await row.save(update_fields=["secret", "previous_secret", "previous_until"])
    return row, secret


async def set_enabled(deps: Deps, viewer: policy.Viewer, endpoint_id: int,
                      enabled: bool) -> WebhookEndpoint:
    require_manager(viewer)
    row = await endpoint(endpoint_id)
    row.disabled_at = None if enabled else deps.now()
    # Kept as the English template, shown in the reader's language (schema/webhooks.py).
    row.disabled_reason = None if enabled else _("Disabled by the IOC.")
    await row.save(update_fields=["disabled_at", "disabled_reason"])
    return row


async def list_endpoints(viewer: policy.Viewer) -> list[WebhookEndpoint]:
    require_manager(viewer)
    return await WebhookEndpoint.all().order_by("id").limit(MAX_ENDPOINTS)


async def list_deliveries(viewer: policy.Viewer, endpoint_id: int, status: str | None,
                          limit: int) -> list[WebhookDelivery]:
    require_manager(viewer)
    qs = WebhookDelivery.filter(endpoint_id=endpoint_id)
    if status is not None:
        qs = qs.filter(status=status)
    return await qs.order_by("-id").limit(limit)


async def redeliver(deps: Deps, viewer: policy.Viewer, delivery_id: int) -> WebhookDelivery:
    """Send again (same message id), at once and with a fresh schedule of attempts."""
    require_manager(viewer)
    row = await WebhookDelivery.get_or_none(id=delivery_id)
    if row is None:
        raise NotFound(_("No such delivery."), field="id")
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, deps.now()
    row.claimed_until = row.finished_at = None
    await row.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until",
                                  "finished_at"])
    return row


async def send_test(deps: Deps, viewer: policy.Viewer, endpoint_id: int) -> WebhookDelivery:
    require_manager(viewer)
    row = await endpoint(endpoint_id)
    now = deps.now()
    body = {"type": "webhook.test", "timestamp": now.isoformat(),
            "data": {"endpointId": row.id, "description": row.description}}
    return await WebhookDelivery.create(
        endpoint_id=row.id, event_id=None, message_id=f"msg_test_{secrets.token_hex(12)}",
        payload=orjson.dumps(body).decode(), next_attempt_at=now, created_at=now)


# --- the outbox --------------------------------------------------------------------------------


def payload(event: ReportEvent, report: Report, agency_id: int | None) -> dict[str, Any]:
    """The event as the endpoint's audience sees it: that agency's staff, or the IOC; never the
    reporter's name, phone or original text."""
    audience = (policy.Viewer(user_id=0, role=Role.AGENCY_STAFF, agency_id=agency_id)
                if agency_id is not None else policy.Viewer(user_id=0, role=Role.IOC_OPERATOR))
    show_note = policy.can_see_event_note(audience, event.kind, report.facts)
    return {
        "type": f"report.{event.kind.value.lower()}",
        "timestamp": event.at.isoformat(),
        "data": {
            "seq": event.id, "kind": event.kind.value,
            "fromStatus": event.from_status.value if event.from_status else None,
            "toStatus": event.to_status.value if event.to_status else None,
            "note": event.note if show_note else None, "agencyId": event.agency_id,
            "report": {"id": report.id, "code": report.code, "title": report.title,
                       "status": report.status.value, "dueAt": report.due_at.isoformat(),
                       "agencyId": report.agency_id, "categoryId": report.category_id},
        },
    }


async def prepare() -> int:
    """Deliveries for the events committed since the last call, written in the transaction
    that moves the webhooks' outbox cursor past them (actions/outbox.py); how many events."""
    return await outbox.advance(CURSOR, _write_deliveries)


async def _write_deliveries(conn: BaseDBAsyncClient, events: Sequence[ReportEvent]) -> None:
    endpoints = await WebhookEndpoint.filter(disabled_at=None).using_db(conn)
    wanted = [(e, ep) for e in events for ep in endpoints
              if e.id > ep.from_event_id and wants(ep.kinds, e.kind)
              and (ep.agency_id is None or ep.agency_id == e.agency_id)]
    if not wanted:
        return
    reports = {r.id: r for r in await Report.filter(
        id__in={e.report_id for e, _ in wanted}).using_db(conn)}
    await WebhookDelivery.bulk_create([
        WebhookDelivery(endpoint_id=ep.id, event_id=e.id, message_id=f"msg_{e.id}_{ep.id}",
                        payload=orjson.dumps(payload(e, reports[e.report_id], ep.agency_id)
                                             ).decode(),
                        next_attempt_at=e.at, created_at=e.at)
        for e, ep in wanted if e.report_id in reports], using_db=conn)


async def claim_due(now: datetime, limit: int, lease: timedelta = LEASE
                    ) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Deliveries due now to enabled endpoints, each claimed for `lease` by one process."""
    enabled = await WebhookEndpoint.filter(disabled_at=None).values_list("id", flat=True)
    if not enabled:
        return []
    claimed = await outbox.claim(WebhookDelivery, Q(
        status=PENDING, next_attempt_at__lte=now, endpoint_id__in=list(enabled)),
        now, limit, lease)
    endpoints = {e.id: e for e in await WebhookEndpoint.filter(
        id__in={row.endpoint_id for row in claimed})}
    return [(row, endpoints[row.endpoint_id]) for row in claimed if row.endpoint_id in endpoints]


async def record(delivery: WebhookDelivery, endpoint_row: WebhookEndpoint, now: datetime, *,
                 ok: bool, status_code: int | None, error: str | None, duration_ms: int,
                 retry_scale: float = 1.0) -> WebhookDelivery:
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_duration_ms = status_code, duration_ms
    delivery.last_error = (error or "")[:500] or None
    delivery.claimed_until = None
    if ok:
        delivery.status, delivery.finished_at = SUCCEEDED, now
    else:
        delay = next_delay(delivery.attempts, retry_scale)
        if delay is None:
            delivery.status, delivery.finished_at = FAILED, now
        else:
            delivery.next_attempt_at = now + delay
    await delivery.save(update_fields=[
        "attempts", "last_status_code", "last_duration_ms", "last_error", "claimed_until",
        "status", "finished_at", "next_attempt_at"])
    if not ok:
        await _disable_if_failing(endpoint_row, now)
    return delivery


async def _disable_if_failing(row: WebhookEndpoint, now: datetime) -> None:
    """Disabled when nothing reached it for DISABLE_AFTER although something was due then."""
    if row.disabled_at is not None:
        return
    since = now - DISABLE_AFTER
    if await WebhookDelivery.filter(endpoint_id=row.id, status=SUCCEEDED,
                                    finished_at__gte=since).exists():
        return
    if not await WebhookDelivery.filter(endpoint_id=row.id, created_at__lte=since).exclude(
            status=SUCCEEDED).exists():
        return
    row.disabled_at = now
    row.disabled_reason = _("Every delivery failed for a day; fix the receiver and enable "
                            "the endpoint again.")
    await row.save(update_fields=["disabled_at", "disabled_reason"])


def signing_secrets(row: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a message is signed with: the current one, and the previous one during a
    rotation's overlap (the webhook-signature header then carries both signatures)."""
    found = [row.secret]
    if row.previous_secret and row.previous_until and row.previous_until > now:
        found.append(row.previous_secret)
    return found
