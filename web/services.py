"""The long-lived services of a process that the settings decide, for the server and the
command line alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from media.s3 import S3Storage
from media.service import MediaService, MediaSettings
from media.storage import LocalStorage, Storage
from models.actions.changes import MAX_MEDIA_PER_REPORT
from models.deps import Deps, Publisher, utc_now
from models.enums import NotificationChannel
from models.memos import DirectoryMemo, SessionMemo
from models.rules.calendar import vietnam
from models.throttle import Throttle
from realtime.notifications import (
    EmailNotifier,
    NotificationWorker,
    PushNotifier,
    vapid_public_key,
)
from realtime.webhooks import WebhookWorker
from resolvers.build import SchemaOptions
from web.middleware.flood import FloodCounter
from web.settings import Settings

UPLOAD_OVERHEAD_BYTES = 1024 * 1024  # the operation, the map and multipart framing


def make_deps(settings: Settings, publish: Publisher,
              clock: Callable[[], datetime] | None = None,
              changed: Callable[[], None] | None = None) -> Deps:
    return Deps(
        calendar=vietnam(settings.extra_days_off, settings.extra_working_days),
        publish=publish,
        changed=changed or (lambda: None),
        clock=clock or utc_now,
        secret_key=settings.secret_key,
        token_ttl_days=settings.token_ttl_days,
        comment_interval_seconds=settings.comment_interval_seconds,
        throttle=Throttle(settings.rate_limit_storage_uri, dict(settings.rate_limits)),
        sessions=SessionMemo(settings.session_cache_seconds),
        directory=DirectoryMemo(settings.directory_cache_seconds),
        notification_channels=(
            *((NotificationChannel.PUSH,) if settings.vapid_private_key else ()),
            *((NotificationChannel.EMAIL,) if settings.smtp_url else ())),
        vapid_public_key=(vapid_public_key(settings.vapid_private_key)
                          if settings.vapid_private_key else None),
    )


def outbox_senders(settings: Settings, deps: Deps) -> tuple[WebhookWorker | None,
                                                             NotificationWorker | None]:
    """The senders of webhooks and notifications in this process (None: it sends none)."""
    webhooks = (WebhookWorker(deps, interval=settings.webhook_poll_seconds,
                              timeout=settings.webhook_timeout_seconds,
                              allow_private=settings.webhooks_allow_private,
                              retry_scale=settings.webhook_retry_scale)
                if settings.webhook_poll_seconds > 0 else None)
    notifiers: list[PushNotifier | EmailNotifier] = []
    if settings.vapid_private_key:
        notifiers.append(PushNotifier(private_key=settings.vapid_private_key,
                                      subject=settings.vapid_subject,
                                      timeout=settings.notification_timeout_seconds,
                                      allow_private=settings.notifications_allow_private))
    if settings.smtp_url:
        notifiers.append(EmailNotifier(smtp_url=settings.smtp_url, sender=settings.mail_from,
                                       timeout=settings.notification_timeout_seconds))
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    notices = (NotificationWorker(deps, notifiers, interval=settings.notification_poll_seconds,
                                  base_url=base, timeout=settings.notification_timeout_seconds)
               if notifiers and settings.notification_poll_seconds > 0 else None)
    return webhooks, notices


def flood_counter(settings: Settings, throttle: Throttle) -> FloodCounter | None:
    """The per-IP request limit from the same rule table (`requests_ip`), counted in memory
    and merged through Redis when the rate limits live there; None when switched off."""
    item = throttle.items.get("requests_ip")
    if item is None:
        return None
    storage = settings.rate_limit_storage_uri
    redis_url = storage.removeprefix("async+") if storage.startswith("async+redis") else None
    return FloodCounter(item.amount, item.get_expiry(), redis_url)


def media_service(settings: Settings) -> MediaService:
    root = Path(settings.media_dir)
    storage: Storage = LocalStorage(root)
    if settings.media_store:
        storage = S3Storage(settings.media_store, settings.media_s3_access_key_id,
                            settings.media_s3_secret_access_key,
                            settings.media_signed_url_seconds)
    return MediaService(storage, root / ".incoming", MediaSettings(
        image_max_bytes=settings.media_image_max_bytes,
        image_max_pixels=settings.media_image_max_pixels,
        video_max_bytes=settings.media_video_max_bytes,
        max_files=MAX_MEDIA_PER_REPORT,
        max_field_bytes=settings.max_body_bytes,
        unattached=timedelta(hours=settings.media_unattached_hours),
        ffmpeg=settings.ffmpeg,
    ))


def upload_max_bytes(settings: Settings) -> int:
    return settings.media_video_max_bytes + UPLOAD_OVERHEAD_BYTES


def schema_options(settings: Settings) -> SchemaOptions:
    return SchemaOptions(
        introspection=settings.introspection, max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases, max_tokens=settings.max_tokens,
        max_nodes=settings.max_query_nodes, max_fields=settings.max_operation_fields,
        max_seconds=settings.max_operation_seconds, compiled_lists=settings.compiled_lists,
        projected_lists=settings.projected_lists,
    )
