"""Citizens' notifications when not connected (rules/notifications.py says who hears what).

Opt-in: nothing is sent until a person chooses kinds and channels (`update_settings`), and
e-mail only to an address they confirmed by a link sent to it (`set_email`, `verify_email`).
Every e-mail carries a link that turns e-mail off without signing in (`unsubscribe`).

Nothing lost, nothing twice: the timeline is the outbox (actions/outbox.py). `prepare` turns
events committed since its cursor into `Notification` rows (one per event, person and address,
unique by key) in the transaction that moves the cursor; quiet hours only move a row's time.
The senders (realtime/notifications.py) claim due rows under a lease, one process per row.
The channels are pluggable: `prepare` asks each configured channel which addresses a person
has (`Targets`), so a further channel (SMS, Zalo OA) is one class beside Web Push and e-mail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from models.actions import outbox
from models.deps import Deps
from models.enums import NotificationChannel, NotificationKind, NotificationStatus, Role
from models.errors import Invalid, NotFound, Unauthenticated
from models.messages import LANGUAGES, _
from models.orm.directory import Agency
from models.orm.notifications import Notification, NotificationSettings, PushSubscription
from models.orm.participation import Comment
from models.orm.reports import Report, ReportEvent
from models.rules import notifications as rules
from models.rules.calendar import TZ
from models.rules.policy import Viewer
from models.rules.text import clean

CURSOR = "notifications"
LEASE = timedelta(seconds=60)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# Per person, the addresses a channel would send to now: a push subscription's id, or None
# for the one address the person has (their e-mail).
Targets = Callable[[BaseDBAsyncClient, Sequence[int]], Awaitable[Mapping[int, list[int | None]]]]


def _require(viewer: Viewer) -> int:
    if viewer.user_id is None or viewer.via_api_key:
        raise Unauthenticated(_("Sign in first."))
    return viewer.user_id


async def settings_of(user_id: int, now: datetime) -> NotificationSettings:
    found = await NotificationSettings.get_or_none(user_id=user_id)
    return found if found is not None else NotificationSettings(user_id=user_id, updated_at=now)


async def update_settings(deps: Deps, viewer: Viewer, *, kinds: Sequence[NotificationKind],
                          channels: Sequence[NotificationChannel], quiet_start: int | None,
                          quiet_end: int | None, language: str | None
                          ) -> NotificationSettings:
    user_id = _require(viewer)
    if not rules.check_quiet_hours(quiet_start, quiet_end):
        raise Invalid(_("Quiet hours are two different hours from 0 to 23, or none."),
                      field="quietHoursStart")
    if language is not None and language not in LANGUAGES:
        raise Invalid(_("Unknown language."), field="language")
    row = await settings_of(user_id, deps.now())
    row.kinds = sorted({k.value for k in kinds})
    row.channels = sorted({c.value for c in channels})
    row.quiet_start, row.quiet_end = quiet_start, quiet_end
    row.language = language or row.language
    row.updated_at = deps.now()
    await row.save()
    return row


def _sign(deps: Deps, purpose: str, *parts: str) -> str:
    text = ".".join((purpose, *parts))
    digest = hmac.new(deps.secret_key.encode(), text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def verification_token(deps: Deps, user_id: int, email: str) -> str:
    return f"{user_id}.{_b64(email)}.{_sign(deps, 'verify', str(user_id), email)}"


def unsubscribe_token(deps: Deps, user_id: int) -> str:
    return f"{user_id}.{_sign(deps, 'unsubscribe', str(user_id))}"


def _check(deps: Deps, token: str, purpose: str, parts: int) -> list[str]:
    pieces = token.split(".")
    if len(pieces) != parts + 1:
        raise Invalid(_("This link is not valid."), field="token")
    try:
        values = [pieces[0], *(_unb64(p) for p in pieces[1:-1])]
    except (ValueError, UnicodeDecodeError):
        raise Invalid(_("This link is not valid."), field="token") from None
    if not values[0].isdigit() or not hmac.compare_digest(
            pieces[-1], _sign(deps, purpose, *values)):
        raise Invalid(_("This link is not valid."), field="token")
    return values


async def set_email(deps: Deps, viewer: Viewer, email: str | None) -> NotificationSettings:
    """A new address (None: forget it), unconfirmed until its owner opens the link sent to it."""
    user_id = _require(viewer)
    row = await settings_of(user_id, deps.now())
    address = (email or "").strip()
    if address:
        local, _at, domain = address.rpartition("@")
        address = f"{local}@{domain.lower()}"
        if len(address) > 254 or not EMAIL.match(address):
            raise Invalid(_("Give an e-mail address."), field="email")
        await deps.throttle.hit("notificationEmail", str(user_id))
    row.email, row.email_verified_at, row.updated_at = address or None, None, deps.now()
    await row.save()
    if address:
        now = deps.now()
        words = rules.verification_words(row.language)
        await Notification.create(
            key=f"verify:{user_id}:{int(now.timestamp() * 1000)}", user_id=user_id,
            event_id=None, kind=rules.VERIFY_EMAIL, channel=NotificationChannel.EMAIL.value,
            payload=orjson.dumps({"title": words.title, "body": words.body,
                                  "lang": row.language,
                                  "path": "/notifications/verify-email?token="
                                  + verification_token(deps, user_id, address)}).decode(),
            next_attempt_at=now, created_at=now)
    return row


async def verify_email(deps: Deps, token: str) -> NotificationSettings:
    user_id, email = _check(deps, token, "verify", 2)
    row = await NotificationSettings.get_or_none(user_id=int(user_id))
    if row is None or row.email != email:
        raise Invalid(_("This link is for an address that is no longer yours here."),
                      field="token")
    if row.email_verified_at is None:
        row.email_verified_at = deps.now()
        await row.save(update_fields=["email_verified_at"])
    return row


async def unsubscribe(deps: Deps, token: str) -> None:
    """E-mail off for the link's owner (RFC 8058 one-click): no sign-in, the link is signed."""
    [user_id] = _check(deps, token, "unsubscribe", 1)
    row = await NotificationSettings.get_or_none(user_id=int(user_id))
    if row is not None and NotificationChannel.EMAIL.value in row.channels:
        row.channels = [c for c in row.channels if c != NotificationChannel.EMAIL.value]
        row.updated_at = deps.now()
        await row.save(update_fields=["channels", "updated_at"])


async def push_subscriptions(user_id: int) -> list[PushSubscription]:
    return await PushSubscription.filter(user_id=user_id).order_by("id")


async def add_push_subscription(deps: Deps, viewer: Viewer, *, endpoint: str, p256dh: str,
                                auth: str, label: str | None) -> PushSubscription:
    """What the browser's `PushManager.subscribe()` gave; the same endpoint again replaces it
    (a browser that changed account now belongs to this one)."""
    user_id = _require(viewer)
    url = (endpoint or "").strip()
    if not url.startswith(("https://", "http://")) or len(url) > 1000:
        raise Invalid(_("Give the subscription's endpoint URL."), field="endpoint")
    keys = {"p256dh": (p256dh or "").strip(), "auth": (auth or "").strip()}
    for name, value in keys.items():
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except ValueError:
            raw = b""
        if len(raw) != (65 if name == "p256dh" else 16):
            raise Invalid(_("The subscription's {name} key is not valid."), field=name,
                          name=name)
    device = clean(label, field="label", max_length=100, required=False) or "Web"
    await deps.throttle.hit("addPushSubscription", str(user_id))
    existing = await PushSubscription.get_or_none(endpoint=url)
    if existing is None and await PushSubscription.filter(user_id=user_id).count() >= (
            rules.MAX_PUSH_SUBSCRIPTIONS):
        raise Invalid(_("At most {count} devices; remove one first."), field="endpoint",
                      count=rules.MAX_PUSH_SUBSCRIPTIONS)
    if existing is not None:
        existing.user_id, existing.p256dh, existing.auth = user_id, keys["p256dh"], keys["auth"]
        existing.label = device
        await existing.save()
        return existing
    return await PushSubscription.create(user_id=user_id, endpoint=url, p256dh=keys["p256dh"],
                                         auth=keys["auth"], label=device, created_at=deps.now())


async def remove_push_subscription(viewer: Viewer, subscription_id: int) -> None:
    user_id = _require(viewer)
    if not await PushSubscription.filter(id=subscription_id, user_id=user_id).delete():
        raise NotFound(_("No such device."), field="id")


# --- the outbox --------------------------------------------------------------------------------


async def prepare(channels: Mapping[NotificationChannel, Targets], now: datetime) -> int:
    """Notifications for the events committed since the last call, on the channels this
    process can send, in the transaction that moves the cursor; how many events. Events
    older than `rules.STALE_AFTER` tell nobody (news of last week is noise: the cursor lags
    when no process sent for a while, e.g. before a channel was set up)."""

    async def write(conn: BaseDBAsyncClient, events: Sequence[ReportEvent]) -> None:
        await _write(conn, [e for e in events if now - e.at <= rules.STALE_AFTER], channels)

    return await outbox.advance(CURSOR, write)


async def _recipients(conn: BaseDBAsyncClient, events: Sequence[ReportEvent],
                      reports: Mapping[int, Report]
                      ) -> list[tuple[ReportEvent, rules.Occasion, int]]:
    found: list[tuple[ReportEvent, rules.Occasion, int]] = []
    replies = {e.comment_id: e for e in events if e.comment_id is not None}
    answered: dict[int, int] = {}  # reply comment id -> the author it answers
    if replies:
        comments = await Comment.filter(id__in=list(replies)).using_db(conn)
        parents = {c.id: c for c in await Comment.filter(
            id__in={c.parent_id for c in comments if c.parent_id}).using_db(conn)}
        for c in comments:
            parent = parents.get(c.parent_id or 0)
            if parent is not None and parent.author_role is Role.CITIZEN:
                answered[c.id] = parent.author_id
    for e in events:
        why = rules.occasion(e.kind, e.note, e.actor_role)
        report = reports.get(e.report_id)
        if why is None or report is None:
            continue
        who = report.reporter_id if why.to_reporter else answered.get(e.comment_id or 0)
        if who is not None and who != e.actor_id:
            found.append((e, why, who))
    return found


async def _write(conn: BaseDBAsyncClient, events: Sequence[ReportEvent],
                 channels: Mapping[NotificationChannel, Targets]) -> None:
    maybe = [e for e in events if rules.occasion(e.kind, e.note, e.actor_role) is not None]
    if not maybe or not channels:
        return
    reports = {r.id: r for r in await Report.filter(
        id__in={e.report_id for e in maybe}).using_db(conn)}
    wanted = await _recipients(conn, maybe, reports)
    if not wanted:
        return
    chosen = {s.user_id: s for s in await NotificationSettings.filter(
        user_id__in={who for _e, _w, who in wanted}).using_db(conn)}
    wanted = [(e, why, who) for e, why, who in wanted
              if who in chosen and why.kind.value in chosen[who].kinds]
    if not wanted:
        return
    agencies = {a.id: a.name for a in await Agency.filter(
        id__in={i for e, _w, _u in wanted for i in (e.agency_id, reports[e.report_id].agency_id)
                if i is not None}).using_db(conn)}
    rows: list[Notification] = []
    for channel, targets in channels.items():
        users = [u for u, s in chosen.items() if channel.value in s.channels]
        addresses = await targets(conn, users) if users else {}
        for e, why, who in wanted:
            s, report = chosen[who], reports[e.report_id]
            words = rules.words(
                why.kind, lang=s.language, code=report.code, title=report.title,
                agency=agencies.get(e.agency_id or report.agency_id or 0),
                due=report.due_at.astimezone(TZ).date())
            payload = orjson.dumps({"title": words.title, "body": words.body,
                                    "lang": s.language,
                                    "path": f"/reports/{report.code}"}).decode()
            when = rules.held_until(e.at, s.quiet_start, s.quiet_end)
            rows += [Notification(
                key=f"{e.id}:{who}:{channel.value}:{target or 0}", user_id=who, event_id=e.id,
                kind=why.kind.value, channel=channel.value, target_id=target, payload=payload,
                next_attempt_at=when, created_at=e.at) for target in addresses.get(who, [])]
    if rows:
        await Notification.bulk_create(rows, using_db=conn)


async def claim_due(now: datetime, channels: Sequence[NotificationChannel], limit: int,
                    lease: timedelta = LEASE) -> list[Notification]:
    """Due rows of these channels, each claimed for `lease` by one process."""
    return await outbox.claim(Notification, Q(
        status=NotificationStatus.PENDING.value, next_attempt_at__lte=now,
        channel__in=[c.value for c in channels]), now, limit, lease)


async def record(row: Notification, now: datetime, *, ok: bool, error: str | None,
                 gone: bool = False) -> None:
    """An attempt's outcome. `gone`: the address no longer exists (a push subscription the
    browser dropped): forgotten, and the message not tried again."""
    row.attempts += 1
    row.claimed_until = None
    row.last_error = (error or "")[:500] or None
    delay = None if ok or gone else rules.next_delay(row.attempts)
    if ok:
        row.status, row.finished_at = NotificationStatus.SENT.value, now
    elif delay is None:
        row.status, row.finished_at = NotificationStatus.FAILED.value, now
    else:
        row.next_attempt_at = now + delay
    await row.save(update_fields=["attempts", "claimed_until", "last_error", "status",
                                  "finished_at", "next_attempt_at"])
    if gone and row.target_id is not None:
        await PushSubscription.filter(id=row.target_id).delete()


def message_of(row: Notification) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads(row.payload)
    return found
