"""Load, for a whole page of reports at once, what the query asks of each report, before
graphql-core walks the items: the per-item fields then resolve synchronously (see
schema.loaders.now_or_later) instead of as one coroutine per field per item."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from models.orm.reports import Report as ReportRow
from schema.context import Info

Selection = SelectedField | FragmentSpread | InlineFragment
K = TypeVar("K")
V = TypeVar("V")


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


async def fill(loader: DataLoader[K, V], keys: Iterable[K]) -> None:
    """`load_many` for a page, without its future, task and gather per key (a fifth of an
    uncached wall request in py-spy): one call of the batch function for the keys the
    loader does not hold yet, its answers primed. A batch answering with an error for some
    key goes the ordinary way, which raises it where that key is asked for."""
    wanted = [k for k in dict.fromkeys(keys) if loader.cache_map.get(k) is None]
    if not wanted:
        return
    answers: dict[K, V] = {}
    for key, value in zip(wanted, await loader.load_fn(wanted), strict=True):
        if isinstance(value, BaseException):
            await asyncio.gather(loader.load_many(wanted), return_exceptions=True)
            return
        answers[key] = value
    loader.prime_many(answers)


async def prefetch(info: Info, rows: Sequence[ReportRow]) -> None:
    if not rows:
        return
    wanted = item_fields(info)
    loaders = info.context.loaders
    work: list[Awaitable[Any]] = []
    if "category" in wanted:
        work.append(fill(loaders.category_by_id,
                         [r.category_id for r in rows if r.category_id is not None]))
    if "agency" in wanted:
        work.append(fill(loaders.agency_by_id,
                         [r.agency_id for r in rows if r.agency_id is not None]))
    ids = [r.id for r in rows]
    per_report: tuple[tuple[str, DataLoader[int, Any]], ...] = (
        ("media", loaders.media_by_report_id),
        ("rating", loaders.latest_rating_by_report_id),
        ("lastEvent", loaders.last_event_by_report_id))
    for name, loader in per_report:
        if name in wanted:
            work.append(fill(loader, ids))
    await asyncio.gather(*work)
