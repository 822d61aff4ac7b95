"""The shared response cache for anonymous queries: hits, what is never cached, and a change
visible on the next read after its event, whichever process made it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette

from bench.world import World, gid
from models.actions import review
from models.enums import Status
from realtime.cache import Cache
from tests.support.api import Api, count_queries
from web.middleware.response_cache import classify
from web.settings import Settings

WALL = """query Wall($n: Int) { reports(first: $n) { totalCount
  nodes { title status agency { name } } } }"""


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The directory memo is off: statements are counted here to see answers computed once.
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=60, figures_cache_seconds=60,
                    directory_cache_seconds=0)


async def read(api: Api, query: str = WALL, n: int = 10,
               token: str | None = None) -> tuple[str | None, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.post("/graphql", headers=headers,
                                     json={"query": query, "variables": {"n": n}})
    assert response.status_code == 200
    return response.headers.get("x-cache"), response.json()


async def settle(app: Starlette) -> None:
    """Let the hub read the events of what the test set up (it would, a moment later)."""
    await app.state.hub.catch_up()


async def test_anonymous_queries_are_served_from_the_cache(app: Starlette, api: Api,
                                                           world: World):
    await world.report(Status.ASSIGNED)
    await settle(app)
    first = await read(api)
    assert first[0] == "MISS"
    again = await read(api)
    assert again == ("HIT", first[1])
    # The same document spelled differently is the same entry; other variables are not.
    respaced = "# the wall\n" + WALL.replace("{ ", "{\n    ")
    assert (await read(api, respaced))[0] == "HIT"
    assert (await read(api, n=5))[0] == "MISS"
    # Signed-in readers are never served from it, nor stored in it.
    signed_in = await read(api, token=world.citizen.token)
    assert signed_in[0] is None


async def test_a_mutation_here_is_visible_on_the_next_read(app: Starlette, api: Api,
                                                          world: World):
    report = await world.report(Status.PENDING_REVIEW)
    await settle(app)
    before = (await read(api))[1]["data"]["reports"]["totalCount"]
    assert (await read(api))[0] == "HIT"
    assign = """mutation($id: ID!, $a: ID!) { assignReport(input: {id: $id, agencyId: $a}) {
      errors { code } } }"""
    done = await api.gql(assign, {"id": gid("Report", report.id),
                                  "a": gid("Agency", world.agency_a.id)}, world.ioc.token)
    assert done["assignReport"]["errors"] == []
    cache, body = await read(api)
    assert cache == "MISS"
    assert body["data"]["reports"]["totalCount"] == before + 1


async def test_a_change_elsewhere_is_visible_once_its_event_is_read(app: Starlette,
                                                                   api: Api, world: World):
    """Another process's change reaches this one only as an event (bus or polling): the hub
    reading it from the database empties the cache."""
    report = await world.report(Status.PENDING_REVIEW)
    await settle(app)
    before = (await read(api))[1]["data"]["reports"]["totalCount"]
    assert (await read(api))[0] == "HIT"
    cache: Cache[bytes, bytes] = app.state.cache
    changes = cache.changes
    # As another process would: the use case directly, not through this app's HTTP layer.
    await review.assign_report(world.deps, world.ioc.viewer, report.id, world.agency_a.id)
    for _ in range(100):
        if cache.changes != changes:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the hub never read the event")
    assert (await read(api))[1]["data"]["reports"]["totalCount"] == before + 1


async def test_errors_and_mutations_are_not_cached(api: Api):
    bad = await api.client.post("/graphql", json={"query": "{ reports { nope } }"})
    assert bad.headers.get("x-cache") == "MISS"
    again = await api.client.post("/graphql", json={"query": "{ reports { nope } }"})
    assert again.headers.get("x-cache") == "MISS"
    mutation = await api.client.post("/graphql", json={
        "query": 'mutation { login(input: {phone: "0905000000", password: "x"}) { token } }'})
    assert mutation.headers.get("x-cache") is None
    get = await api.client.get("/graphql", params={"query": "{ categories { name } }"})
    assert get.headers["x-cache"] == "MISS"
    assert (await api.client.get("/graphql", params={"query": "{ categories { name } }"})
            ).headers["x-cache"] == "HIT"


def test_only_single_queries_are_cacheable():
    assert classify({"query": "mutation { logout { ok } }"}).is_mutation
    assert classify({"query": "mutation { logout { ok } }"}).key is None
    assert classify({"query": "{ a } { b }"}).key is None  # ambiguous
    assert classify({"query": "query A { a } query B { b }", "operationName": "B"}).key
    assert classify({"query": "{ unclosed"}).key is None
    assert classify(["batched"]).key is None


STATS = "{ stats { received } }"


async def test_figures_are_kept_until_the_next_change(app: Starlette, api: Api, world: World):
    """agencyRankings and stats (aggregates over every report) are computed once between
    changes, for everyone, signed in or not."""
    await world.report(Status.ASSIGNED)
    await settle(app)
    memo = app.state.memo
    first = await api.gql(STATS, token=world.citizen.token)
    computed = memo.computations
    assert await api.gql(STATS, token=world.ioc.token) == first
    assert memo.computations == computed
    submit = """mutation { submitReport(input: {description: "Cống thoát nước bị tắc"}) {
      errors { code } } }"""
    assert (await api.gql(submit, token=world.citizen.token))["submitReport"]["errors"] == []
    after = await api.gql(STATS, token=world.citizen.token)
    assert after["stats"]["received"] == first["stats"]["received"] + 1


async def test_identical_queries_arriving_together_are_computed_once(app: Starlette, api: Api,
                                                                     world: World):
    await world.report(Status.ASSIGNED)
    await settle(app)
    with count_queries() as alone:
        await read(api, n=3)
    app.state.cache.invalidate()
    with count_queries() as together:
        answers = await asyncio.gather(*(read(api, n=3) for _ in range(10)))
    assert len(together) == len(alone)
    assert sorted(a[0] or "" for a in answers) == ["HIT"] * 9 + ["MISS"]
    assert all(a[1] == answers[0][1] for a in answers)
