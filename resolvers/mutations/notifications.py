"""A person's notification choices, addresses and devices (models/actions/notifications.py)."""

from __future__ import annotations

import strawberry

from models.actions import notifications
from models.orm.notifications import NotificationSettings as SettingsRow
from resolvers.mutations.base import mutation
from schema.context import Info
from schema.notifications import (
    AddPushDeviceInput,
    NotificationSettings,
    NotificationSettingsPayload,
    PushDevice,
    PushDevicePayload,
    RemovePushDeviceInput,
    SetNotificationEmailInput,
    UpdateNotificationSettingsInput,
    VerifyNotificationEmailInput,
)
from schema.relay import decode_id


async def shown(info: Info, row: SettingsRow) -> NotificationSettingsPayload:
    devices = await notifications.push_subscriptions(row.user_id)
    return NotificationSettingsPayload(
        settings=NotificationSettings.from_row(row, devices, info.context.deps))


@strawberry.type
class NotificationMutation:
    @mutation(description="Choose what I am told about my reports when the app is closed, on "
              "which channels, and quiet hours.")
    async def update_notification_settings(
        self, info: Info, input: UpdateNotificationSettingsInput
    ) -> NotificationSettingsPayload:
        c = info.context
        row = await notifications.update_settings(
            c.deps, c.viewer, kinds=input.kinds, channels=input.channels,
            quiet_start=input.quiet_hours_start, quiet_end=input.quiet_hours_end,
            language=input.language)
        return await shown(info, row)

    @mutation(description="Give (or forget) my e-mail address; a link to confirm it is sent "
              "to it, and nothing else until it is opened.")
    async def set_notification_email(
        self, info: Info, input: SetNotificationEmailInput
    ) -> NotificationSettingsPayload:
        c = info.context
        return await shown(info, await notifications.set_email(c.deps, c.viewer, input.email))

    @mutation(description="Confirm an e-mail address with the token from the link sent to it "
              "(GET /notifications/verify-email does the same from the link itself).")
    async def verify_notification_email(
        self, info: Info, input: VerifyNotificationEmailInput
    ) -> NotificationSettingsPayload:
        return await shown(info, await notifications.verify_email(info.context.deps,
                                                                  input.token))

    @mutation(description="Register this browser or phone for Web Push (what "
              "PushManager.subscribe() returned, with NotificationSettings.vapidPublicKey).")
    async def add_push_device(self, info: Info, input: AddPushDeviceInput) -> PushDevicePayload:
        c = info.context
        row = await notifications.add_push_subscription(
            c.deps, c.viewer, endpoint=input.endpoint, p256dh=input.p256dh, auth=input.auth,
            label=input.label)
        return PushDevicePayload(device=PushDevice.from_row(row))

    @mutation(description="Stop Web Push to one of my devices.")
    async def remove_push_device(
        self, info: Info, input: RemovePushDeviceInput
    ) -> NotificationSettingsPayload:
        c = info.context
        await notifications.remove_push_subscription(c.viewer, decode_id(input.id, "PushDevice"))
        assert c.viewer.user_id is not None
        return await shown(info, await notifications.settings_of(c.viewer.user_id,
                                                                 c.deps.now()))
