"""Answers kept until the next event: one mechanism for the two caches of the process, the whole
responses to anonymous GraphQL queries (web/middleware/response_cache.py) and the figures memo
(rankings and statistics, schema/statistics.py).

An entry lives until `invalidate()` — the wiring calls it for every batch of events the hub
reads, from any process, and after every local mutation — or for `max_age` seconds, which bounds
staleness for what no event announces (time passing, a rename in another process). Callers of a
key that is being computed wait for that computation instead of repeating it (an expired wall
entry meets dozens of readers at once). An answer computed while an event arrived is handed to
those who waited but not kept: it may predate the change. Values are never None.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar, cast

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class Flight(Generic[V]):
    """One computation of a key, begun by a caller who found nothing kept."""

    def __init__(self, cache: Cache[Any, V], key: Hashable) -> None:
        self.cache = cache
        self.key = key
        self.generation = cache.generation
        self.future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()

    def finish(self, value: V | None) -> None:
        """Hand `value` to whoever waits (None: nothing to share, they compute themselves) and
        keep it unless something changed meanwhile."""
        if not self.future.done():
            self.future.set_result(value)
        cache = self.cache
        if cache._flights.get(self.key) is self:
            del cache._flights[self.key]
        if value is not None and self.generation == cache.generation:
            cache.put(self.key, value)


class Cache(Generic[K, V]):
    def __init__(self, max_age: float, max_entries: int = 1000,
                 keep: Callable[[V], bool] = lambda _: True) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.keep = keep  # e.g. not answers too big to be worth the memory
        self.generation = 0
        self.hits = self.misses = self.computations = 0
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._flights: dict[Hashable, Flight[V]] = {}

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    def invalidate(self, *_: object) -> None:
        self.generation += 1
        self._entries.clear()
        self._flights = {}  # who comes after the change must not get an answer from before

    def get(self, key: K) -> V | None:
        """The kept answer, if still fresh."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        if self.max_age <= 0 or not self.keep(value):
            return
        self._entries[key] = (time.monotonic() + self.max_age, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def shared(self, key: K) -> V | None:
        """The answer of the same key being computed right now, if any."""
        flight = self._flights.get(key)
        if flight is None:
            return None
        return await asyncio.shield(flight.future)

    def begin(self, key: K) -> Flight[V]:
        flight = Flight(self, key)
        self._flights[key] = flight
        self.computations += 1
        return flight

    async def get_or_compute(self, key: K, compute: Callable[[], Awaitable[T]]) -> T:
        """The kept answer, or the one being computed, or a new one. `T` is what `compute`
        returns for this key: a cache of mixed answers (the figures memo) keys them apart."""
        found = self.get(key)
        if found is None:
            found = await self.shared(key)
        if found is not None:
            return cast(T, found)
        flight = self.begin(key)
        value: T | None = None
        try:
            value = await compute()
        finally:
            flight.finish(cast(V | None, value))  # on failure, waiters compute for themselves
        return value
