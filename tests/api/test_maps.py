"""Reports found by place: bbox and near (exact distances, nearest first, keyset pages), and
duplicate hints for the IOC."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from typing import Any

import pytest

from bench.world import World, gid
from models.enums import Status
from models.orm.directory import Category
from models.orm.reports import Report
from tests.support.api import Api, count_queries
from tests.support.clock import FakeClock
from tests.unit.test_geo import haversine

CENTRE = (16.4637, 107.5909)  # Huế, Lê Lợi street
NEAR = """query($filter: ReportFilter, $first: Int, $after: String, $orderBy: ReportOrder) {
  reports(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id distanceMeters location { latitude longitude } } } }"""


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + north_m / 111_195.0, lon + east_m / (111_195.0 * math.cos(math.radians(lat))))


async def scatter(world: World, clock: FakeClock, n: int, spread_m: float,
                  seed: int = 3) -> dict[str, tuple[float, float]]:
    rng = random.Random(seed)
    made = {}
    for i in range(n):
        clock.advance(minutes=1)
        place = offset(*CENTRE, rng.uniform(-spread_m, spread_m), rng.uniform(-spread_m, spread_m))
        r = await world.report(Status.ASSIGNED, description=f"Đèn đường hỏng số {i}", place=place)
        made[gid("Report", r.id)] = place
    return made


async def test_near_finds_exactly_the_reports_within_the_radius_nearest_first(
    api: Api, world: World, clock: FakeClock
):
    made = await scatter(world, clock, 40, 2000)
    await world.report(Status.ASSIGNED, place=None)  # no location: never near anything
    for radius in (300.0, 1000.0, 1800.0):
        expected = {i: haversine(*CENTRE, *p) for i, p in made.items()}
        expected = {i: d for i, d in expected.items() if d <= radius}
        near = {"latitude": CENTRE[0], "longitude": CENTRE[1], "radiusMeters": radius}
        data = (await api.gql(NEAR, {"filter": {"near": near}, "first": 100}))["reports"]
        got = [(n["id"], n["distanceMeters"]) for n in data["nodes"]]
        assert {i for i, _ in got} == set(expected)
        assert data["totalCount"] == len(expected)
        assert [d for _, d in got] == sorted(d for _, d in got)
        for i, d in got:
            assert d == pytest.approx(expected[i], abs=0.1)


async def test_near_pages_with_cursors_in_distance_order(api: Api, world: World, clock: FakeClock):
    made = await scatter(world, clock, 25, 800, seed=5)
    near = {"latitude": CENTRE[0], "longitude": CENTRE[1], "radiusMeters": 2000}
    seen: list[str] = []
    after = None
    while True:
        data = (await api.gql(NEAR, {"filter": {"near": near}, "first": 7, "after": after}))
        page = data["reports"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    by_distance = sorted(made, key=lambda i: (haversine(*CENTRE, *made[i]), i))
    assert seen == by_distance


async def test_near_with_another_order_and_other_filters(api: Api, world: World, clock: FakeClock):
    made = await scatter(world, clock, 10, 500, seed=9)
    near = {"latitude": CENTRE[0], "longitude": CENTRE[1], "radiusMeters": 5000}
    data = await api.gql(NEAR, {"filter": {"near": near, "text": "den duong"}, "first": 50,
                                "orderBy": "NEWEST"})
    assert [n["id"] for n in data["reports"]["nodes"]] == list(reversed(made))
    assert all(n["distanceMeters"] is not None for n in data["reports"]["nodes"])


async def test_bbox_matches_an_independent_check(api: Api, world: World, clock: FakeClock):
    made = await scatter(world, clock, 30, 3000, seed=11)
    box = {"south": 16.45, "west": 107.58, "north": 16.47, "east": 107.60}
    data = await api.gql(NEAR, {"filter": {"bbox": box}, "first": 100})
    got = {n["id"] for n in data["reports"]["nodes"]}
    expected = {i for i, (lat, lon) in made.items()
                if box["south"] <= lat <= box["north"] and box["west"] <= lon <= box["east"]}
    assert got == expected
    assert 0 < len(expected) < len(made)
    assert all(n["distanceMeters"] is None for n in data["reports"]["nodes"])


@pytest.mark.parametrize(("near", "field"), [
    ({"latitude": 91, "longitude": 0, "radiusMeters": 10}, "filter.near.latitude"),
    ({"latitude": 16, "longitude": 181, "radiusMeters": 10}, "filter.near.longitude"),
    ({"latitude": 16, "longitude": 107, "radiusMeters": 0}, "filter.near.radiusMeters"),
    ({"latitude": 16, "longitude": 107, "radiusMeters": 50_001}, "filter.near.radiusMeters"),
])
async def test_bad_near_is_a_validation_error(api: Api, world: World, near: dict[str, Any],
                                              field: str):
    errors = await api.errors(NEAR, {"filter": {"near": near}})
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert errors[0]["extensions"]["field"] == field


async def test_distance_order_needs_near(api: Api, world: World):
    errors = await api.errors(NEAR, {"orderBy": "DISTANCE"})
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert errors[0]["extensions"]["field"] == "orderBy"


HINTS = """query($id: ID!) { report(id: $id) { id similarNearby { id distanceMeters title } } }"""
QUEUE_HINTS = """{ reviewQueue(first: 100) { nodes { id similarNearby { id } } } }"""


async def test_similar_nearby_leaves_out_what_is_not_a_candidate(
    world: World, api: Api, clock: FakeClock
):
    words = "Ổ gà lớn giữa đường Lê Lợi gây nguy hiểm cho xe máy"
    kept = await world.report(Status.ASSIGNED, description=words, place=offset(*CENTRE, 140, 0))
    await world.report(Status.ASSIGNED, description=words, place=offset(*CENTRE, 160, 0))
    await world.report(Status.RESOLVED, description=words, place=offset(*CENTRE, 5, 0))
    await world.report(Status.REJECTED, description=words, place=offset(*CENTRE, 5, 0))
    other = await Category.create(code="GT9", name="Hạ tầng giao thông")
    await world.report(Status.ASSIGNED, description=words, place=offset(*CENTRE, 5, 0),
                       category_id=other.id)
    old = await world.report(Status.ASSIGNED, description=words, place=offset(*CENTRE, 1, 0))
    await Report.filter(id=old.id).update(submitted_at=clock.now - timedelta(days=31))
    new = await world.report(description="o ga lon giua duong le loi, xe may nguy hiem",
                             place=CENTRE)
    data = await api.gql(HINTS, {"id": gid("Report", new.id)}, world.ioc.token)
    assert [h["id"] for h in data["report"]["similarNearby"]] == [gid("Report", kept.id)]
    nowhere = await world.report(description=words, place=None)
    data = await api.gql(HINTS, {"id": gid("Report", nowhere.id)}, world.ioc.token)
    assert data["report"]["similarNearby"] == []
    public = await world.report(Status.ASSIGNED, description=words, place=CENTRE)
    for token in (None, world.citizen.token, world.staff_a.token):
        data = await api.gql(HINTS, {"id": gid("Report", public.id)}, token)
        assert data["report"]["similarNearby"] is None  # IOC only


async def test_similar_nearby_orders_by_distance_and_wording(world: World, api: Api):
    here = CENTRE
    words = "Ổ gà lớn giữa đường Lê Lợi gây nguy hiểm cho xe máy"
    alike_far = await world.report(Status.ASSIGNED, description=words, place=offset(*here, 120, 0))
    unlike_close = await world.report(Status.ASSIGNED, description="Cây xanh đổ chắn vỉa hè",
                                      place=offset(*here, 10, 0))
    alike_close = await world.report(Status.IN_PROGRESS, description=words,
                                     place=offset(*here, 0, 30))
    new = await world.report(description="o ga lon giua duong le loi, xe may nguy hiem",
                             place=here)
    data = await api.gql(HINTS, {"id": gid("Report", new.id)}, world.ioc.token)
    hints = data["report"]["similarNearby"]
    assert [h["id"] for h in hints] == [gid("Report", r.id)
                                        for r in (alike_close, alike_far, unlike_close)]
    assert [round(h["distanceMeters"]) for h in hints] == [30, 120, 10]


async def test_hints_for_a_whole_queue_cost_one_query(world: World, api: Api):
    for i in range(6):
        await world.report(description=f"Ổ gà số {i}", place=offset(*CENTRE, 10 * i, 0))
    await world.report(Status.ASSIGNED, description="Ổ gà", place=CENTRE)
    with count_queries() as few:
        await api.gql(QUEUE_HINTS, None, world.ioc.token)
    for i in range(20):
        await world.report(description=f"Ổ gà thêm {i}", place=offset(*CENTRE, 5 * i, 0))
    with count_queries() as many:
        data = await api.gql(QUEUE_HINTS, None, world.ioc.token)
    assert len(data["reviewQueue"]["nodes"]) == 26
    assert len(many) == len(few)
