"""One time convention on every surface: RFC 3339 with Huế's offset, to the second. Every
timestamp-looking string in each answer is checked, so a new field cannot slip through."""

from __future__ import annotations

import re
from typing import Any

from bench.world import World, gid
from models.actions import participation
from models.enums import Satisfaction, Status
from tests.live.conftest import Live
from tests.support.api import Api
from tests.support.ws import WsClient

LOOKS_LIKE_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
CONVENTION = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")
REPORT = """query($id: ID!) { serverTime report(id: $id) {
  submittedAt dueAt resolvedAt result { publishedAt submittedAt }
  timeline { at } lastEvent { at } rating { ratedAt }
  comments(first: 5) { nodes { createdAt } } } }"""


def times(value: Any) -> list[str]:
    """Every string in `value` that holds a date and a time."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in times(v)]
    if isinstance(value, list):
        return [t for v in value for t in times(v)]
    if isinstance(value, str) and LOOKS_LIKE_TIME.search(value):
        return [value]
    return []


def assert_convention(found: list[str], at_least: int) -> None:
    assert len(found) >= at_least, found
    wrong = [t for t in found if not CONVENTION.fullmatch(t)]
    assert wrong == []


async def resolved_report(world: World) -> Any:
    report = await world.report(Status.RESOLVED)
    await participation.add_comment(world.deps, world.other_citizen.viewer, report.id,
                                    "Cảm ơn phường đã xử lý nhanh.")
    await participation.rate_report(world.deps, world.citizen.viewer, report.id,
                                    Satisfaction.SATISFIED, None)
    return report


async def test_graphql_open311_and_exports_write_huế_time(api: Api, world: World):
    report = await resolved_report(world)
    data = await api.gql(REPORT, {"id": gid("Report", report.id)})
    assert_convention(times(data), 10)
    geojson = (await api.client.get("/export/reports.geojson")).json()
    assert_convention(times(geojson), 3)
    csv = (await api.client.get("/export/reports.csv", headers={
        "Authorization": f"Bearer {world.ioc.token}"})).text
    assert_convention(re.findall(r"\d{4}-\d\d-\d\dT[^,]*", csv), 3)
    open311 = (await api.client.get("/open311/v2/requests.json")).json()
    assert_convention(times(open311), 2)


async def test_live_events_write_huế_time(live: Live, live_world: World):
    client = await WsClient.open(live.ws)
    await client.acked()
    op = await client.subscribe("subscription { publicFeed { at report { submittedAt dueAt } } }")
    await live_world.report(Status.ASSIGNED)
    event = (await client.next(op, within=10))["data"]["publicFeed"]
    assert_convention(times(event), 3)
    await client.close()
