"""Sessions a front end can manage: it learns when a token ends, renews it before then, and
is told why a token is refused, over HTTP (401) as over WebSocket (4403)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bench.world import World
from tests.live.conftest import Live
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.ws import WsClient

LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  token expiresAt user { displayName } errors { code } } }"""
RENEW = "mutation { renewSession { token expiresAt user { role } errors { code } } }"
ME = "{ me { id } }"


async def test_sign_in_says_when_the_token_ends(api: Api, world: World, clock: FakeClock):
    data = (await api.gql(LOGIN, {"input": {"phone": world.citizen.phone,
                                            "password": "mật khẩu an toàn"}}))["login"]
    ends = datetime.fromisoformat(data["expiresAt"])
    assert data["expiresAt"].endswith("+07:00")
    assert ends - clock.now == timedelta(days=30)


async def test_a_session_is_renewed_before_it_ends(api: Api, world: World, clock: FakeClock):
    old = world.citizen.token
    clock.advance(days=29)
    renewed = (await api.gql(RENEW, token=old))["renewSession"]
    assert renewed["errors"] == []
    assert renewed["token"] != old
    assert renewed["user"]["role"] == "CITIZEN"
    assert datetime.fromisoformat(renewed["expiresAt"]) - clock.now == timedelta(days=30)
    # The old token lets requests already on their way finish, then ends as replaced.
    clock.advance(seconds=59)
    assert (await api.gql(ME, token=old))["me"] is not None
    clock.advance(seconds=2)
    assert await api.token_refused(old) == "TOKEN_REVOKED"
    clock.advance(days=29)  # 59 days after the first sign-in, the new one still works
    assert (await api.gql(ME, token=renewed["token"]))["me"] is not None
    clock.advance(days=2)
    assert await api.token_refused(renewed["token"]) == "TOKEN_EXPIRED"


async def test_renewing_needs_a_good_token(api: Api):
    anonymous = (await api.gql(RENEW))["renewSession"]
    assert anonymous["errors"] == [{"code": "UNAUTHENTICATED"}]
    assert await api.token_refused("nope") == "TOKEN_INVALID"


async def test_the_websocket_names_the_problem_too(live: Live, live_world: World,
                                                   clock: FakeClock):
    clock.advance(days=31)
    expired = await WsClient.open(live.ws, live_world.citizen.token)
    assert await asyncio.wait_for(expired.closed, 5) == 4403
    assert expired.close_reason == "TOKEN_EXPIRED"
    garbage = await WsClient.open(live.ws, "not-a-token")
    assert await asyncio.wait_for(garbage.closed, 5) == 4403
    assert garbage.close_reason == "TOKEN_INVALID"
