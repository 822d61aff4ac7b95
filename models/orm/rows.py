"""Model instances from database rows: one constructor compiled per model.

Tortoise's `Model._init_from_db` walks three lists of fields for every row and converts each
column through generic code (an enum by calling its class, a timestamp through two lookups of
the time-zone settings). A page of 50 reports has 39 columns a row; in py-spy on the review
queue that walk was a sixth of the server's samples, more than the SQL. `Stored` builds the
same instance with code generated once per model from the same lists: one assignment per
column, an enum by a dictionary lookup, an aware timestamp by one `astimezone`.

Which columns need which conversion depends on the database (Tortoise classifies them when it
starts), so the constructors are forgotten whenever Tortoise starts (`models/db.py`).
Anything the generated code does not expect (a partial row from `.only()`, an enum value
that is not a member) takes Tortoise's own way, which answers it as it always did.

Tortoise's executor also copies every row twice into dictionaries (`dict(row)`, then a slice
of its items) to hand it over as keyword arguments: as much again as building the instance.
`RowsExecutor` gives a plain select's rows (one model, no annotations) to the constructor as
they come from the driver; the connections use it through the engines in `models/engines/`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Self, TypeVar

from tortoise import timezone
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import CHUNK_SIZE, BaseExecutor
from tortoise.fields import Field
from tortoise.fields.data import CharEnumFieldInstance, DatetimeField, IntEnumFieldInstance
from tortoise.models import Model

Builder = Callable[[Mapping[str, Any]], Any]
M = TypeVar("M", bound=Model)
_BUILDERS: dict[type[Model], Builder] = {}


def forget() -> None:
    """Tortoise (re)started, perhaps on another database: compile again on first use."""
    _BUILDERS.clear()


class Stored(Model):
    """The base of every table model: Tortoise's own, built faster from rows."""

    class Meta:
        abstract = True

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Self:
        try:
            instance: Self = builder(cls)(kwargs)
        except LookupError:  # a partial row or a value the fast path does not know
            return super()._init_from_db(**kwargs)
        return instance


def builder(model: type[Model]) -> Builder:
    build = _BUILDERS.get(model)
    if build is None:
        build = _BUILDERS[model] = compile_builder(model)
    return build


async def select(model: type[M], sql: str, values: Sequence[Any] = ()) -> list[M]:
    """Instances of `model` from a hand-written SELECT of all its columns (`SELECT t.*`),
    on the connection its queries would use now (the replica for anonymous reads)."""
    _, raw = await model._choose_db().execute_query(sql, list(values))
    build = builder(model)
    found: list[M] = []
    for row in raw:
        try:
            found.append(build(row))
        except LookupError:
            found.append(model._init_from_db(**dict(row)))
    return found


def placeholders(conn: BaseDBAsyncClient, count: int, first: int = 1) -> list[str]:
    """Parameter marks for a hand-written statement: `$1, $2…` on PostgreSQL, `?` on SQLite."""
    if conn.capabilities.dialect == "postgres":
        return [f"${i}" for i in range(first, first + count)]
    return ["?"] * count


IN_CHUNK = 500  # values per statement: far under SQLite's limit on parameters


async def where_in(model: type[M], column: str, values: Collection[Any],
                   order_by: str = "id") -> list[M]:
    """`model.filter(<column>__in=values).order_by(order_by)`, written directly: the loaders
    ask it on every page with up to a hundred values, and composing it with the ORM's query
    builder cost more than running it. `column` and `order_by` are names from the code."""
    if not values:
        return []
    values = list(values)
    conn = model._choose_db()
    table = model._meta.db_table
    found: list[M] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start:start + IN_CHUNK]
        marks = ", ".join(placeholders(conn, len(chunk)))
        found += await select(model, f'SELECT * FROM "{table}" WHERE "{column}" IN ({marks}) '
                                     f'ORDER BY "{order_by}"', chunk)
    if len(values) > IN_CHUNK:
        found.sort(key=lambda row: getattr(row, order_by))
    return found


class RowsExecutor(BaseExecutor):
    """Mixed into each engine's executor (models/engines/): plain selects of `Stored` models
    build their instances straight from the driver's rows."""

    async def execute_select(self, sql: str, values: list[Any] | None = None,
                             custom_fields: list[Any] | None = None) -> list[Any]:
        model = self.model
        if custom_fields or len(self.select_related_idx or ()) > 1 \
                or not issubclass(model, Stored):
            return await super().execute_select(sql, values, custom_fields)
        _, raw = await self.db.execute_query(sql, values)
        build = builder(model)
        instances: list[Any] = []
        for index, row in enumerate(raw):
            if index and index % CHUNK_SIZE == 0:
                await asyncio.sleep(0)  # as Tortoise does: long results do not block the loop
            try:
                instances.append(build(row))
            except LookupError:  # a partial row (sqlite3.Row: IndexError): Tortoise's own way
                instances.append(model._init_from_db(**dict(row)))
        await self._execute_prefetch_queries(instances)
        return instances


def _settable_directly(model: type[Model], name: str) -> bool:
    """False where the class defines something that intercepts assignment (a descriptor)."""
    return not hasattr(inspect.getattr_static(model, name, None), "__set__")


def compile_builder(model: type[Model]) -> Builder:
    """Source for one function that turns a row (column name → value) into an instance, with
    the conversions Tortoise would make, then `exec` of it (as `dataclasses` builds
    `__init__`)."""
    meta = model._meta
    names: dict[str, Any] = {"new": model.__new__, "model": model, "datetime": datetime}
    lines = [
        "def build(row):",
        "    self = new(model)",
        "    d = self.__dict__",
        "    d['_partial'] = False",
        "    d['_saved_in_db'] = True",
        f"    d['_custom_generated_pk'] = {meta.db_pk_column not in meta.generated_db_fields}",
        "    d['_await_when_save'] = {}",
    ]
    use_tz = timezone.get_use_tz()
    names["tz"] = timezone.get_default_timezone()

    def assign(column: str, attribute: str, expression: str) -> None:
        lines.append(f"    v = row[{column!r}]")
        if expression != "v":
            lines.append(f"    if v is not None: v = {expression}")
        if _settable_directly(model, attribute):
            lines.append(f"    d[{attribute!r}] = v")
        else:
            lines.append(f"    setattr(self, {attribute!r}, v)")

    for column, attribute, _field in meta.db_native_fields:
        assign(column, attribute, "v")
    for index, (column, attribute, field) in enumerate(meta.db_default_fields):
        names[f"t{index}"] = field.field_type
        assign(column, attribute, f"t{index}(v)")
    for index, (column, attribute, field) in enumerate(meta.db_complex_fields):
        names[f"f{index}"] = field.to_python_value
        assign(column, attribute, _conversion(field, index, names, use_tz))
    lines.append("    return self")
    exec("\n".join(lines), names)  # the source is built above from the model's own fields
    build: Builder = names["build"]
    return build


def _conversion(field: Field[Any], index: int, names: dict[str, Any], use_tz: bool) -> str:
    """The expression converting `v` (not None) as `field.to_python_value(v)` would."""
    if isinstance(field, CharEnumFieldInstance | IntEnumFieldInstance):
        names[f"m{index}"] = field.enum_type._value2member_map_  # KeyError: Tortoise's way
        return f"m{index}[v]"
    if isinstance(field, DatetimeField) and use_tz:
        # Aware timestamps are moved into the configured zone; anything else is parsed.
        return f"v.astimezone(tz) if type(v) is datetime and v.tzinfo is not None else f{index}(v)"
    return f"f{index}(v)"
