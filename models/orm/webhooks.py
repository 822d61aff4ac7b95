"""Outbound webhooks: the endpoints agencies' systems registered, and their deliveries, made
from the timeline's events by the outbox cursor (models/actions/webhooks.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index

from models.orm.rows import Stored


class WebhookEndpoint(Stored):
    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200)
    # The agency whose events it receives, as that agency's staff sees them; null: every event,
    # as the IOC sees them.
    agency_id = fields.IntField(null=True)
    kinds: list[str] = fields.JSONField(default=list)  # EventKind values; empty: every kind
    # Kept as given: the sender signs with it (Standard Webhooks' whsec_ secret).
    secret = fields.CharField(max_length=100)
    previous_secret = fields.CharField(max_length=100, null=True)  # still signs until...
    previous_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    # Events up to this seq were committed before it existed: it does not receive them.
    from_event_id = fields.BigIntField(default=0)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "webhook_endpoint"


class WebhookDelivery(Stored):
    id = fields.IntField(primary_key=True)
    endpoint_id = fields.IntField()
    event_id = fields.IntField(null=True)  # null: a test event
    message_id = fields.CharField(max_length=64, unique=True)  # webhook-id: stable on retries
    payload = fields.TextField()
    status = fields.CharField(max_length=10, default="PENDING")  # PENDING, SUCCEEDED, FAILED
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)  # a worker is sending it until then
    claim = fields.CharField(max_length=16, null=True)  # which claim: one UPDATE claims many
    last_status_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    last_duration_ms = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
        indexes = (Index(fields=("status", "next_attempt_at")),
                   Index(fields=("endpoint_id", "id")))
