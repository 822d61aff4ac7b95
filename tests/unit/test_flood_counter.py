"""The per-IP flood counter: an approximate sliding window in memory, merged through Redis."""

from __future__ import annotations

import random

import pytest
import redis.exceptions

from bench.servers import Server
from web.middleware.flood import FloodCounter


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_limit_holds_per_address_and_says_how_long_to_wait():
    clock = Clock(6_000_000.0)  # the start of a 60-s window
    flood = FloodCounter(5, 60, clock=clock)
    assert [flood.hit("198.51.100.1") for _ in range(5)] == [None] * 5
    clock.now += 20
    assert flood.hit("198.51.100.1") == 40  # until the window ends
    assert flood.hit("198.51.100.2") is None  # another address is not held back
    assert flood.refused == 1


def test_the_window_slides_instead_of_resetting_at_once():
    clock = Clock(6_000_000.0)
    flood = FloodCounter(10, 60, clock=clock)
    for _ in range(10):
        assert flood.hit("a") is None
    clock.now += 60  # the next window begins: the last one still weighs fully
    assert flood.hit("a") is not None
    clock.now += 30  # half of it is still inside the sliding minute: 5 of 10 used
    assert [flood.hit("a") for _ in range(5)] == [None] * 5
    assert flood.hit("a") is not None
    clock.now += 120  # two windows later nothing is remembered
    assert flood.hit("a") is None


def test_old_addresses_are_forgotten():
    clock = Clock(6_000_000.0)
    flood = FloodCounter(10, 60, clock=clock)
    for i in range(1000):
        flood.hit(f"10.0.{i // 250}.{i % 250}")
    clock.now += 60
    flood.hit("10.9.9.9")
    flood.forget_old()
    assert len(flood.counts) == 1001  # the previous window still counts
    clock.now += 60
    flood.forget_old()
    assert len(flood.counts) == 1  # only the address seen in the last window


@pytest.mark.postgres  # needs the Redis server the CI machine installs, like PostgreSQL
async def test_processes_learn_each_others_counts_through_redis(redis_server: Server):
    clock = Clock(60.0 * random.randrange(10**6, 10**7))  # windows no other run used
    one = FloodCounter(10, 60, redis_server.url, clock=clock)  # two server processes
    two = FloodCounter(10, 60, redis_server.url, clock=clock)
    one.start()
    two.start()
    ip = "203.0.113.5"
    try:
        for _ in range(6):
            assert one.hit(ip) is None
        for _ in range(4):
            assert two.hit(ip) is None
        await one.sync()
        await two.sync()  # two adds its 4 to one's 6 and learns the total
        assert two.hit(ip) is not None
        # one learns it on its next round with something to add: one request slips through,
        # which is the approximation a flood limit accepts (a second of traffic at most).
        assert one.hit(ip) is None
        await one.sync()
        assert one.hit(ip) is not None
        assert one.hit("203.0.113.6") is None  # other addresses are not held back
        assert one.sync_failures == two.sync_failures == 0
    finally:
        await one.stop()
        await two.stop()


async def test_an_unreachable_redis_leaves_each_process_counting_alone():
    flood = FloodCounter(3, 60, "redis://127.0.0.1:1")  # nothing listens there
    flood.start()
    try:
        assert [flood.hit("a") for _ in range(3)] == [None] * 3
        with pytest.raises(redis.exceptions.ConnectionError):
            await flood.sync()
        assert flood.hit("a") is not None
    finally:
        await flood.stop()
