"""The memo for rankings and statistics: kept until an event, shared while running, and never
keeping an answer computed across a change."""

from __future__ import annotations

import asyncio

from realtime.memo import Memo


async def test_kept_until_invalidated():
    memo, calls = Memo(max_age=60), []

    async def compute() -> int:
        calls.append(1)
        return len(calls)

    assert await memo.get("k", compute) == 1
    assert await memo.get("k", compute) == 1
    memo.invalidate()
    assert await memo.get("k", compute) == 2
    assert await memo.get("other", compute) == 3


async def test_concurrent_callers_share_one_computation():
    memo, calls = Memo(max_age=60), []

    async def compute() -> str:
        calls.append(1)
        await asyncio.sleep(0.05)
        return "figures"

    results = await asyncio.gather(*(memo.get("k", compute) for _ in range(10)))
    assert results == ["figures"] * 10
    assert len(calls) == 1


async def test_an_answer_computed_across_an_event_is_not_kept():
    memo, calls = Memo(max_age=60), []

    async def compute() -> int:
        calls.append(1)
        memo.invalidate()  # an event arrives while the aggregate runs
        return len(calls)

    assert await memo.get("k", compute) == 1
    assert await memo.get("k", compute) == 2


async def test_max_age_zero_keeps_nothing():
    memo, calls = Memo(max_age=0), []

    async def compute() -> int:
        calls.append(1)
        return len(calls)

    assert await memo.get("k", compute) == 1
    assert await memo.get("k", compute) == 2
