"""What a cached answer depends on, and what an event changes: so that an event empties only the
answers it can change, not the whole response cache (realtime/cache.py).

While an anonymous query runs, what it shows tags its answer (`tag`): every report it contains
(`Report.from_row`), "lists" when it lists reports (membership and order are what events move),
"figures" for rankings and statistics, and EVERY for anything not classified here, which every
event empties as before. An event's tags (`of_events`) are its report's, plus "lists" when it
moves a report into, out of or within a public list (a status change touching a public status,
support), plus "figures" when it changes a published count. Changes that no event announces
(directory edits, a withdrawn support) still empty everything (`Cache.invalidate`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Hashable, Iterable
from typing import Any

from models.enums import EventKind
from models.rules.lifecycle import PUBLIC_STATUSES
from realtime.cache import EVERY

LISTS = "lists"
FIGURES = "figures"
# Events that reorder public lists (the SUPPORT order) without a change of status.
REORDERING = frozenset({EventKind.SUPPORTED})
# Events that change published figures without a change of status (the rating counts).
COUNTED = frozenset({EventKind.RATED})

# The tags of the answer being computed in this task (None: nobody is collecting).
collecting: contextvars.ContextVar[set[Hashable] | None] = contextvars.ContextVar(
    "answer_tags", default=None)


__all__ = ["EVERY", "FIGURES", "LISTS", "collecting", "of_events", "report", "tag"]


def report(report_id: int) -> tuple[str, int]:
    return ("report", report_id)


def tag(*tags: Hashable) -> None:
    found = collecting.get()
    if found is not None:
        found.update(tags)


def of_events(events: Iterable[Any]) -> frozenset[Hashable] | None:
    """What these events change; None for "everything" (a merge changes another report's
    duplicates, which the event does not name)."""
    tags: set[Hashable] = {EVERY}
    for event in events:
        if event.kind is EventKind.MERGED:
            return None
        tags.add(report(event.report_id))
        moved = event.to_status is not None and (
            event.to_status in PUBLIC_STATUSES or event.from_status in PUBLIC_STATUSES)
        if moved or event.kind in REORDERING:
            tags.add(LISTS)
        if event.to_status is not None or event.kind in COUNTED:
            tags.add(FIGURES)
    return frozenset(tags)
