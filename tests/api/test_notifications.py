"""Citizens' notifications against a real local Web Push endpoint (the message decrypted with the
browser's keys, the VAPID signature checked) and a real SMTP server (aiosmtpd): opt-in per kind
and channel, e-mail only to a confirmed address, in Vietnamese, nothing of anyone else in them,
quiet hours, the unsubscribe link, each event's message made once however many processes
prepare at the same time, a dead sender's message taken over, a dropped device forgotten."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiosmtpd.controller import Controller
from py_vapid import Vapid
from starlette.applications import Starlette
from tortoise.exceptions import IntegrityError

from bench.servers import free_port
from bench.world import World
from models.actions import notifications, participation
from models.enums import NotificationChannel, Status
from models.orm.notifications import Notification, PushSubscription
from realtime.notifications import NotificationWorker, PushNotifier
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.push import Browser, b64
from tests.support.receiver import Receiver
from tests.support.waiting import until
from web.settings import Settings

VAPID = Vapid()
VAPID.generate_keys()
VAPID_PRIVATE = b64(VAPID.private_key.private_numbers().private_value.to_bytes(32, "big"))


@dataclass
class Mailbox:
    """An aiosmtpd handler: every message it accepts, parsed."""
    got: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.got.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp: tuple[Mailbox, int]) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=0, figures_cache_seconds=0,
                    media_dir=str(tmp_path / "media"), media_cleanup_interval_seconds=0,
                    webhook_poll_seconds=0, notification_poll_seconds=0.05,
                    vapid_private_key=VAPID_PRIVATE, vapid_subject="mailto:ioc@hue.gov.vn",
                    smtp_url=f"smtp://127.0.0.1:{smtp[1]}",
                    mail_from="Hue-S <no-reply@hue.gov.vn>", notifications_allow_private=True,
                    public_url="https://phananh.hue.gov.vn")


@pytest.fixture
async def push_service() -> AsyncIterator[Receiver]:
    made = Receiver([])
    yield made
    await made.stop()


SETTINGS = """mutation($input: UpdateNotificationSettingsInput!) {
  updateNotificationSettings(input: $input) { settings { kinds channels quietHoursStart
    availableChannels vapidPublicKey } errors { code field } } }"""
EMAIL = """mutation($email: String) { setNotificationEmail(input: {email: $email}) {
  settings { email emailVerified } errors { code field } } }"""
DEVICE = """mutation($input: AddPushDeviceInput!) { addPushDevice(input: $input) {
  device { id label } errors { code field } } }"""
READ = "{ notificationSettings { kinds channels email emailVerified devices { id label } } }"


async def send_once(worker: NotificationWorker) -> int:
    """Drive a stopped worker by hand: one round and its sends."""
    await worker.start(loop=False)
    try:
        return await worker.send_due()
    finally:
        await worker.stop()


async def opt_in(api: Api, token: str, kinds: list[str], channels: list[str],
                 quiet: tuple[int, int] | None = None) -> dict[str, Any]:
    data = await api.gql(SETTINGS, {"input": {
        "kinds": kinds, "channels": channels, "quietHoursStart": quiet[0] if quiet else None,
        "quietHoursEnd": quiet[1] if quiet else None}}, token)
    payload: dict[str, Any] = data["updateNotificationSettings"]
    assert payload["errors"] == [], payload
    shown: dict[str, Any] = payload["settings"]
    return shown


async def confirm_email(api: Api, token: str, address: str, box: Mailbox) -> None:
    before = len(box.got)
    set_ = await api.gql(EMAIL, {"email": address}, token)
    assert set_["setNotificationEmail"]["settings"] == {"email": address,
                                                        "emailVerified": False}

    async def arrived() -> bool:
        return len(box.got) > before

    await until(arrived, "the confirmation e-mail")
    mail = box.got[-1]
    assert mail["To"] == address
    text = mail.get_content()
    link = re.search(r"https://phananh\.hue\.gov\.vn(/notifications/verify-email\?token=\S+)",
                     text)
    assert link is not None, text
    opened = await api.client.get(link.group(1))
    assert opened.status_code == 200, opened.text
    shown = await api.gql(READ, token=token)
    assert shown["notificationSettings"]["emailVerified"] is True


async def add_device(api: Api, token: str, url: str, browser: Browser) -> str:
    data = await api.gql(DEVICE, {"input": {"endpoint": url, "p256dh": browser.p256dh,
                                            "auth": b64(browser.auth), "label": "Điện thoại"}},
                         token)
    assert data["addPushDevice"]["errors"] == [], data
    device_id: str = data["addPushDevice"]["device"]["id"]
    return device_id


async def test_the_reporter_hears_by_push_and_email_in_vietnamese_and_nothing_personal(
    app: Starlette, api: Api, world: World, smtp: tuple[Mailbox, int],
    push_service: Receiver,
):
    box, _port = smtp
    citizen = world.citizen
    shown = await opt_in(api, citizen.token, ["ACCEPTED", "RESULT_PUBLISHED"],
                         ["PUSH", "EMAIL"])
    assert set(shown["availableChannels"]) == {"PUSH", "EMAIL"}
    public_key = shown["vapidPublicKey"]
    await confirm_email(api, citizen.token, "bi.mat@example.vn", box)
    browser = Browser()
    await add_device(api, citizen.token, await push_service.start(), browser)
    # Someone who chose nothing hears nothing, about their own report either.
    await world.report(Status.IN_PROGRESS, by=world.other_citizen)
    mails_before = len(box.got)

    report = await world.report(Status.RESOLVED)  # assigned, accepted, ..., published

    async def all_sent() -> bool:
        return await Notification.filter(status="SENT", event_id__isnull=False).count() == 4

    await until(all_sent, "two kinds on two channels")
    assert await Notification.filter(event_id__isnull=False).count() == 4
    pushed = [browser.read(r.body) for r in push_service.got]
    assert [p["title"] for p in pushed] == [
        f"Phản ánh {report.code} của bạn đã được tiếp nhận",
        f"Phản ánh {report.code} của bạn đã có kết quả: mời bạn đánh giá"]
    assert all(p["lang"] == "vi" and p["url"].endswith(f"/reports/{report.code}")
               for p in pushed)
    assert "Công ty Cổ phần Môi trường" in pushed[0]["body"]
    for got in push_service.got:  # signed with the server's VAPID key (RFC 8292)
        assert got.headers["content-encoding"] == "aes128gcm"
        scheme, _sp, params = got.headers["authorization"].partition(" ")
        fields = dict(p.split("=", 1) for p in params.split(","))
        assert scheme == "vapid"
        assert fields["k"] == public_key
        assert Vapid.verify(got.headers["authorization"])  # the JWT, by the key k
    mails = box.got[mails_before:]
    assert sorted(m["Subject"] for m in mails) == sorted(p["title"] for p in pushed)
    for mail in mails:
        assert mail["To"] == "bi.mat@example.vn"
        assert mail["Content-Language"] == "vi"
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/notifications/unsubscribe?token=" in mail["List-Unsubscribe"]
    # Nothing personal: not the reporter's name or phone (the address is the message's own
    # recipient), nor anyone else's.
    everything = " ".join([*(orjson.dumps(p).decode() for p in pushed),
                           *(m.as_string() for m in mails)])
    for person in (citizen, world.other_citizen, world.staff_a, world.ioc):
        assert person.name not in everything
        assert person.phone not in everything
    assert "bi.mat@example.vn" not in orjson.dumps(pushed).decode()


async def test_the_author_of_a_comment_hears_the_agency_answer(
    app: Starlette, api: Api, world: World, push_service: Receiver, clock: FakeClock
):
    commenter = world.other_citizen
    await opt_in(api, commenter.token, ["AGENCY_REPLIED"], ["PUSH"])
    browser = Browser()
    await add_device(api, commenter.token, await push_service.start(), browser)
    report = await world.report(Status.IN_PROGRESS)
    deps = app.state.deps
    asked = await participation.add_comment(deps, commenter.viewer, report.id,
                                            "Khi nào xong ạ?")
    await participation.add_comment(deps, world.staff_a.viewer, report.id,
                                    "Tuần này sẽ xong.", parent_id=asked.id)
    clock.advance(seconds=61)  # one comment a minute per person
    await participation.add_comment(deps, world.staff_a.viewer, report.id,
                                    "Thông báo chung.")  # answers nobody

    async def sent() -> bool:
        return await Notification.filter(status="SENT").exists()

    await until(sent, "the answer's notification")
    await asyncio.sleep(0.2)
    [got] = push_service.got
    message = browser.read(got.body)
    assert message["title"].endswith(f"đã trả lời bình luận của bạn về {report.code}")


async def test_quiet_hours_hold_messages_until_they_end(
    app: Starlette, api: Api, world: World, clock: FakeClock, push_service: Receiver
):
    await app.state.notifications.stop()  # this test drives the sender itself
    local_hour = (clock.now + timedelta(hours=7)).hour  # Asia/Ho_Chi_Minh
    quiet = (local_hour, (local_hour + 2) % 24)
    shown = await opt_in(api, world.citizen.token, ["ACCEPTED"], ["PUSH"], quiet)
    assert shown["quietHoursStart"] == local_hour
    await add_device(api, world.citizen.token, await push_service.start(), Browser())
    await world.report(Status.IN_PROGRESS)
    worker: NotificationWorker = app.state.notifications
    await worker.start(loop=False)
    try:
        assert await worker.send_due() == 0  # made, but held
        [row] = await Notification.all()
        assert row.next_attempt_at.astimezone(clock.now.tzinfo) == clock.now.replace(
            minute=0, second=0, microsecond=0) + timedelta(hours=2)
        clock.advance(hours=2)
        assert await worker.send_due() == 1
    finally:
        await worker.stop()
    assert len(push_service.got) == 1
    refused = await api.gql(SETTINGS, {"input": {"kinds": [], "channels": [],
                                                 "quietHoursStart": 5, "quietHoursEnd": 5}},
                            world.citizen.token)
    assert refused["updateNotificationSettings"]["errors"][0]["code"] == "VALIDATION"


async def test_a_person_who_chose_english_reads_english(
    app: Starlette, api: Api, world: World, push_service: Receiver
):
    await app.state.notifications.stop()
    chosen = await api.gql(SETTINGS, {"input": {"kinds": ["ACCEPTED"], "channels": ["PUSH"],
                                                "language": "en"}}, world.citizen.token)
    assert chosen["updateNotificationSettings"]["errors"] == []
    browser = Browser()
    await add_device(api, world.citizen.token, await push_service.start(), browser)
    report = await world.report(Status.IN_PROGRESS)
    assert await send_once(app.state.notifications) == 1
    message = browser.read(push_service.got[0].body)
    assert (message["lang"], message["title"]) == ("en", f"Your report {report.code} was accepted")
    unknown = await api.gql(SETTINGS, {"input": {"kinds": [], "channels": [],
                                                 "language": "fr"}}, world.citizen.token)
    assert unknown["updateNotificationSettings"]["errors"] == [{"code": "VALIDATION",
                                                               "field": "language"}]


async def test_old_news_tells_nobody(
    app: Starlette, api: Api, world: World, clock: FakeClock, push_service: Receiver
):
    """No process sent for two days (the cursor lagged): those events are not announced now."""
    await app.state.notifications.stop()
    await opt_in(api, world.citizen.token, ["ACCEPTED"], ["PUSH"])
    await add_device(api, world.citizen.token, await push_service.start(), Browser())
    await world.report(Status.IN_PROGRESS)
    clock.advance(days=2)
    await world.report(Status.IN_PROGRESS)  # today's
    assert await send_once(app.state.notifications) == 1
    [row] = await Notification.all()
    assert row.created_at == clock.now


async def test_each_message_is_made_once_and_a_dead_senders_is_taken_over(
    app: Starlette, api: Api, world: World, clock: FakeClock, push_service: Receiver
):
    await app.state.notifications.stop()
    await opt_in(api, world.citizen.token, ["ACCEPTED"], ["PUSH"])
    url = await push_service.start()
    await add_device(api, world.citizen.token, url + "/phone", Browser())
    await add_device(api, world.citizen.token, url + "/laptop", Browser())
    await world.report(Status.IN_PROGRESS)
    worker: NotificationWorker = app.state.notifications
    targets = {c: n.targets for c, n in worker.notifiers.items()}
    # Two processes prepare at once: the cursor lets each event through once.
    await asyncio.gather(notifications.prepare(targets, clock.now),
                         notifications.prepare(targets, clock.now))
    assert await Notification.all().count() == 2  # one per device
    assert await notifications.prepare(targets, clock.now) == 0
    # Were an event handed over twice, the database would refuse its second message.
    [row] = await Notification.filter(target_id__isnull=False).limit(1)
    with pytest.raises(IntegrityError):
        await Notification.create(
            key=row.key, user_id=row.user_id, event_id=row.event_id, kind=row.kind,
            channel=row.channel, payload=row.payload, next_attempt_at=row.next_attempt_at,
            created_at=row.created_at)
    # Two senders claim at once: each message goes to one of them.
    one, two = await asyncio.gather(
        notifications.claim_due(clock.now, [NotificationChannel.PUSH], 10),
        notifications.claim_due(clock.now, [NotificationChannel.PUSH], 10))
    assert len(one) + len(two) == 2
    # They died before sending: after the lease another sends each, once.
    assert await notifications.claim_due(clock.now, [NotificationChannel.PUSH], 10) == []
    clock.advance(seconds=notifications.LEASE.total_seconds() + 1)
    await worker.start(loop=False)
    try:
        assert await worker.send_due() == 2
        assert await worker.send_due() == 0
    finally:
        await worker.stop()
    assert len(push_service.got) == 2
    topics = {r.headers["topic"] for r in push_service.got}
    assert len(topics) == 2  # a resend would carry the same Topic: the service replaces it
    # Sent rows are kept for a month, then pruned; pending ones never are.
    clock.advance(days=29)
    assert await worker.prune() == 0
    clock.advance(days=2)
    assert await worker.prune() == 2
    assert await Notification.all().count() == 0


async def test_a_dropped_device_is_forgotten_and_private_push_services_refused(
    app: Starlette, api: Api, world: World, push_service: Receiver, settings: Settings
):
    await app.state.notifications.stop()
    push_service.script[:] = [410]
    await opt_in(api, world.citizen.token, ["ACCEPTED"], ["PUSH"])
    url = await push_service.start()
    await add_device(api, world.citizen.token, url, Browser())
    await world.report(Status.IN_PROGRESS)
    assert await send_once(app.state.notifications) == 1
    [row] = await Notification.all()
    assert (row.status, await PushSubscription.all().count()) == ("FAILED", 0)
    # The same service behind a private address, private addresses not allowed: not called.
    strict = NotificationWorker(app.state.deps, [PushNotifier(
        private_key=settings.vapid_private_key, subject="mailto:ioc@hue.gov.vn", timeout=1,
        allow_private=False)], interval=60, base_url="https://phananh.hue.gov.vn")
    await add_device(api, world.citizen.token, url + "/again", Browser())
    await world.report(Status.IN_PROGRESS)
    await send_once(strict)
    latest = await Notification.all().order_by("-id").first()
    assert latest is not None
    assert latest.status == "PENDING"
    assert "private address" in (latest.last_error or "")
    assert len(push_service.got) == 1  # only the 410 earlier


async def test_the_unsubscribe_link_turns_email_off_without_signing_in(
    app: Starlette, api: Api, world: World, smtp: tuple[Mailbox, int]
):
    box, _port = smtp
    await opt_in(api, world.citizen.token, ["ACCEPTED"], ["EMAIL", "PUSH"])
    await confirm_email(api, world.citizen.token, "bi.mat@example.vn", box)
    await world.report(Status.IN_PROGRESS)

    async def mailed() -> bool:
        return any(m["List-Unsubscribe"] for m in box.got)

    await until(mailed, "the acceptance e-mail")
    link = next(m for m in box.got if m["List-Unsubscribe"])["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("https://phananh.hue.gov.vn")
    page = await api.client.get(path)  # a mail scanner following the link changes nothing
    assert page.status_code == 200
    assert "<form method=\"post\"" in page.text
    assert (await api.gql(READ, token=world.citizen.token))["notificationSettings"][
        "channels"] == ["EMAIL", "PUSH"]
    one_click = await api.client.post(path, content="List-Unsubscribe=One-Click",
                                      headers={"content-type":
                                               "application/x-www-form-urlencoded"})
    assert one_click.status_code == 200
    assert (await api.gql(READ, token=world.citizen.token))["notificationSettings"][
        "channels"] == ["PUSH"]
    forged = await api.client.post(path[:-3] + "abc")
    assert forged.status_code == 400
    # Only the person sees their settings.
    anonymous = await api.errors(READ)
    assert anonymous[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_input_is_refused_clearly(app: Starlette, api: Api, world: World):
    token = world.citizen.token
    bad_email = await api.gql(EMAIL, {"email": "not-an-address"}, token)
    assert bad_email["setNotificationEmail"]["errors"] == [{"code": "VALIDATION",
                                                            "field": "email"}]
    bad_key = await api.gql(DEVICE, {"input": {"endpoint": "https://push.example/x",
                                               "p256dh": "AAAA", "auth": b64(b"x" * 16)}},
                            token)
    assert bad_key["addPushDevice"]["errors"] == [{"code": "VALIDATION", "field": "p256dh"}]
    browser = Browser()
    for n in range(10):
        await add_device(api, token, f"https://push.example/{n}", browser)
    over = await api.gql(DEVICE, {"input": {"endpoint": "https://push.example/11",
                                            "p256dh": browser.p256dh,
                                            "auth": b64(browser.auth)}}, token)
    assert over["addPushDevice"]["errors"][0]["code"] == "VALIDATION"


def test_the_cli_makes_a_vapid_key_the_server_signs_with(capsys: pytest.CaptureFixture[str]):
    from web.cli import main

    with pytest.raises(SystemExit) as ended:
        main(["vapid-key"])
    assert ended.value.code == 0
    out = capsys.readouterr().out
    private = out.split("VAPID_PRIVATE_KEY=")[1].split()[0]
    public = out.strip().splitlines()[-1].lstrip("# ")
    signed = Vapid.from_string(private).sign({"sub": "mailto:ioc@hue.gov.vn",
                                              "aud": "https://push.example", "exp": 2**31})
    assert f"k={public}" in signed["Authorization"]
    assert Vapid.verify(signed["Authorization"])
