"""Turning committed timeline events into work, exactly once (models/orm/outbox.py).

The timeline is the outbox: an event is written in the same transaction as its change, and
committed events always form a prefix of `seq` (the event-order lock, actions/changes.py), so
a consumer that has handled everything up to its cursor never meets an older event later. A
consumer's `advance` locks its cursor row (one process at a time; another finding it locked
leaves the events to that one; on SQLite the single writer serialises), reads the next
events, writes its own rows and moves the cursor, all in one transaction: a crash before the
commit leaves the events to the next try, a crash after it leaves the rows to the senders.
The mutation itself pays nothing for it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.db import PRIMARY
from models.orm.outbox import OutboxCursor
from models.orm.reports import ReportEvent
from models.queries.timeline import newest_event_id

Handler = Callable[[BaseDBAsyncClient, Sequence[ReportEvent]], Awaitable[None]]
BATCH = 500


async def _ensure(name: str) -> None:
    """Made by migration 0013; a database built another way starts at the newest event."""
    if await OutboxCursor.exists(name=name):
        return
    with contextlib.suppress(IntegrityError):  # another process made it first
        await OutboxCursor.create(name=name, last_event_id=await newest_event_id())


async def advance(name: str, handle: Handler, batch: int = BATCH) -> int:
    """Hand the next committed events after `name`'s cursor to `handle`, in the transaction
    that moves the cursor past them; how many there were."""
    await _ensure(name)
    async with in_transaction(PRIMARY) as conn:
        # Another process holding the cursor is turning these very events into work: this
        # one need not wait for it (PostgreSQL; SQLite's single writer serialises anyway).
        cursor = await OutboxCursor.filter(name=name).select_for_update(
            skip_locked=True).using_db(conn).first()
        if cursor is None:
            return 0
        events = await ReportEvent.filter(id__gt=cursor.last_event_id).order_by("id").limit(
            batch).using_db(conn)
        if not events:
            return 0
        await handle(conn, events)
        await OutboxCursor.filter(name=name).using_db(conn).update(last_event_id=events[-1].id)
    return len(events)


async def position(name: str) -> int:
    found = await OutboxCursor.get_or_none(name=name)
    return found.last_event_id if found is not None else 0


Row = TypeVar("Row", bound=Model)


async def claim(model: type[Row], due: Q, now: datetime, limit: int, lease: timedelta
                ) -> list[Row]:
    """Rows matching `due` (PENDING, due by now), oldest first, claimed for `lease`: one SELECT
    of candidates, one conditional UPDATE that tags those still unclaimed with this claim's
    random tag, one SELECT of what the tag won. Of several processes reading the same rows,
    each row goes to one."""
    free = Q(claimed_until=None) | Q(claimed_until__lt=now)
    ids = list(await model.filter(due & free).order_by("next_attempt_at", "id").limit(
        limit).values_list("id", flat=True))
    if not ids:
        return []
    tag = secrets.token_hex(8)
    await model.filter(free, id__in=ids, status="PENDING").update(claimed_until=now + lease,
                                                                  claim=tag)
    return list(await model.filter(id__in=ids, claim=tag).order_by("next_attempt_at", "id"))


KEEP_FINISHED = timedelta(days=30)  # sent or failed rows stay visible this long, then go


async def prune(model: type[Model], now: datetime, keep: timedelta = KEEP_FINISHED) -> int:
    """Forget rows finished (sent, delivered or given up) more than `keep` ago: the outbox
    must not grow with the years. Pending rows are never pruned."""
    return int(await model.filter(finished_at__lt=now - keep).exclude(status="PENDING")
               .delete())
