"""GraphQL over HTTP: the graphql-http audit suite (npm, the spec's own tooling) against a real
server, every audit passing, SHOULD and MAY included; and the refusals a front end meets, each a
GraphQL-shaped JSON body."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from tests.live.conftest import Live
from tests.support.api import Api
from tests.support.node import npm_ready

AUDIT = Path(__file__).parent / "audit"
RESPONSE_JSON = "application/graphql-response+json"


async def test_the_graphql_http_audit_passes_completely(live: Live):
    directory = npm_ready(AUDIT)
    node = await asyncio.create_subprocess_exec(
        "node", "audit.mjs", f"{live.http}/graphql", cwd=directory,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(node.communicate(), 120)
    assert node.returncode == 0, err.decode()
    results = json.loads(out)
    assert len(results) >= 60  # the suite's size in graphql-http 1.23
    failed = [f"{r['id']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert failed == []
    assert any(r["name"].startswith("SHOULD") for r in results)


async def test_request_errors_are_json_with_a_code(api: Api):
    async def send(method: str, **kw: object) -> httpx.Response:
        return await api.client.request(method, "/graphql", **kw)  # type: ignore[arg-type]

    cases = [
        (await send("POST", content=b'{"query": "{ serverTime }"}',
                    headers={"content-type": "text/plain"}), 400, "UNSUPPORTED_MEDIA_TYPE"),
        (await send("POST", content=b"{not json", headers={"content-type": "application/json"}),
         400, "BAD_REQUEST"),
        (await send("POST", json=[{"query": "{ serverTime }"}]), 400, "BAD_REQUEST"),
        (await send("POST", json={"variables": {}}), 400, "BAD_REQUEST"),
        (await send("POST", json={"query": "{ serverTime }", "operationName": 3}), 400,
         "BAD_REQUEST"),
        (await send("PUT", json={"query": "{ serverTime }"}), 405, "METHOD_NOT_ALLOWED"),
        (await send("POST", json={"query": "{ serverTime }"}, headers={"accept": "text/csv"}),
         406, "NOT_ACCEPTABLE"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["errors"][0]["extensions"]["code"] == code, response.text
    assert cases[5][0].headers["allow"] == "GET, POST"


async def test_a_mutation_over_get_is_405_with_allow(api: Api):
    response = await api.client.get("/graphql", params={
        "query": "mutation { logout { ok } }"}, headers={"accept": "application/json"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_graphql_response_json_says_what_happened_in_the_status(api: Api):
    headers = {"accept": RESPONSE_JSON}
    ok = await api.client.post("/graphql", json={"query": "{ serverTime }"}, headers=headers)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == f"{RESPONSE_JSON}; charset=utf-8"
    invalid = await api.client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert invalid.status_code == 400
    assert "data" not in invalid.json()
    assert invalid.headers["content-type"].startswith(RESPONSE_JSON)
    legacy = await api.client.post("/graphql", json={"query": "{ nope }"})
    assert legacy.status_code == 200  # application/json: a well-formed request is 200
    assert legacy.headers["content-type"].startswith("application/json")
    # An error in execution leaves `data`, and a 200.
    partial = await api.client.post("/graphql", json={
        "query": "{ report(id: \"UmVwb3J0OjE=\") { id } serverTime }"}, headers=headers)
    assert partial.status_code == 200
    assert partial.json()["data"]["serverTime"]
