"""Submission: a citizen's report (or the IOC's, on a caller's behalf) enters the lifecycle as
PENDING_REVIEW with its deadline set; a retry with the same idempotency key gets the same report."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.actions import figures
from models.actions.accounts import normalize_phone
from models.actions.changes import (
    MAX_ADDRESS,
    MAX_TEXT,
    MAX_TITLE,
    actor_facts,
    attach_media,
    check_category,
    require_signed_in,
    write_event,
)
from models.db import PRIMARY
from models.deps import Deps
from models.enums import Channel, Role, Status
from models.errors import Conflict, Invalid
from models.messages import _
from models.orm.reports import Report
from models.rules import calendar, geo
from models.rules.geo import check_coordinates
from models.rules.lifecycle import Action, authorize
from models.rules.policy import Viewer
from models.rules.text import clean, required_text, search_text, title_from

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,64}")


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    address: str | None = None


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class NewReport:
    description: str
    title: str | None = None
    category_id: int | None = None
    location: Location | None = None
    media_ids: Sequence[int] = field(default_factory=tuple)
    idempotency_key: str | None = None
    channel: Channel | None = None
    contact: Contact | None = None


def _channel_and_contact(viewer: Viewer, new: NewReport) -> tuple[Channel, str | None, str | None]:
    on_behalf = viewer.role is Role.IOC_OPERATOR
    channel = new.channel or (Channel.HOTLINE if on_behalf else Channel.APP)
    if viewer.via_api_key:
        if channel is not Channel.OPEN311:
            raise Invalid(_("A partner's key reports through OPEN311."), field="channel")
    elif channel is Channel.OPEN311 or (not on_behalf and channel not in (Channel.APP,
                                                                         Channel.WEB)):
        raise Invalid(_("Citizens report through APP or WEB."), field="channel")
    if new.contact is None:
        return channel, None, None
    if not on_behalf:
        raise Invalid(_("Only the IOC enters a caller's contact."), field="contact")
    name = clean(new.contact.name, field="contact.name", max_length=100, required=False)
    phone = (
        normalize_phone(new.contact.phone, field="contact.phone") if new.contact.phone else None
    )
    return channel, name, phone


def fingerprint(new: NewReport) -> str:
    """What a retry must repeat exactly to be the same request (as payment APIs check it)."""
    location = new.location and [new.location.latitude, new.location.longitude,
                                 new.location.address]
    contact = new.contact and [new.contact.name, new.contact.phone]
    payload = [new.description, new.title, new.category_id, location, sorted(new.media_ids),
               new.channel, contact]
    text = json.dumps(payload, ensure_ascii=True)  # ASCII: any string, even a broken one
    return hashlib.sha256(text.encode()).hexdigest()


async def replayed(viewer: Viewer, new: NewReport) -> Report | None:
    """The report an earlier request with the same idempotency key made, if any (looked up
    before any rate limit is counted: a retry is not a new report). The same key with another
    payload is a CONFLICT, never the other report."""
    key = new.idempotency_key
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise Invalid(
            _("idempotencyKey must be 8-64 letters, digits or - _ . :"), field="idempotencyKey"
        )
    earlier = await Report.get_or_none(reporter_id=viewer.user_id, idempotency_key=key)
    if earlier is not None and earlier.request_hash not in (None, fingerprint(new)):
        raise Conflict(_("This idempotencyKey was used for another report: use a new key for a "
                       "new report."), field="idempotencyKey")
    return earlier


async def submit_report(deps: Deps, viewer: Viewer, new: NewReport) -> Report:
    require_signed_in(viewer)
    rule = authorize(Action.SUBMIT, None, actor_facts(viewer, None))
    key = new.idempotency_key
    earlier = await replayed(viewer, new)
    if earlier is not None:
        return earlier
    description = required_text(new.description, field="description", max_length=MAX_TEXT)
    title = clean(new.title, field="title", max_length=MAX_TITLE, required=False)
    title = title or title_from(description)
    address = None
    if new.location is not None:
        check_coordinates(new.location.latitude, new.location.longitude)
        address = clean(
            new.location.address, field="location.address", max_length=MAX_ADDRESS, required=False
        )
    channel, contact_name, contact_phone = _channel_and_contact(viewer, new)
    await check_category(new.category_id)
    now = deps.now()
    try:
        async with in_transaction(PRIMARY) as conn:
            report = await Report.create(
                using_db=conn,
                title=title,
                description=description,
                original_description=description,
                search_text=search_text(title, description, address),
                category_id=new.category_id,
                reporter_id=viewer.user_id,
                channel=channel,
                contact_name=contact_name,
                contact_phone=contact_phone,
                latitude=new.location.latitude if new.location else None,
                longitude=new.location.longitude if new.location else None,
                **geo.located(new.location.latitude if new.location else None,
                              new.location.longitude if new.location else None),
                address=address,
                status=Status.PENDING_REVIEW,
                submitted_at=now,
                due_at=calendar.due_at(now, deps.calendar),
                idempotency_key=key,
                request_hash=fingerprint(new) if key is not None else None,
            )
            await attach_media(conn, viewer, report.id, new.media_ids, is_result=False)
            await figures.move(conn, None, figures.share_of(report))
            event = await write_event(
                conn, report_id=report.id, at=now, kind=rule.event,
                to_status=Status.PENDING_REVIEW, actor_id=viewer.user_id, actor_role=viewer.role,
            )
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its report.
        earlier = await replayed(viewer, new)
        if earlier is not None:
            return earlier
        raise
    await deps.publish([event])
    return report
