"""The one place where timeline events are written.

Subscribers resume with `after: seq` and must never miss an event, so events have to become
visible in `seq` order. On PostgreSQL two transactions can commit out of id order (B takes id 11
and commits before A with id 10 does); a transaction-scoped advisory lock taken just before the
insert serialises event writers until they commit, so committed ids always form a prefix. The
insert is the last statement of every use case, so the lock is held only for the commit.
SQLite has a single writer and needs nothing.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.report import ReportEvent

EVENT_ORDER_LOCK = 724202


async def write_event(conn: BaseDBAsyncClient, **fields: Any) -> ReportEvent:
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [EVENT_ORDER_LOCK])
    return await ReportEvent.create(using_db=conn, **fields)
