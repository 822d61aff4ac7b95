"""Load, for a whole page of reports at once, what the query asks of each report, before
graphql-core walks the items: the per-item fields then resolve synchronously (see
schema.loaders.now_or_later) instead of as one coroutine per field per item."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from models.orm.reports import Report as ReportRow
from schema.context import Info

Selection = SelectedField | FragmentSpread | InlineFragment


def _children(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    """Fields of a selection set, looking through fragments."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _children(selection.selections)


def item_fields(info: Info) -> set[str]:
    """Names asked of each report under this field: `nodes { … }` and `edges { node { … } }`
    of a connection, or the list's own selection for a plain list."""
    names: set[str] = set()
    for root in _children(info.selected_fields):
        for child in _children(root.selections):
            if child.name == "nodes":
                names.update(f.name for f in _children(child.selections))
            elif child.name == "edges":
                for edge_field in _children(child.selections):
                    if edge_field.name == "node":
                        names.update(f.name for f in _children(edge_field.selections))
    return names


async def prefetch(info: Info, rows: Sequence[ReportRow]) -> None:
    if not rows:
        return
    wanted = item_fields(info)
    loaders = info.context.loaders
    work: list[Awaitable[Any]] = []
    if "category" in wanted:
        work.append(loaders.category_by_id.load_many(
            {r.category_id for r in rows if r.category_id is not None}))
    if "agency" in wanted:
        work.append(loaders.agency_by_id.load_many(
            {r.agency_id for r in rows if r.agency_id is not None}))
    ids = [r.id for r in rows]
    for name, loader in (("media", loaders.media_by_report_id),
                         ("rating", loaders.latest_rating_by_report_id),
                         ("lastEvent", loaders.last_event_by_report_id)):
        if name in wanted:
            work.append(loader.load_many(ids))
    await asyncio.gather(*work)
