"""Instances built by the compiled constructors (models/orm/rows.py) are the instances
Tortoise's own `_init_from_db` builds from the same rows: every attribute, its type and its
time zone, for every table of a city with reports in every state, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.models import Model

from bench.world import World
from models.orm import rows
from models.orm.reports import Report, ReportEvent
from models.orm.rows import RowsExecutor, Stored
from tests.api.test_compiled_lists import city
from tests.support.clock import FakeClock


def _seen(instance: Model) -> dict[str, tuple[str, str]]:
    """Each attribute with its type and repr: equal datetimes in different zones differ."""
    return {k: (type(v).__name__, repr(v)) for k, v in vars(instance).items()}


def _tortoise_own(model: type[Model], row: Any) -> Model:
    return Model._init_from_db.__func__(model, **dict(row))  # type: ignore[attr-defined,no-any-return]


def _models() -> list[type[Stored]]:
    found = [m for app in Tortoise.apps.values() for m in app.values()]
    assert found
    assert all(issubclass(m, Stored) for m in found), found
    return found


async def test_every_table_reads_as_tortoise_would(world: World, clock: FakeClock):
    await city(world, clock)
    checked = 0
    for model in _models():
        conn = model._meta.db
        assert issubclass(conn.executor_class, RowsExecutor)  # the engines of models/engines/
        _, raw = await conn.execute_query(f'SELECT * FROM "{model._meta.db_table}"')
        theirs = {}
        for row in raw:
            own = _tortoise_own(model, row)
            theirs[own.pk] = _seen(own)
            ours = model._init_from_db(**dict(row))
            assert type(ours) is model
            assert _seen(ours) == theirs[own.pk], model
        # Through a query, as every read in the code makes them: straight from the driver's rows.
        for instance in await model.all():
            assert type(instance) is model
            assert _seen(instance) == theirs[instance.pk], model
            checked += 1
    assert checked > 50  # the city has rows in most tables, so the comparison compared


async def test_partial_rows_and_unknown_values_take_tortoise_own_way(world: World,
                                                                       clock: FakeClock):
    await city(world, clock)
    partial = await Report.all().only("id", "title").first()
    assert partial is not None
    assert partial._partial
    assert partial.title
    conn = Report._meta.db
    _, raw = await conn.execute_query('SELECT * FROM "report" LIMIT 1')
    row = dict(raw[0]) | {"status": "no_such_status"}
    with pytest.raises(ValueError, match="no_such_status"):
        Report._init_from_db(**row)


def test_a_restart_compiles_again():
    rows._BUILDERS[Report] = lambda row: None
    rows.forget()
    assert Report not in rows._BUILDERS


async def test_where_in_answers_as_the_query_builder(world: World, clock: FakeClock):
    await city(world, clock)
    ids = [r.id for r in await Report.all()]
    asked = [*ids, *range(10**6, 10**6 + rows.IN_CHUNK + 10)]  # more than one statement
    ours = await rows.where_in(Report, "id", asked)
    theirs = await Report.filter(id__in=asked).order_by("id")
    assert len(ours) == len(ids)
    assert [_seen(r) for r in ours] == [_seen(r) for r in theirs]
    events = await rows.where_in(ReportEvent, "report_id", ids[:3], order_by="id")
    assert events
    assert [_seen(e) for e in events] == [_seen(e) for e in await ReportEvent.filter(
        report_id__in=ids[:3]).order_by("id")]
    assert await rows.where_in(Report, "id", []) == []
