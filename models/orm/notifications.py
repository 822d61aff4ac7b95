"""Citizens' notifications when not connected: what each user opted in to, the browsers and
phones they registered for Web Push, and the outbox of messages (models/actions/notifications.py).
The e-mail address is personal data like the phone: it is read only to send to its owner."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index

from models.orm.rows import Stored


class NotificationSettings(Stored):
    user_id = fields.IntField(primary_key=True)
    kinds: list[str] = fields.JSONField(default=list)  # NotificationKind values opted in to
    channels: list[str] = fields.JSONField(default=list)  # NotificationChannel values
    email = fields.CharField(max_length=254, null=True)
    email_verified_at = fields.DatetimeField(null=True)
    # Local hours (Asia/Ho_Chi_Minh) in which nothing is sent: held until the end. None: none.
    quiet_start = fields.SmallIntField(null=True)
    quiet_end = fields.SmallIntField(null=True)
    language = fields.CharField(max_length=5, default="vi")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "notification_settings"


class PushSubscription(Stored):
    """A browser's PushSubscription (endpoint and keys), as the Push API hands it out."""

    id = fields.IntField(primary_key=True)
    user_id = fields.IntField(db_index=True)
    endpoint = fields.CharField(max_length=1000, unique=True)
    p256dh = fields.CharField(max_length=200)
    auth = fields.CharField(max_length=100)
    label = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()

    class Meta:
        table = "push_subscription"


class Notification(Stored):
    id = fields.IntField(primary_key=True)
    # One message per event, person and address: making it twice is refused by the database.
    key = fields.CharField(max_length=100, unique=True)
    user_id = fields.IntField()
    event_id = fields.BigIntField(null=True)  # null: an address check
    kind = fields.CharField(max_length=30)  # a NotificationKind, or VERIFY_EMAIL
    channel = fields.CharField(max_length=10)
    target_id = fields.IntField(null=True)  # the PushSubscription, for PUSH
    payload = fields.TextField()  # {"title", "body", "lang", "path"}, in the user's language
    status = fields.CharField(max_length=10, default="PENDING")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    claim = fields.CharField(max_length=16, null=True)  # which claim: one UPDATE claims many
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        indexes = (Index(fields=("status", "next_attempt_at")), Index(fields=("user_id", "id")))
