"""Sending citizens' notifications (models/actions/notifications.py decides what and to whom).

A channel is one class with a `channel`, `targets` (a person's addresses on it, for the outbox)
and `send` (one message to one address): `PushNotifier` (Web Push: the message encrypted for
the browser with pywebpush, signed with the server's VAPID key) and `EmailNotifier` (SMTP with
aiosmtplib, plain text, with RFC 8058 one-click unsubscribe). An SMS or Zalo OA channel is a
third such class and an enum value. `NotificationWorker` runs in every process: it prepares
rows for new events, claims due rows under a lease, and sends them.

A push service's URL comes from a browser, so it gets the same SSRF check as a webhook
receiver (realtime/outbound.py) unless NOTIFICATIONS_ALLOW_PRIVATE. A message is sent at least
once; the same row sent again after a sender died mid-way carries the same Topic (push: the
service replaces the undelivered one) and Message-ID (e-mail).
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import ClassVar, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
import httpx
import orjson
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from pywebpush import WebPusher
from tortoise.backends.base.client import BaseDBAsyncClient

from models.actions import notifications, outbox
from models.deps import Deps
from models.enums import NotificationChannel
from models.orm.notifications import Notification, NotificationSettings, PushSubscription
from models.rules.notifications import VERIFY_EMAIL
from realtime.outbound import LEASE_MARGIN_SECONDS, OutboxWorker, refusal

BATCH = 50  # messages in flight per process
PUSH_TTL_SECONDS = 24 * 3600  # a phone that is off gets it when back within a day


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    gone: bool = False  # the address no longer exists: forget it


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str  # where the report is seen
    unsubscribe_url: str
    language: str


class Notifier(Protocol):
    channel: ClassVar[NotificationChannel]

    async def targets(self, conn: BaseDBAsyncClient, user_ids: Sequence[int]
                      ) -> Mapping[int, list[int | None]]: ...

    async def send(self, row: Notification, message: Message) -> Outcome: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


def vapid_public_key(private_key: str) -> str:
    """The applicationServerKey a browser subscribes with, from the private key."""
    raw = Vapid.from_string(private_key).public_key.public_bytes(
        Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class PushNotifier:
    channel: ClassVar[NotificationChannel] = NotificationChannel.PUSH

    def __init__(self, *, private_key: str, subject: str, timeout: float,
                 allow_private: bool) -> None:
        self.vapid = Vapid.from_string(private_key)
        self.subject = subject
        self.allow_private = allow_private
        self.timeout = timeout
        self.client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self.client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def targets(self, conn: BaseDBAsyncClient, user_ids: Sequence[int]
                      ) -> Mapping[int, list[int | None]]:
        found: dict[int, list[int | None]] = {}
        for sub in await PushSubscription.filter(user_id__in=list(user_ids)).using_db(conn):
            found.setdefault(sub.user_id, []).append(sub.id)
        return found

    async def send(self, row: Notification, message: Message) -> Outcome:
        sub = await PushSubscription.get_or_none(id=row.target_id or 0, user_id=row.user_id)
        if sub is None:
            return Outcome(False, "the device was removed", gone=True)
        if not self.allow_private and (why := await refusal(sub.endpoint)) is not None:
            return Outcome(False, why)
        data = orjson.dumps({"title": message.title, "body": message.body,
                             "url": message.url, "lang": message.language})
        pusher = WebPusher({"endpoint": sub.endpoint,
                            "keys": {"p256dh": sub.p256dh, "auth": sub.auth}})
        body = pusher.encode(data, "aes128gcm")["body"]
        parts = urlsplit(sub.endpoint)
        claims = {"sub": self.subject, "aud": f"{parts.scheme}://{parts.netloc}",
                  "exp": int(time.time()) + 12 * 3600}
        headers = {**self.vapid.sign(claims), "content-encoding": "aes128gcm",
                   "ttl": str(PUSH_TTL_SECONDS), "urgency": "normal",
                   "topic": f"n{row.id}", "content-type": "application/octet-stream"}
        assert self.client is not None, "opened by the worker"
        try:
            response = await self.client.post(sub.endpoint, content=body, headers=headers)
        except httpx.HTTPError as failure:
            return Outcome(False, f"{type(failure).__name__}: {failure}"[:300])
        if response.status_code in (404, 410):  # RFC 8030: the subscription is gone
            return Outcome(False, f"HTTP {response.status_code}: subscription gone", gone=True)
        if not 200 <= response.status_code < 300:
            return Outcome(False, f"HTTP {response.status_code}")
        return Outcome(True)


class EmailNotifier:
    channel: ClassVar[NotificationChannel] = NotificationChannel.EMAIL

    def __init__(self, *, smtp_url: str, sender: str, timeout: float) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise SystemExit("SMTP_URL must look like smtp://user:password@host:port "
                             "(smtps:// for TLS, smtp+starttls:// for STARTTLS).")
        self.host, self.tls = parts.hostname, parts.scheme == "smtps"
        self.port = parts.port or (465 if self.tls else 587 if parts.scheme != "smtp" else 25)
        self.start_tls = parts.scheme == "smtp+starttls"
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    async def targets(self, conn: BaseDBAsyncClient, user_ids: Sequence[int]
                      ) -> Mapping[int, list[int | None]]:
        verified = await NotificationSettings.filter(
            user_id__in=list(user_ids), email_verified_at__isnull=False).using_db(conn)
        return {s.user_id: [None] for s in verified if s.email}

    async def send(self, row: Notification, message: Message) -> Outcome:
        settings = await NotificationSettings.get_or_none(user_id=row.user_id)
        confirming = row.kind == VERIFY_EMAIL
        if settings is None or not settings.email or (
                not confirming and settings.email_verified_at is None):
            return Outcome(False, "no confirmed address", gone=True)
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = formataddr(("", settings.email))
        mail["Subject"] = message.title
        mail["Message-ID"] = make_msgid(f"notification-{row.id}",
                                        domain=self.sender.rpartition("@")[2].strip(">"))
        lines = [message.body, "", message.url]
        if not confirming:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            lines += ["", "--", message.unsubscribe_url]
        mail.set_content("\n".join(lines))
        mail["Content-Language"] = message.language  # after: set_content drops Content-*
        try:
            await aiosmtplib.send(mail, hostname=self.host, port=self.port,
                                  username=self.username, password=self.password,
                                  use_tls=self.tls, start_tls=self.start_tls or None,
                                  timeout=self.timeout)
        except (aiosmtplib.SMTPException, OSError) as failure:
            return Outcome(False, f"{type(failure).__name__}: {failure}"[:300])
        return Outcome(True)

    async def open(self) -> None:
        return None  # one SMTP connection per message: mail is rare, servers drop idle ones

    async def close(self) -> None:
        return None


class NotificationWorker(OutboxWorker):
    name = "notifications"

    def __init__(self, deps: Deps, notifiers: Sequence[PushNotifier | EmailNotifier], *,
                 interval: float, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(deps, interval=interval, capacity=BATCH)
        self.timeout = timeout
        self.lease = timedelta(seconds=timeout + LEASE_MARGIN_SECONDS)
        self.notifiers = {n.channel: n for n in notifiers}
        self.base_url = base_url
        self.sent = self.failed = 0

    async def open(self) -> None:
        for notifier in self.notifiers.values():
            await notifier.open()

    async def close(self) -> None:
        for notifier in self.notifiers.values():
            await notifier.close()

    async def prune(self) -> int:
        return await outbox.prune(Notification, self.deps.now())

    async def prepare(self) -> None:
        targets = {channel: n.targets for channel, n in self.notifiers.items()}
        while await notifications.prepare(targets, self.deps.now()) == outbox.BATCH:
            pass

    async def claim(self, limit: int) -> int:
        claimed = await notifications.claim_due(self.deps.now(), list(self.notifiers),
                                                limit, self.lease)
        for row in claimed:
            self.spawn(self._send(row))
        return len(claimed)

    async def _send(self, row: Notification) -> None:
        text = notifications.message_of(row)
        message = Message(
            title=text["title"], body=text["body"], url=self.base_url + text["path"],
            unsubscribe_url=(f"{self.base_url}/notifications/unsubscribe?token="
                             + notifications.unsubscribe_token(self.deps, row.user_id)),
            language=text.get("lang", "vi"))
        try:  # the whole attempt within the timeout, so that the lease holds
            async with asyncio.timeout(self.timeout):
                outcome = await self.notifiers[NotificationChannel(row.channel)].send(row,
                                                                                    message)
        except TimeoutError:
            outcome = Outcome(False, f"no answer within {self.timeout:g} s")
        except Exception as failure:  # a channel's bug must not stop the others
            outcome = Outcome(False, f"{type(failure).__name__}: {failure}"[:300])
        self.sent += outcome.ok
        self.failed += not outcome.ok
        await notifications.record(row, self.deps.now(), ok=outcome.ok, error=outcome.error,
                                   gone=outcome.gone)
