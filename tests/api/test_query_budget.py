"""One anonymous query must never stall a process. Three layers, each tested here:

- the cost estimate counts real bounds: every list is a connection or declares (and enforces)
  its maximum; a report's timeline holds its latest 100 events and pages through older ones;
  `nodes(ids)` counts its ids; a cycle through `ReportEvent.report` multiplies like the rest;
- a per-operation budget no document can talk around: fields executed, seconds, bytes;
- turns: a long operation lets the event loop serve others between its parts.

The worst report (hundreds of events) is asked every shape of question.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType
from starlette.applications import Starlette

from bench.guard import SHAPES
from bench.guard import worst_report as bench_worst_report
from bench.world import World, gid
from models.enums import Status
from models.orm.reports import Report, ReportEvent
from resolvers.build import build_schema
from schema.declared import MAX_ITEMS, SIZED_BY, declared
from server import create_app
from tests.conftest import forget_dialect_caches
from tests.support.api import Api
from tests.support.clock import FakeClock
from web.settings import Settings

EVENTS = 300
TIMELINE = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  report(id: $id) { timeline(first: $first, after: $after, last: $last, before: $before) {
    seq cursor kind } } }"""
ACCEPTED = {None, "QUERY_TOO_COSTLY", "OPERATION_TOO_LARGE", "RESPONSE_TOO_LARGE"}


async def worst_report(world: World) -> Report:
    return await bench_worst_report(world, EVENTS)


def test_every_list_is_a_connection_or_declares_its_bound():
    schema = build_schema()._schema
    undeclared = []
    for name, kind in schema.type_map.items():
        if not isinstance(kind, GraphQLObjectType) or name.startswith("__") \
                or name.endswith("Connection"):
            continue
        for field_name, field in kind.fields.items():
            inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if isinstance(inner, GraphQLList) and not (
                    declared(field, MAX_ITEMS) or declared(field, SIZED_BY)):
                undeclared.append(f"{name}.{field_name}")
    assert undeclared == []


async def test_a_timeline_holds_its_latest_100_and_pages_through_the_rest(api: Api,
                                                                         world: World):
    report = await worst_report(world)
    rid = gid("Report", report.id)
    every = [e.id for e in await ReportEvent.filter(report_id=report.id).order_by("id")]
    assert len(every) > 2 * 100

    async def page(**args: Any) -> list[int]:
        data = await api.gql(TIMELINE, {"id": rid, **args})
        return [e["seq"] for e in data["report"]["timeline"]]

    assert await page() == every[-100:]  # the latest 100, oldest first
    forward: list[int] = []
    while chunk := await page(first=100, after=str(forward[-1]) if forward else None):
        forward += chunk
    assert forward == every
    assert await page(last=30, before=str(every[-100])) == every[-130:-100]
    wrong: list[tuple[dict[str, Any], str]] = [
        ({"first": 101}, "first"), ({"last": 0}, "last"), ({"first": 5, "last": 5}, "first"),
        ({"after": "x"}, "after")]
    for bad, field in wrong:
        errors = await api.errors(TIMELINE, {"id": rid, **bad})
        assert errors[0]["extensions"] == {"code": "VALIDATION", "field": field}


async def test_the_cost_counts_what_lists_may_return(api: Api, world: World):
    report = await worst_report(world)
    rid = gid("Report", report.id)
    assert (await api.post(TIMELINE, {"id": rid}))["extensions"]["cost"]["requestedNodes"] == 100
    assert (await api.post(TIMELINE, {"id": rid, "last": 7}))["extensions"]["cost"][
        "requestedNodes"] == 7
    nodes = await api.post("query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                           {"ids": [rid] * 42})
    assert nodes["extensions"]["cost"]["requestedNodes"] == 42
    cycle = await api.post(SHAPES["cycle, three deep"], {"id": rid})
    assert cycle["data"] is None
    assert cycle["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert cycle["extensions"]["cost"]["requestedNodes"] == 100 + 100**2 + 100**3


async def test_the_worst_report_answers_every_shape_within_the_budget(api: Api, world: World):
    report = await worst_report(world)
    rid = gid("Report", report.id)
    beats: list[float] = []

    async def heartbeat() -> None:  # what /healthz would see of the event loop
        while True:
            await asyncio.sleep(0.001)
            beats.append(time.perf_counter())

    beating = asyncio.create_task(heartbeat())
    gaps = {}
    try:
        for name, document in SHAPES.items():
            beats.clear()
            started = time.perf_counter()
            response = await api.client.post("/graphql", json={"query": document, "variables": {
                "id": rid, "ids": [rid] * 100}})
            marks = [started, *beats, time.perf_counter()]
            gaps[name] = max(b - a for a, b in itertools.pairwise(marks))
            assert response.status_code == 200, name
            body = response.json()
            codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
            assert codes <= ACCEPTED, (name, body["errors"])
            assert len(response.content) <= 4 * 1024 * 1024
            if codes - {None}:
                assert body["data"] is None, name  # refused whole, never half-answered
    finally:
        beating.cancel()
    print({name: f"{gap * 1000:.0f} ms" for name, gap in gaps.items()})
    # The event loop's longest pause, for information (bench/guard.py measures /healthz):
    # turns and the budget keep it to tens of milliseconds; a second would mean a stall.
    assert max(gaps.values()) < 1.0, gaps


@pytest.fixture
async def tight(database_url: str, tmp_path: Any, clock: FakeClock) -> Any:
    forget_dialect_caches()
    settings = Settings(database_url=database_url, reminder_interval_seconds=0,
                        response_cache_seconds=0, media_dir=str(tmp_path / "media"),
                        max_operation_fields=300, max_response_bytes=20_000)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app


async def test_the_budget_refuses_the_whole_operation(tight: Starlette):
    from bench.world import make_world

    world = await make_world(tight.state.deps)
    report = await worst_report(world)
    api = Api(tight)
    try:
        fields = await api.post("""query($id: ID!) { report(id: $id) { timeline {
          seq kind at note } } }""", {"id": gid("Report", report.id)})  # 400 fields
        assert fields["data"] is None
        assert [e["extensions"]["code"] for e in fields["errors"]] == ["OPERATION_TOO_LARGE"]
        small = await api.post("""query($id: ID!) { report(id: $id) { timeline(last: 20) {
          seq kind } } }""", {"id": gid("Report", report.id)})
        assert "errors" not in small
        for i in range(5):  # a few long texts: few fields, many bytes
            await world.report(Status.ASSIGNED, description=f"{i} " + "Rác thải " * 500)
        big = await api.post("{ reports(first: 6) { nodes { description } } }")
        assert big["data"] is None
        assert [e["extensions"]["code"] for e in big["errors"]] == ["RESPONSE_TOO_LARGE"]
    finally:
        await api.client.aclose()
