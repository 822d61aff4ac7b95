"""Webhook endpoints and deliveries as the IOC sees them (models/actions/webhooks.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from models.messages import render
from models.orm.webhooks import WebhookDelivery as DeliveryRow
from models.orm.webhooks import WebhookEndpoint as EndpointRow
from schema.declared import max_items
from schema.enums import EventKind, WebhookDeliveryStatus
from schema.errors import UserError
from schema.payloads import errors_field
from schema.relay import Node, to_global_id


@strawberry.type(description="Where an agency's system receives events (Standard Webhooks). "
                 "The secret is shown once, when created or rotated.")
class WebhookEndpoint(Node):
    url: str
    description: str
    agency_id: strawberry.ID | None = strawberry.field(
        description="Whose events, as that agency's staff sees them; null: every event, as "
        "the IOC sees them.")
    kinds: list[EventKind] = strawberry.field(
        description="The kinds it receives; empty: every kind.", metadata=max_items(30))
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    rotating: bool = strawberry.field(
        description="A rotated-out secret still signs beside the new one (for a day).")

    @classmethod
    def from_row(cls, row: EndpointRow, now: datetime) -> Self:
        return cls(
            id=to_global_id("WebhookEndpoint", row.id), url=row.url, description=row.description,
            agency_id=(strawberry.ID(to_global_id("Agency", row.agency_id))
                       if row.agency_id is not None else None),
            kinds=[EventKind(k) for k in row.kinds], created_at=row.created_at,
            disabled_at=row.disabled_at,
            disabled_reason=render(row.disabled_reason) if row.disabled_reason else None,
            rotating=bool(row.previous_secret and row.previous_until
                          and row.previous_until > now))


@strawberry.type(description="One message to one endpoint, with its attempts so far.")
class WebhookDelivery(Node):
    message_id: str = strawberry.field(description="The webhook-id header: the same on every "
                                       "attempt, for the receiver to de-duplicate.")
    event_seq: int | None = strawberry.field(description="The event it carries; null: a test.")
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    created_at: datetime
    finished_at: datetime | None
    payload: str = strawberry.field(description="The JSON body sent.")

    @classmethod
    def from_row(cls, row: DeliveryRow) -> Self:
        status = WebhookDeliveryStatus(row.status)
        return cls(
            id=to_global_id("WebhookDelivery", row.id), message_id=row.message_id,
            event_seq=row.event_id, status=status, attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if status is WebhookDeliveryStatus.PENDING
            else None, last_status_code=row.last_status_code, last_error=row.last_error,
            last_duration_ms=row.last_duration_ms, created_at=row.created_at,
            finished_at=row.finished_at, payload=row.payload)


@strawberry.input
class CreateWebhookEndpointInput:
    url: str
    description: str = strawberry.field(description="Whose system it is, e.g. its name.")
    agency_id: strawberry.ID | None = None
    kinds: list[EventKind] = strawberry.field(default_factory=list, metadata=max_items(30))


@strawberry.input
class WebhookEndpointIdInput:
    id: strawberry.ID


@strawberry.input
class SetWebhookEndpointEnabledInput:
    id: strawberry.ID
    enabled: bool


@strawberry.input
class WebhookDeliveryIdInput:
    id: strawberry.ID


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None, description="The signing secret (whsec_…), shown this once.")
    errors: list[UserError] = errors_field()


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[UserError] = errors_field()
