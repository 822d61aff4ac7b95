"""addComment on PostgreSQL as one statement.

The ordinary path (participation.add_comment on SQLite) is a transaction of six round trips:
BEGIN, read the report, take the comment slot, insert the comment, count it, insert the event
under the event-order lock, COMMIT. Comments are the busiest write of a public service, and on
a server that is also feeding thousands of subscribers each round trip waits for the event loop
again. Here the same writes are one statement, atomic on its own, so it needs no BEGIN or
COMMIT either.

Each write feeds the next through RETURNING, which is what orders them: the comment slot is
taken only when the report is public and the reply's parent belongs to it; the comment is
inserted only with the slot; the report's row is counted (and locked) only with the comment;
the event-order lock is taken after that row lock, as every lifecycle transaction takes them
(report row, then the lock: no deadlock between the two), and the event's id is drawn only once
the lock is held, as in changes.locked_insert_sql. Nothing written means a rule refused: the
caller finds out which by asking the ordinary way.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from models.actions.changes import column, db_value, pg_param, stored_fields
from models.actions.figures import EVENT_ORDER_LOCK
from models.enums import EventKind, Role
from models.orm.accounts import User
from models.orm.participation import Comment
from models.orm.reports import Report, ReportEvent
from models.rules.lifecycle import PUBLIC_STATUSES
from models.rules.policy import Viewer

# Parameters before the rows' own: report, public statuses, parent, slot interval (s), author,
# slot cutoff, now, event-order lock.
FIXED = 8
# What the event takes from the statement itself rather than from a parameter.
# The agency is the report's once its row is locked (`counted`), not as first read: a comment
# racing a reassignment goes to the agency that has the report when the comment is counted.
FROM_STATEMENT = {"comment_id": "c.id", "agency_id": "counted.agency_id"}


@functools.cache
def statement() -> tuple[str, list[str], list[str]]:
    """The SQL, and the comment's and the event's fields its parameters carry, in order."""
    report, user = Report._meta.db_table, User._meta.db_table
    comment, event = Comment._meta.db_table, ReportEvent._meta.db_table
    comment_names = stored_fields(Comment)
    event_names = stored_fields(ReportEvent, frozenset(FROM_STATEMENT))
    n = FIXED
    comment_values = ", ".join(pg_param(Comment, name, i)
                               for i, name in enumerate(comment_names, start=n + 1))
    n += len(comment_names)
    given = {name: pg_param(ReportEvent, name, i)
             for i, name in enumerate(event_names, start=n + 1)}
    all_event = stored_fields(ReportEvent)
    event_values = ", ".join(FROM_STATEMENT.get(name) or given[name] for name in all_event)
    last = column(User, "last_comment_at")
    sql = f"""
WITH r AS (
    SELECT "id", "agency_id" FROM "{report}" WHERE "id" = $1 AND "status" = ANY($2::text[])
), p AS (
    SELECT 1 WHERE $3::int IS NULL
        OR EXISTS (SELECT 1 FROM "{comment}" WHERE "id" = $3::int AND "report_id" = $1)
), slot AS (
    UPDATE "{user}" SET {last} = $7::timestamptz
    WHERE $4::int > 0 AND "id" = $5 AND ({last} IS NULL OR {last} <= $6::timestamptz)
        AND EXISTS (SELECT 1 FROM r) AND EXISTS (SELECT 1 FROM p)
    RETURNING "id"
), go AS (
    SELECT r."id" FROM r, p WHERE $4::int <= 0 OR EXISTS (SELECT 1 FROM slot)
), c AS (
    INSERT INTO "{comment}" ({", ".join(column(Comment, x) for x in comment_names)})
    SELECT {comment_values} FROM go
    RETURNING "id", "report_id"
), counted AS (
    UPDATE "{report}" SET "comment_count" = "comment_count" + 1 FROM c
    WHERE "{report}"."id" = c."report_id"
    RETURNING "{report}"."id", "{report}"."agency_id"
), locked AS MATERIALIZED (
    SELECT pg_advisory_xact_lock($8) FROM counted
), e AS (
    INSERT INTO "{event}" ({", ".join(column(ReportEvent, x) for x in all_event)})
    SELECT {event_values} FROM locked, c, counted
    RETURNING "id", "agency_id"
)
SELECT c."id" AS comment_id, e."id" AS event_id, e."agency_id" FROM c, e"""
    return sql, comment_names, event_names


async def add(conn: BaseDBAsyncClient, viewer: Viewer, report_id: int, parent_id: int | None,
              text: str, now: datetime, interval: int) -> tuple[Comment, ReportEvent] | None:
    """The comment and its event, written; None when a rule refused (nothing was written)."""
    assert viewer.user_id is not None
    assert viewer.role is not None
    comment = Comment(
        report_id=report_id, author_id=viewer.user_id, author_role=viewer.role,
        author_agency_id=viewer.agency_id if viewer.role is Role.AGENCY_STAFF else None,
        parent_id=parent_id, body=text, created_at=now)
    event = ReportEvent(report_id=report_id, at=now, kind=EventKind.COMMENTED,
                        actor_id=viewer.user_id, actor_role=viewer.role)
    sql, comment_names, event_names = statement()
    stamp = User._meta.fields_map["last_comment_at"]
    values = [report_id, sorted(s.value for s in PUBLIC_STATUSES), parent_id, interval,
              viewer.user_id, stamp.to_db_value(now - timedelta(seconds=max(0, interval)), User),
              stamp.to_db_value(now, User), EVENT_ORDER_LOCK,
              *(db_value(comment, name) for name in comment_names),
              *(db_value(event, name) for name in event_names)]
    _, rows = await conn.execute_query(sql, values)
    if not rows:
        return None
    row = rows[0]
    comment.id, comment._saved_in_db = row["comment_id"], True
    event.id, event.comment_id, event.agency_id = row["event_id"], comment.id, row["agency_id"]
    event._saved_in_db = True
    return comment, event
