"""Persisted documents as Apollo's clients use them (automatic persisted queries, over POST and
GET, GETs cacheable by a CDN), and trusted documents for production: only registered hashes,
registered from a client's manifest by a command, run; the wall keeps working."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import httpx

from bench.world import World, make_world
from models.enums import Status
from tests.frontend.conftest import AppMaker, http
from tests.live.conftest import Live
from tests.support.api import Api
from tests.support.ws import WsClient
from web.wall.routes import wall_documents

ROOT = Path(__file__).resolve().parents[2]
WALL = """query Wall($first: Int!) { reports(first: $first) { nodes { id title } } }"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


async def test_automatic_persisted_queries_round_trip(api: Api, world: World):
    await world.report(Status.ASSIGNED)
    variables = {"first": 5}
    # 1. The hash alone, unknown: Apollo's answer, with HTTP 200 so the client sends the text.
    first = await api.client.post("/graphql", json={"variables": variables,
                                                    "extensions": persisted(WALL)})
    assert first.status_code == 200
    assert first.json()["errors"] == [{"message": "PersistedQueryNotFound", "extensions": {
        "code": "PERSISTED_QUERY_NOT_FOUND"}}]
    # 2. Text and hash: runs, and is kept.
    second = (await api.client.post("/graphql", json={
        "query": WALL, "variables": variables, "extensions": persisted(WALL)})).json()
    assert len(second["data"]["reports"]["nodes"]) == 1
    # 3. The hash alone now runs, over POST and over GET.
    third = (await api.client.post("/graphql", json={"variables": variables,
                                                     "extensions": persisted(WALL)})).json()
    assert third == second
    got = await api.client.get("/graphql", params={
        "variables": json.dumps(variables), "extensions": json.dumps(persisted(WALL))})
    assert got.status_code == 200
    assert got.json() == second
    # A text that is not its hash is refused.
    wrong = await api.client.post("/graphql", json={"query": "{ serverTime }",
                                                    "extensions": persisted(WALL)})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_a_document_that_does_not_validate_is_not_kept(api: Api):
    bad = "{ nope }"
    await api.client.post("/graphql", json={"query": bad, "extensions": persisted(bad)})
    again = await api.client.post("/graphql", json={"extensions": persisted(bad)})
    assert again.json()["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_anonymous_persisted_gets_are_cacheable(make_app: AppMaker):
    async with make_app(response_cache_seconds=10) as app, http(app) as client:
        world = await make_world(app.state.deps)
        await client.post("/graphql", json={"query": WALL, "variables": {"first": 5},
                                            "extensions": persisted(WALL)})
        params = {"variables": json.dumps({"first": 5}),
                  "extensions": json.dumps(persisted(WALL))}
        first = await client.get("/graphql", params=params)
        assert first.status_code == 200
        assert first.headers["cache-control"] == "public, max-age=10"
        etag = first.headers["etag"]
        assert "Accept" in first.headers["vary"]
        again = await client.get("/graphql", params=params, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        # Signed in: never for a shared cache.
        mine = await client.get("/graphql", params=params, headers={
            "Authorization": f"Bearer {world.citizen.token}"})
        assert mine.status_code == 200
        assert mine.headers["cache-control"] == "private, no-store"
        # An answer with errors is not public either.
        failed = await client.get("/graphql", params={"query": "{ nope }"})
        assert failed.headers["cache-control"] == "private, no-store"


def register(manifest: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "server.py", "register-documents", str(manifest),
                           "--client", "web-1.0"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"DATABASE_URL": database_url, "PATH": "/usr/bin",
                                            "LANG": "C.UTF-8"})


async def test_trusted_documents_only(make_app: AppMaker, database_url: str, tmp_path: Path):
    registered = "query Registered { serverTime }"
    manifest = tmp_path / "persisted-query-manifest.json"
    manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                                    "operations": [{"id": sha(registered), "name": "Registered",
                                                    "type": "query", "body": registered}]}))
    done = register(manifest, database_url)
    assert done.returncode == 0, done.stderr
    assert "1 newly trusted" in done.stdout
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({sha("{ a }"): "{ serverTime }"}))
    refused = register(forged, database_url)
    assert refused.returncode == 2
    assert "not the SHA-256" in refused.stderr

    async with make_app(persisted_queries="trusted") as app, http(app) as client:
        by_hash = await client.post("/graphql", json={"extensions": persisted(registered)})
        assert by_hash.json()["data"]["serverTime"]
        by_text = await client.post("/graphql", json={"query": registered})
        assert by_text.json()["data"]["serverTime"]
        for body in ({"query": "{ serverTime }"},
                     {"query": "{ serverTime }", "extensions": persisted("{ serverTime }")}):
            other = await client.post("/graphql", json=body)
            assert other.status_code == 400
            assert other.json()["errors"][0]["extensions"]["code"] == (
                "PERSISTED_QUERY_NOT_TRUSTED")
        unknown = await client.post("/graphql", json={"extensions": persisted("{ x }")})
        assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
        # The wall's own documents are trusted when the server starts.
        wall = wall_documents()["FIRST_PAGE"]
        answer = await client.post("/graphql", json={"query": wall, "variables": {"first": 3}})
        assert "errors" not in answer.json()


async def test_the_websocket_takes_persisted_documents(live: Live, live_world: World):
    feed = "subscription Feed { publicFeed { kind } }"
    client = await WsClient.open(live.ws)
    await client.acked()
    missing = await client.subscribe(None, extensions=persisted(feed))
    assert (await client.next(missing))["errors"][0]["message"] == "PersistedQueryNotFound"
    first = await client.subscribe(feed, extensions=persisted(feed))
    by_hash = await client.subscribe(None, extensions=persisted(feed))
    await live_world.report(Status.ASSIGNED)
    for op in (first, by_hash):
        assert (await client.next(op, within=10))["data"]["publicFeed"]["kind"] == "ASSIGNED"
    await client.close()


async def test_persisted_get_is_never_mistaken_for_a_browser_visit(api: Api):
    # No `query` and Accept */*: strawberry would serve GraphiQL; a persisted GET is an API call.
    response = await api.client.get("/graphql", params={
        "extensions": json.dumps(persisted("{ serverTime }"))}, headers={"Accept": "*/*"})
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response, httpx.Response)
