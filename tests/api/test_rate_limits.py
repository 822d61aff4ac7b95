"""Rate limits for mutations: refused with RATE_LIMITED and retryAfterSeconds, GitHub-style
headers, and counters shared by every process through Redis."""

from __future__ import annotations

import pytest

from models.errors import RateLimited
from models.throttle import RULES, Throttle
from tests.support.api import Api
from tests.support.servers import Server
from tests.support.world import World

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


async def test_failed_sign_ins_lock_the_phone_even_for_the_right_password(api: Api,
                                                                          world: World):
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
    assert window.remaining == window.limit - 1
    assert throttle.fell_back > 0
    await throttle.close()
