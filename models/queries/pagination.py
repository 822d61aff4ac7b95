"""Keyset pagination: opaque cursors that stay stable while new rows arrive."""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

import orjson
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.errors import Invalid
from models.messages import _

MAX_PAGE = 100
DEFAULT_PAGE = 20

M = TypeVar("M", bound=Model)


class Direction(enum.Enum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True)
class SortKey:
    name: str  # stable name written into cursors
    column: str  # model field; ties are broken by id in the same direction
    direction: Direction


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def size(self) -> int:
        if self.first is not None and self.last is not None:
            raise Invalid(_("Give either first or last, not both."), field="first")
        for name, value in (("first", self.first), ("last", self.last)):
            if value is not None and not 1 <= value <= MAX_PAGE:
                raise Invalid(_("{field} must be between 1 and {count}."), field=name,
                              count=MAX_PAGE)
        return self.first or self.last or DEFAULT_PAGE

    @property
    def backward(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)


class Cursors(Sequence[str]):
    """The cursors of a page's rows, each made when first asked for: most documents ask for
    none of them, or only pageInfo's two ends (encoding one is a JSON dump and a base64)."""

    def __init__(self, key: SortKey, rows: Sequence[Model]) -> None:
        self.key = key
        self.rows = rows
        self._made: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.rows)))]
        if index < 0:
            index += len(self.rows)
        made = self._made.get(index)
        if made is None:
            made = self._made[index] = encode_cursor(self.key, self.rows[index])
        return made


@dataclass
class Page(Generic[M]):
    items: list[M]
    cursors: Sequence[str]
    has_next: bool
    has_previous: bool


def _encode_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(key: SortKey, row: Model) -> str:
    raw = orjson.dumps([key.name, _encode_value(getattr(row, key.column)), row.pk])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(key: SortKey, cursor: str, field: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, pk = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise Invalid(_("Malformed cursor."), field=field) from None
    if name != key.name or not isinstance(pk, int):
        raise Invalid(_("This cursor belongs to another ordering."), field=field)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(_("Malformed cursor."), field=field) from None
    return value, pk


def _beyond(key: SortKey, value: Any, pk: int, forward: bool) -> Q:
    """Rows strictly past (value, pk) when reading in the key's direction (or against it)."""
    ascending = (key.direction is Direction.ASC) == forward
    op = "gt" if ascending else "lt"
    return Q(**{f"{key.column}__{op}": value}) | Q(**{key.column: value, f"id__{op}": pk})


def _ordering(key: SortKey, forward: bool) -> Sequence[str]:
    ascending = (key.direction is Direction.ASC) == forward
    prefix = "" if ascending else "-"
    return (f"{prefix}{key.column}", f"{prefix}id")


def page_query(qs: QuerySet[M], key: SortKey, args: PageArgs) -> tuple[QuerySet[M], int]:
    """The page's statement (one row more than its size, to tell whether more follow, in the
    order it is read) and its size."""
    size = args.size()
    forward = not args.backward
    if args.after is not None:
        qs = qs.filter(_beyond(key, *decode_cursor(key, args.after, "after"), forward=True))
    if args.before is not None:
        qs = qs.filter(_beyond(key, *decode_cursor(key, args.before, "before"), forward=False))
    return qs.order_by(*_ordering(key, forward)).limit(size + 1), size


def ordering(key: SortKey, args: PageArgs) -> Sequence[str]:
    """The order `page_query` reads in, as ORM orderings ("-column" descending)."""
    return _ordering(key, not args.backward)


async def paginate(qs: QuerySet[M], key: SortKey, args: PageArgs) -> Page[M]:
    page, size = page_query(qs, key, args)
    forward = not args.backward
    rows = list(await page)
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    return Page(
        items=rows,
        cursors=Cursors(key, rows),
        has_next=more if forward else args.before is not None,
        has_previous=args.after is not None if forward else more,
    )
