"""How far each consumer of the timeline has turned events into work (models/actions/outbox.py).

The timeline is the outbox: every event is written in the same transaction as its change, and
committed events form a prefix of `seq` (models/actions/changes.py). A consumer (webhooks,
notifications) reads the events after its cursor, writes its own rows and moves the cursor in
one transaction, so an event is turned into work exactly once, whatever crashes."""

from __future__ import annotations

from tortoise import fields

from models.orm.rows import Stored


class OutboxCursor(Stored):
    name = fields.CharField(max_length=30, primary_key=True)
    last_event_id = fields.BigIntField(default=0)

    class Meta:
        table = "outbox_cursor"
