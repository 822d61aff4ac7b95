"""Where the event stream stands."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from models.orm.reports import ReportEvent


async def newest_event_id(conn: BaseDBAsyncClient | None = None) -> int:
    """The seq of the newest committed event (0: none yet). Committed events form a prefix of
    seq (actions/changes.py), so every event committed later has a greater one."""
    qs = ReportEvent.all().order_by("-id")
    found = await (qs.using_db(conn) if conn is not None else qs).first()
    return found.id if found is not None else 0
