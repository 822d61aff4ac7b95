"""The outbox senders' loop (realtime/outbound.py): wakes that come with every event are
gathered into one round, and none of them is left unserved."""

from __future__ import annotations

import asyncio
from typing import cast

from models.deps import Deps
from realtime.outbound import OutboxWorker


class Counting(OutboxWorker):
    def __init__(self, gather: float) -> None:
        super().__init__(cast(Deps, None), interval=60, gather=gather)
        self.prepared = 0
        self.idle = asyncio.Event()

    async def prepare(self) -> None:
        self.prepared += 1
        self.idle.clear()

    async def claim(self, limit: int) -> int:
        self.idle.set()
        return 0


async def wakes(worker: Counting, count: int, every: float) -> None:
    for _ in range(count):
        worker.wake()
        await asyncio.sleep(every)


async def test_a_burst_of_wakes_is_one_round_per_gathering_time() -> None:
    worker = Counting(gather=0.2)
    await worker.start()
    try:
        await asyncio.wait_for(worker.idle.wait(), 5)  # the first round, at start
        await wakes(worker, 40, 0.01)  # 40 events' wakes over ~0.4 s
        await asyncio.sleep(0.5)
        # Rounds start at most every 0.2 s: a handful, where each wake used to cost one.
        assert 2 <= worker.prepared <= 5, worker.prepared
    finally:
        await worker.stop()


async def test_the_last_wake_of_a_burst_is_served() -> None:
    worker = Counting(gather=0.2)
    await worker.start()
    try:
        await asyncio.wait_for(worker.idle.wait(), 5)
        before = worker.prepared
        await wakes(worker, 3, 0)
        async with asyncio.timeout(2):
            while worker.prepared == before:  # noqa: ASYNC110 (nothing to wait on but the count)
                await asyncio.sleep(0.02)
        # Woken again after that round started: one more round follows, none is lost.
        served = worker.prepared
        worker.wake()
        async with asyncio.timeout(2):
            while worker.prepared == served:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        await worker.stop()


async def test_without_gathering_every_wake_after_a_round_is_a_round() -> None:
    """The control: with no gathering time the same wakes cost a round each."""
    worker = Counting(gather=0)
    await worker.start()
    try:
        await asyncio.wait_for(worker.idle.wait(), 5)
        await wakes(worker, 40, 0.01)
        await asyncio.sleep(0.1)
        assert worker.prepared >= 30, worker.prepared
    finally:
        await worker.stop()
