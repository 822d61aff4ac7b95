"""Relay conventions: the Node interface, opaque global ids, page info, and the arguments of
a bounded list that pages by event cursors (a report's timeline)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

import strawberry

from models.errors import Invalid
from models.messages import _
from models.queries.pagination import Page
from models.queries.reports import TIMELINE_PAGE

MAX_NODES = 100


@strawberry.interface(description="An object with a global, opaque id.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def from_global_id(value: str, field: str = "id") -> tuple[str, int]:
    """Decode any global id; raise a VALIDATION error naming `field` when it is malformed."""
    try:
        if len(value) > 100:
            raise ValueError
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, _sep, raw_pk = decoded.partition(":")
        pk = int(raw_pk)
        if not type_name.isidentifier() or pk < 1 or pk > 2**63 - 1 or raw_pk != str(pk):
            raise ValueError
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Invalid(_("Malformed id."), field=field) from None
    return type_name, pk


def decode_id(value: str, type_name: str, field: str = "id") -> int:
    kind, pk = from_global_id(value, field)
    if kind != type_name:
        raise Invalid(_("Expected the id of a {type_name}."), field=field, type_name=type_name)
    return pk


def decode_ids(values: Sequence[str] | None, type_name: str, field: str) -> list[int]:
    if not values:
        return []
    if len(values) > MAX_NODES:
        raise Invalid(_("At most {max_nodes} ids."), field=field, max_nodes=MAX_NODES)
    return [decode_id(v, type_name, field) for v in values]


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, page: Page[Any]) -> PageInfo:
        return cls(
            has_next_page=page.has_next, has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )


def _seq(cursor: str | None, field: str) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 19:
        raise Invalid(_("Give the cursor of an event of this timeline."), field=field)
    return int(cursor)


def timeline_args(first: int | None, after: str | None, last: int | None,
                  before: str | None) -> dict[str, int | None]:
    if first is not None and last is not None:
        raise Invalid(_("Give either first or last, not both."), field="first")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 1 <= value <= TIMELINE_PAGE:
            raise Invalid(_("{field} must be between 1 and {count}."), field=name,
                          count=TIMELINE_PAGE)
    if first is None and last is None:
        first, last = (TIMELINE_PAGE, None) if after is not None else (None, TIMELINE_PAGE)
    return {"first": first, "after": _seq(after, "after"), "last": last,
            "before": _seq(before, "before")}
