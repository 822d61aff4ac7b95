"""Rate limits for mutations: refused with RATE_LIMITED and retryAfterSeconds, GitHub-style
headers, and counters shared by every process through Redis."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
from starlette.applications import Starlette

from bench.servers import Server
from bench.world import World
from models.actions import accounts
from models.errors import RateLimited, Unauthenticated
from models.throttle import RULES, Throttle
from tests.support.api import Api
from web.settings import Settings

SUBMIT = """mutation($d: String!) { submitReport(input: {description: $d}) {
  report { id } errors { code retryAfterSeconds } } }"""
LOGIN = """mutation($p: String!, $w: String!) { login(input: {phone: $p, password: $w}) {
  token errors { code retryAfterSeconds } } }"""


async def test_submissions_per_user_are_limited_with_headers(api: Api, world: World):
    limit = int(RULES["submitReport"].split("/")[0])
    headers = {"Authorization": f"Bearer {world.citizen.token}"}
    for i in range(limit):
        response = await api.client.post("/graphql", headers=headers, json={
            "query": SUBMIT, "variables": {"d": f"Phản ánh số {i}"}})
        assert response.json()["data"]["submitReport"]["errors"] == []
        assert response.headers["X-RateLimit-Limit"] == str(limit)
        assert response.headers["X-RateLimit-Remaining"] == str(limit - i - 1)
        assert int(response.headers["X-RateLimit-Reset"]) > 0
    refused = await api.gql(SUBMIT, {"d": "Một lần nữa"}, world.citizen.token)
    error = refused["submitReport"]["errors"][0]
    assert error["code"] == "RATE_LIMITED"
    assert 0 < error["retryAfterSeconds"] <= 600
    # Someone else is not affected.
    other = await api.gql(SUBMIT, {"d": "Của người khác"}, world.other_citizen.token)
    assert other["submitReport"]["errors"] == []


async def test_failed_sign_ins_from_one_place_lock_that_place_out(api: Api, world: World):
    for _ in range(5):
        wrong = await api.gql(LOGIN, {"p": world.citizen.phone, "w": "đoán sai mật khẩu"})
        assert wrong["login"]["errors"][0]["code"] == "UNAUTHENTICATED"
    locked = await api.gql(LOGIN, {"p": world.citizen.phone, "w": "mật khẩu an toàn"})
    assert locked["login"]["token"] is None
    assert locked["login"]["errors"][0]["code"] == "RATE_LIMITED"
    assert locked["login"]["errors"][0]["retryAfterSeconds"] > 0
    # Another account from the same address still signs in.
    ok = await api.gql(LOGIN, {"p": world.other_citizen.phone, "w": "mật khẩu an toàn"})
    assert ok["login"]["token"]


async def test_a_stranger_cannot_lock_the_owner_out(world: World):
    """Anyone who knows an IOC operator's phone could keep them signed out with five wrong
    passwords every 15 minutes. Now: five from one address lock that address only; many from
    many addresses hold the phone back for addresses it never signed in from, not for the
    owner's own."""
    deps, phone, password = world.deps, world.ioc.phone, "mật khẩu an toàn"
    await accounts.login(phone, password, deps, ip="192.0.2.10")  # the operator, at work
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            await accounts.login(phone, "đoán sai", deps, ip="203.0.113.1")
    with pytest.raises(RateLimited):
        await accounts.login(phone, password, deps, ip="203.0.113.1")
    assert (await accounts.login(phone, password, deps, ip="198.51.100.7"))[0]  # elsewhere
    # The stranger rotates addresses: the phone is held back for unknown addresses...
    for i in range(30):
        with pytest.raises((Unauthenticated, RateLimited)):
            await accounts.login(phone, "đoán sai", deps, ip=f"203.0.113.{100 + i}")
    with pytest.raises(RateLimited):
        await accounts.login(phone, password, deps, ip="198.51.100.99")
    # ...but the operator at their own address signs in as usual.
    token, user, _ = await accounts.login(phone, password, deps, ip="192.0.2.10")
    assert token
    assert user.id == world.ioc.id


@pytest.mark.postgres  # needs the Redis server the CI machine installs, like PostgreSQL
async def test_counters_are_shared_through_redis(redis_server: Server):
    uri = "async+" + redis_server.url
    one, two = Throttle(uri), Throttle(uri)  # two server processes
    key = "shared-test-user"
    for _ in range(3):
        await one.hit("submitReport", key)
    for _ in range(7):
        await two.hit("submitReport", key)
    with pytest.raises(RateLimited):
        await one.hit("submitReport", key)
    assert one.fell_back == two.fell_back == 0
    await one.close()
    await two.close()


async def test_unreachable_storage_falls_back_to_memory():
    throttle = Throttle("async+redis://127.0.0.1:1")  # nothing listens there
    window = await throttle.hit("register", "1.2.3.4")
    assert window is not None
    assert window.remaining == window.limit - 1
    assert throttle.fell_back > 0
    await throttle.close()


class TestRequestsPerIp:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, reminder_interval_seconds=0,
                        rate_limits=(("requests_ip", "3/minute"),))

    async def test_over_the_limit_is_refused_with_429_before_execution(self, api: Api):
        for _ in range(3):
            ok = await api.client.post("/graphql", json={"query": "{ categories { id } }"})
            assert ok.status_code == 200
        refused = await api.client.post("/graphql", json={"query": "{ categories { id } }"})
        assert refused.status_code == 429
        retry = int(refused.headers["Retry-After"])
        assert 0 < retry <= 60
        error = refused.json()["errors"][0]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfterSeconds": retry}
        # GET counts too, and the health check is not limited.
        assert (await api.client.get("/graphql?query={__typename}")).status_code == 429
        assert (await api.client.get("/healthz")).status_code == 200

    async def test_websocket_handshakes_count_and_are_closed_with_4429(self, app: Starlette):
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        for _ in range(3):
            assert app.state.flood.hit("10.0.0.9") is None
        scope = {"type": "websocket", "path": "/graphql", "client": ("10.0.0.9", 5000),
                 "headers": [], "query_string": b"", "subprotocols": ["graphql-transport-ws"],
                 "scheme": "ws", "server": ("test", 80), "root_path": "", "app": app}
        await app(scope, receive, send)
        assert sent == [{"type": "websocket.close", "code": 4429}]


async def test_rules_can_be_switched_off_and_unknown_rules_are_refused():
    throttle = Throttle(overrides={"requests_ip": "0"})
    assert await throttle.hit("requests_ip", "1.2.3.4") is None
    with pytest.raises(ValueError, match="unknown"):
        Throttle(overrides={"requests_per_ip": "5/minute"})
    await throttle.close()


def test_rate_limit_overrides_are_read_from_the_environment():
    settings = Settings.from_env({"RATE_LIMITS": "requests_ip=300/minute, submitReport=0"})
    assert dict(settings.rate_limits) == {"requests_ip": "300/minute", "submitReport": "0"}
