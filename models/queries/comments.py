"""Comments as they are read: oldest first, a page per report for a whole list at once."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.queryset import QuerySet

from models.orm.participation import Comment
from models.orm.rows import placeholders
from models.queries.pagination import Direction, SortKey

COMMENTS_OLDEST_FIRST = SortKey("OLDEST", "created_at", Direction.ASC)


def comments_of(report_id: int) -> QuerySet[Comment]:
    return Comment.filter(report_id=report_id)


async def first_comments(report_ids: Sequence[int], first: int) -> dict[int, list[Comment]]:
    """The first `first` + 1 comments of each report (the extra one tells if there is a next
    page), in two queries whatever the number of reports: a window function picks the ids."""
    if not report_ids:
        return {}
    conn = Comment._meta.db
    *marked, limit = placeholders(conn, len(report_ids) + 1)
    marks = ", ".join(marked)
    sql = (
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY report_id "
        f"ORDER BY created_at, id) AS n FROM comment WHERE report_id IN ({marks})) AS ranked "
        f"WHERE n <= {limit}"
    )
    rows = await conn.execute_query_dict(sql, [*report_ids, first + 1])
    grouped: dict[int, list[Comment]] = {i: [] for i in report_ids}
    ids = [row["id"] for row in rows]
    for comment in await Comment.filter(id__in=ids).order_by("created_at", "id"):
        grouped[comment.report_id].append(comment)
    return grouped
