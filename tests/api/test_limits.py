"""Query limits: depth, aliases, tokens, node cost, body size, batching, GET, introspection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from server import create_app
from tests.conftest import forget_dialect_caches
from tests.support.api import Api
from tests.support.clock import FakeClock
from web.settings import Settings

NESTED = """{ reports(first: 100) { edges { node { comments(first: 100) { totalCount } } } } }"""


async def test_cost_is_reported_and_multiplies_nested_pages(api: Api):
    body = await api.post("{ reports(first: 10) { nodes { comments(first: 5) { totalCount } } } }")
    assert "errors" not in body
    # 10 reports + 10 x 5 comments
    assert body["extensions"]["cost"] == {"requestedNodes": 60, "limit": 50_000}
    by_variable = await api.post(
        "query($n: Int) { reports(first: $n) { totalCount } }", {"n": 42})
    assert by_variable["extensions"]["cost"]["requestedNodes"] == 42
    default = await api.post("{ reports { totalCount } }")
    assert default["extensions"]["cost"]["requestedNodes"] == 20  # the default page


async def test_too_costly_queries_are_refused_before_running(api: Api):
    body = await api.post(NESTED.replace("{ totalCount }", "{ edges { node { author {"
                                         " displayName } } } }"))
    # 100 + 100 x 100 = 10,100: allowed.
    assert "errors" not in body
    # 100 reports, their timelines (the latest 100 events each: 10,000), and for each event's
    # report 100 comments: 100 + 10,000 + 1,000,000.
    deeper = """{ reports(first: 100) { nodes { timeline { report {
      comments(first: 100) { totalCount } } } } } }"""
    refused = await api.post(deeper)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert refused["extensions"]["cost"]["requestedNodes"] == 1_010_100


async def test_depth_and_alias_limits(api: Api):
    deep = "{ reports(first: 1) { nodes { " + "duplicateOf { " * 12 + "id" + " }" * 12 + \
        " } } }"
    errors = await api.errors(deep)
    assert "exceeds maximum operation depth" in errors[0]["message"]
    aliases = "{ " + " ".join(f"a{i}: categories {{ id }}" for i in range(40)) + " }"
    errors = await api.errors(aliases)
    assert "aliases" in errors[0]["message"].lower()


async def test_a_repeated_document_is_validated_once(api: Api):
    """The limits add validation rules; made afresh per request they would defeat the cache."""
    from strawberry.extensions.validation_cache import _get_validate_cache

    cache: Any = _get_validate_cache(512)
    query = "{ categories { id name } agencies { id } }"
    await api.post(query)
    before = cache.cache_info()
    for _ in range(3):
        await api.post(query)
    after = cache.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)


async def test_token_limit(api: Api):
    huge = "{ " + " ".join(["__typename"] * 6000) + " }"
    errors = await api.errors(huge)
    assert "token" in errors[0]["message"].lower()


async def test_body_size_is_capped(api: Api):
    big = "x" * (1024 * 1024 + 10)
    response = await api.client.post("/graphql", json={"query": "{ me { id } }",
                                                       "variables": {"pad": big}})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_no_batching_and_no_mutations_over_get(api: Api):
    batch = await api.client.post("/graphql", json=[{"query": "{ me { id } }"}] * 2)
    assert batch.status_code == 400
    get = await api.client.get("/graphql", params={
        "query": 'mutation { logout { ok } }'})
    assert get.status_code in (400, 405)
    ok = await api.client.get("/graphql", params={"query": "{ categories { code } }"})
    assert ok.status_code == 200
    assert ok.json()["data"]["categories"]


@pytest.fixture
async def closed_api(database_url: str, clock: FakeClock) -> AsyncIterator[Api]:
    forget_dialect_caches()
    app: Starlette = create_app(Settings(database_url=database_url, reminder_interval_seconds=0,
                                         introspection=False), clock=clock)
    async with app.router.lifespan_context(app):
        client = Api(app)
        yield client
        await client.client.aclose()


async def test_introspection_and_suggestions_are_on_by_default(api: Api):
    assert (await api.gql("{ __schema { queryType { name } } }"))["__schema"]
    open_errors = await api.errors("{ reprts { totalCount } }")
    assert "Did you mean" in open_errors[0]["message"]


async def test_introspection_and_suggestions_can_be_switched_off(closed_api: Api):
    errors = await closed_api.errors("{ __schema { queryType { name } } }")
    assert "introspection" in errors[0]["message"].lower()
    closed_errors = await closed_api.errors("{ reprts { totalCount } }")
    assert "Did you mean" not in closed_errors[0]["message"]
    assert "reprts" in closed_errors[0]["message"]
