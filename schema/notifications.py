"""A person's own notification choices (models/actions/notifications.py): only they see them."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from models.deps import Deps
from models.orm.notifications import NotificationSettings as SettingsRow
from models.orm.notifications import PushSubscription as SubscriptionRow
from schema.declared import max_items
from schema.enums import NotificationChannel, NotificationKind
from schema.errors import UserError
from schema.payloads import errors_field
from schema.relay import Node, to_global_id


@strawberry.type(description="A browser or phone that receives Web Push notifications.")
class PushDevice(Node):
    label: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: SubscriptionRow) -> Self:
        return cls(id=to_global_id("PushDevice", row.id), label=row.label,
                   created_at=row.created_at)


@strawberry.type(description="What I am told about my reports when the app is closed: nothing "
                 "until I choose kinds and channels. E-mail goes only to an address I "
                 "confirmed with the link sent to it.")
class NotificationSettings:
    kinds: list[NotificationKind] = strawberry.field(metadata=max_items(10))
    channels: list[NotificationChannel] = strawberry.field(metadata=max_items(10))
    email: str | None
    email_verified: bool
    quiet_hours_start: int | None = strawberry.field(
        description="Local hour (0–23) from which nothing is sent until quietHoursEnd; what "
        "comes meanwhile is sent then.")
    quiet_hours_end: int | None
    language: str = strawberry.field(description="vi or en.")
    devices: list[PushDevice] = strawberry.field(metadata=max_items(10))
    available_channels: list[NotificationChannel] = strawberry.field(
        description="The channels this service sends on.", metadata=max_items(10))
    vapid_public_key: str | None = strawberry.field(
        description="The applicationServerKey to subscribe with (PushManager.subscribe); "
        "null: no Web Push here.")

    @classmethod
    def from_row(cls, row: SettingsRow, devices: list[SubscriptionRow], deps: Deps) -> Self:
        return cls(
            kinds=[NotificationKind(k) for k in row.kinds],
            channels=[NotificationChannel(c) for c in row.channels], email=row.email,
            email_verified=row.email_verified_at is not None,
            quiet_hours_start=row.quiet_start, quiet_hours_end=row.quiet_end,
            language=row.language, devices=[PushDevice.from_row(d) for d in devices],
            available_channels=list(deps.notification_channels),
            vapid_public_key=deps.vapid_public_key)


@strawberry.input
class UpdateNotificationSettingsInput:
    kinds: list[NotificationKind] = strawberry.field(metadata=max_items(10))
    channels: list[NotificationChannel] = strawberry.field(metadata=max_items(10))
    quiet_hours_start: int | None = None
    quiet_hours_end: int | None = None
    language: str | None = None


@strawberry.input
class SetNotificationEmailInput:
    email: str | None = strawberry.field(description="null or empty: forget the address.")


@strawberry.input
class VerifyNotificationEmailInput:
    token: str


@strawberry.input
class AddPushDeviceInput:
    endpoint: str = strawberry.field(description="PushSubscription.endpoint")
    p256dh: str = strawberry.field(description="PushSubscription.getKey('p256dh'), base64url")
    auth: str = strawberry.field(description="PushSubscription.getKey('auth'), base64url")
    label: str | None = strawberry.field(default=None, description="e.g. 'Điện thoại'")


@strawberry.input
class RemovePushDeviceInput:
    id: strawberry.ID


@strawberry.type
class NotificationSettingsPayload:
    settings: NotificationSettings | None = None
    errors: list[UserError] = errors_field()


@strawberry.type
class PushDevicePayload:
    device: PushDevice | None = None
    errors: list[UserError] = errors_field()
