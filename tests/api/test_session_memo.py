"""Sessions kept by the process (models/memos.py SessionMemo, SESSION_CACHE_SECONDS): a token
is read once per memo age; a sign-out here ends it at once, one made elsewhere (or a disabled
account) once the copy is as old as the memo allows; expiry is checked on every request."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bench.world import World
from models.actions.sessions import token_hash
from models.orm.accounts import AuthToken, User
from tests.api.test_accounts import LOGIN, LOGOUT, ME, register
from tests.support.api import Api, count_queries
from tests.support.clock import FakeClock
from web.settings import Settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=0, figures_cache_seconds=0,
                    session_cache_seconds=5, media_dir=str(tmp_path / "media"))


async def test_a_disabled_account_is_refused_once_the_kept_session_is_old(
        api: Api, world: World, clock: FakeClock, settings: Settings):
    assert (await api.gql(ME, token=world.citizen.token))["me"] is not None
    await User.filter(id=world.citizen.id).update(is_active=False)  # no mutation does it
    clock.advance(seconds=settings.session_cache_seconds)
    assert await api.token_refused(world.citizen.token) == "ACCOUNT_DISABLED"


def _session_reads(statements: list[str]) -> int:
    return sum('"auth_token"' in s for s in statements)


async def test_a_process_reads_a_session_once_while_it_keeps_it(api: Api, world: World,
                                                                 clock: FakeClock,
                                                                 settings: Settings):
    assert settings.session_cache_seconds > 1
    with count_queries() as sent:
        assert (await api.gql(ME, token=world.citizen.token))["me"] is not None
    assert _session_reads(sent) == 1
    clock.advance(seconds=settings.session_cache_seconds - 1)
    with count_queries() as sent:
        assert (await api.gql(ME, token=world.citizen.token))["me"] is not None
    assert _session_reads(sent) == 0
    clock.advance(seconds=1)
    with count_queries() as sent:
        assert (await api.gql(ME, token=world.citizen.token))["me"] is not None
    assert _session_reads(sent) == 1


async def test_kept_sessions_end_as_the_stored_ones_do(api: Api, world: World, clock: FakeClock,
                                                        settings: Settings):
    # Signed out by another process (straight in the database here): noticed within the age.
    token = world.citizen.token
    assert (await api.gql(ME, token=token))["me"] is not None
    await AuthToken.filter(token_hash=token_hash(token, settings.secret_key)).update(
        revoked_at=clock.now)
    clock.advance(seconds=settings.session_cache_seconds)
    assert await api.token_refused(token) == "TOKEN_REVOKED"
    # A kept session whose token runs out meanwhile is refused at once, as expired.
    token = world.other_citizen.token
    await AuthToken.filter(token_hash=token_hash(token, settings.secret_key)).update(
        expires_at=clock.now + timedelta(seconds=0.5))
    assert (await api.gql(ME, token=token))["me"] is not None
    clock.advance(seconds=0.5)
    assert await api.token_refused(token) == "TOKEN_EXPIRED"


async def test_signing_out_everywhere_forgets_every_kept_token_at_once(api: Api):
    await register(api)
    tokens = [(await api.gql(LOGIN, {"input": {"phone": "0905123456",
                                               "password": "sông Hương 2026"}}))["login"]["token"]
              for _ in range(3)]
    for token in tokens:
        assert (await api.gql(ME, token=token))["me"] is not None
    out = await api.gql(LOGOUT, {"input": {"allSessions": True}}, token=tokens[0])
    assert out["logout"]["ok"] is True
    for token in tokens:
        assert await api.token_refused(token) == "TOKEN_REVOKED"
