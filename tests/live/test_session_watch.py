"""Signed-in live streams end when their session ends, checked for the whole process at once:
one query per round for every open stream, not one lookup per stream."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import timedelta

from bench.world import World, gid
from models.actions.sessions import TokenProblem, token_hash
from models.errors import Unauthenticated
from models.orm.accounts import AuthToken, User
from realtime.session_watch import SessionWatch
from tests.live.conftest import Live
from tests.support.ws import WsClient

AGENCY = "subscription { agencyFeed { seq kind } }"
MINE = "subscription($id: ID!) { reportEvents(reportId: $id) { seq kind } }"


async def test_one_check_covers_every_stream_and_ends_only_the_bad_sessions():
    asked: list[set[str]] = []
    bad: dict[str, TokenProblem] = {}

    async def verify(tokens: Collection[str]) -> dict[str, TokenProblem]:
        asked.append(set(tokens))
        return {t: p for t, p in bad.items() if t in tokens}

    watch = SessionWatch(verify, interval=0)
    endings = [watch.watch(["a", "b", "c"][i % 3]) for i in range(300)]
    heard: list[Exception] = []
    for ending in endings:
        ending.attach(heard.append)
    assert await watch.check() == 0
    assert asked == [{"a", "b", "c"}]  # 300 streams, three sessions, one question
    bad["b"] = TokenProblem.REVOKED
    assert await watch.check() == 1
    assert len(heard) == 100
    assert all(isinstance(e, Unauthenticated) for e in heard)
    assert await watch.check() == 0  # an ended session is not asked about again
    assert asked[-1] == {"a", "c"}
    for _ in range(100):
        watch.unwatch("a")
    assert set(watch.watched) == {"b", "c"}


async def test_revoked_elsewhere_and_expired_sessions_end_their_streams(live: Live, world: World):
    report = await world.report()
    staff = await WsClient.open(live.ws, world.staff_a.token)
    citizen = await WsClient.open(live.ws, world.citizen.token)
    await staff.acked()
    await citizen.acked()
    ops = [await staff.subscribe(AGENCY) for _ in range(5)]
    mine = await citizen.subscribe(MINE, {"id": gid("Report", report.id)})
    await asyncio.sleep(0.3)
    watch: SessionWatch = live.app.state.sessions
    assert len(watch.watched) == 2  # six streams, two sessions
    rounds = watch.queries
    await asyncio.sleep(1.2)  # checked every 0.5 s here
    assert 1 <= watch.queries - rounds <= 3  # per round, not per stream

    # Another server process signs the staff member out: this one learns it on its next round.
    digest = token_hash(world.staff_a.token, live.app.state.deps.secret_key)
    await AuthToken.filter(token_hash=digest).update(revoked_at=world.deps.now())
    for op in ops:
        ended = await staff.next(op, within=5)
        assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # The citizen's session runs out while the stream is open.
    expiry = await AuthToken.get(token_hash=token_hash(world.citizen.token,
                                                        live.app.state.deps.secret_key))
    world.deps.clock.now = expiry.expires_at + timedelta(seconds=1)  # type: ignore[attr-defined]
    ended = await citizen.next(mine, within=5)
    assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not watch.watched
    await staff.close()
    await citizen.close()


async def test_a_disabled_account_ends_its_streams(live: Live, world: World):
    staff = await WsClient.open(live.ws, world.staff_b.token)
    await staff.acked()
    op = await staff.subscribe(AGENCY)
    await asyncio.sleep(0.3)
    await User.filter(id=world.staff_b.id).update(is_active=False)
    ended = await staff.next(op, within=5)
    assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await staff.close()
