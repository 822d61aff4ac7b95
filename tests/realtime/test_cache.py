"""Answers kept until the next event (realtime/cache.py), the one mechanism behind the response
cache and the figures memo: kept until invalidated, computed once for concurrent callers, and
never keeping an answer computed across a change."""

from __future__ import annotations

import asyncio

from realtime.cache import Cache


async def test_kept_until_invalidated():
    memo: Cache[str, int] = Cache(max_age=60)
    calls: list[int] = []

    async def compute() -> int:
        calls.append(1)
        return len(calls)

    assert await memo.get_or_compute("k", compute) == 1
    assert await memo.get_or_compute("k", compute) == 1
    memo.invalidate()
    assert await memo.get_or_compute("k", compute) == 2
    assert await memo.get_or_compute("other", compute) == 3
    assert (memo.hits, memo.computations) == (1, 3)


async def test_concurrent_callers_share_one_computation():
    memo: Cache[str, str] = Cache(max_age=60)
    calls: list[int] = []

    async def compute() -> str:
        calls.append(1)
        await asyncio.sleep(0.05)
        return "figures"

    results = await asyncio.gather(*(memo.get_or_compute("k", compute) for _ in range(10)))
    assert results == ["figures"] * 10
    assert len(calls) == 1


async def test_an_answer_computed_across_an_event_is_not_kept():
    memo: Cache[str, int] = Cache(max_age=60)
    calls: list[int] = []

    async def compute() -> int:
        calls.append(1)
        memo.invalidate()  # an event arrives while the aggregate runs
        return len(calls)

    assert await memo.get_or_compute("k", compute) == 1
    assert await memo.get_or_compute("k", compute) == 2


async def test_a_flight_begun_before_a_change_stores_nothing_and_is_not_joined_after_it():
    cache: Cache[bytes, bytes] = Cache(max_age=60)
    before = cache.begin(b"k")
    cache.invalidate()  # an event arrived while the answer was being computed
    assert await cache.shared(b"k") is None  # those who come after the change compute anew
    before.finish(b'{"data": {}}')
    assert cache.get(b"k") is None
    after = cache.begin(b"k")
    after.finish(b'{"data": {}}')
    assert cache.get(b"k") == b'{"data": {}}'


async def test_a_failed_computation_leaves_the_waiters_to_compute_for_themselves():
    cache: Cache[str, int] = Cache(max_age=60)
    gate = asyncio.Event()

    async def failing() -> int:
        await gate.wait()
        raise RuntimeError("database away")

    async def working() -> int:
        return 7

    leader = asyncio.create_task(cache.get_or_compute("k", failing))
    await asyncio.sleep(0)
    follower = asyncio.create_task(cache.get_or_compute("k", working))
    await asyncio.sleep(0)
    gate.set()
    assert isinstance((await asyncio.gather(leader, return_exceptions=True))[0], RuntimeError)
    assert await follower == 7


async def test_max_age_zero_keeps_nothing_and_too_big_answers_are_not_kept():
    memo: Cache[str, int] = Cache(max_age=0)
    calls: list[int] = []

    async def compute() -> int:
        calls.append(1)
        return len(calls)

    assert await memo.get_or_compute("k", compute) == 1
    assert await memo.get_or_compute("k", compute) == 2
    small: Cache[str, bytes] = Cache(max_age=60, keep=lambda body: len(body) <= 4)
    small.put("big", b"12345")
    small.put("fits", b"1234")
    assert (small.get("big"), small.get("fits")) == (None, b"1234")


async def test_a_tagged_change_drops_only_what_shares_a_tag():
    cache: Cache[str, str] = Cache(max_age=60)
    dropped: list[list[tuple[object, int]]] = []
    cache.on_drop = dropped.append
    cache.put("report 1", "a", frozenset({("report", 1)}))
    cache.put("wall", "b", frozenset({("report", 1), ("report", 2), "lists"}))
    cache.put("figures", "c", frozenset({"figures"}))
    cache.put("unclassified", "d")  # tagged EVERY: any change drops it
    cache.get("wall")
    cache.get("wall")
    assert cache.invalidate_tags({("report", 2)}) == 2
    assert sorted(dropped[0]) == [("unclassified", 0), ("wall", 2)]  # with how often read
    assert cache.has("report 1")
    assert cache.has("figures")
    assert cache.invalidate_tags({"figures", ("report", 1)}) == 2
    assert not cache.has("report 1")
    assert cache.invalidate_tags(None) == 0  # everything, and nothing was left


async def test_a_flight_is_kept_unless_a_change_it_depends_on_came_meanwhile():
    cache: Cache[str, str] = Cache(max_age=60)
    tags: set[object] = set()
    concerned = cache.begin("wall", tags)
    unconcerned = cache.begin("report 9")
    tags.add(("report", 1))  # filled in while it runs
    cache.invalidate_tags({("report", 1)})
    assert await cache.shared("wall") is None  # who comes now does not wait for it
    concerned.finish("old wall", {("report", 1), "lists"})
    assert not cache.has("wall")
    unconcerned.finish("report 9", {("report", 9)})
    assert cache.has("report 9")
    later = cache.begin("wall")
    later.finish("new wall", {("report", 1)})
    assert cache.get("wall") == "new wall"
