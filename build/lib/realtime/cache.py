"""Answers kept until an event changes them: one mechanism for the two caches of the process,
the whole responses to anonymous GraphQL queries (web/middleware/response_cache.py) and the
figures memo (rankings and statistics, schema/statistics.py).

An entry carries tags (realtime/answer_tags.py: the reports it shows, "lists", "figures"; EVERY
when nothing finer is known). `invalidate_tags` — the wiring calls it for every batch of events
the hub reads, from any process, and after every local mutation — drops the entries that share a
tag with the events; `invalidate()` drops everything (changes no event announces). `max_age`
bounds staleness for what no event announces at all (time passing). Callers of a key that is
being computed wait for that computation instead of repeating it (an expired wall entry meets
dozens of readers at once). An answer computed while a change it depends on arrived is handed to
those who waited but not kept: it may predate the change. Values are never None.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable
from typing import Any, Generic, TypeVar, cast

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


EVERY = "*"  # the tag of an entry that every change drops (realtime/answer_tags.EVERY)
ALL: frozenset[Hashable] = frozenset({EVERY})


class Flight(Generic[V]):
    """One computation of a key, begun by a caller who found nothing kept. `tags` may be the
    set the computation is still filling in (the answer's tags, collected while it runs)."""

    def __init__(self, cache: Cache[Any, V], key: Hashable,
                 tags: set[Hashable] | None = None) -> None:
        self.cache = cache
        self.key = key
        self.generation = cache.generation
        self.seen = cache.changes  # changes before this one began are already in its answer
        self.tags = tags
        self.future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()

    def finish(self, value: V | None, tags: Iterable[Hashable] | None = None) -> None:
        """Hand `value` to whoever waits (None: nothing to share, they compute themselves) and
        keep it, with its tags, unless something it depends on changed meanwhile."""
        if not self.future.done():
            self.future.set_result(value)
        cache = self.cache
        if cache._flights.get(self.key) is self:
            del cache._flights[self.key]
        kept = frozenset(tags if tags is not None else self.tags or ALL)
        if (value is not None and self.generation == cache.generation
                and not cache._changed_since(self.seen, kept)):
            cache.put(self.key, value, kept)
        cache._forget_old_changes()


class Cache(Generic[K, V]):
    def __init__(self, max_age: float, max_entries: int = 1000,
                 keep: Callable[[V], bool] = lambda _: True) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.keep = keep  # e.g. not answers too big to be worth the memory
        self.generation = 0
        self.hits = self.misses = self.computations = self.shared_hits = 0
        self.changes = 0  # tagged changes so far
        self._entries: OrderedDict[Hashable, tuple[float, V, frozenset[Hashable], int]] = (
            OrderedDict())
        self._by_tag: dict[Hashable, set[Hashable]] = {}
        self._flights: dict[Hashable, Flight[V]] = {}
        # Recent tagged changes, for flights still running: (number, tags).
        self._log: list[tuple[int, frozenset[Hashable]]] = []
        # Told which keys a tagged change dropped, with how often each was read: the response
        # cache recomputes the popular ones in the background.
        self.on_drop: Callable[[list[tuple[Hashable, int]]], None] | None = None

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    def invalidate(self, *_: object) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_tag.clear()
        self._log.clear()
        self._flights = {}  # who comes after the change must not get an answer from before

    def invalidate_tags(self, tags: Collection[Hashable] | None) -> int:
        """Drop the entries that share a tag with a change (and those tagged EVERY); None
        drops everything. Returns how many entries were dropped."""
        if tags is None:
            everything = len(self._entries)
            self.invalidate()
            return everything
        changed = frozenset(tags) | ALL
        self.changes += 1
        if self._flights:
            self._log.append((self.changes, changed))
            # Who comes after the change must not wait for an answer that may predate it.
            self._flights = {k: f for k, f in self._flights.items()
                             if f.tags is not None and EVERY not in f.tags
                             and not changed & f.tags}
        keys: set[Hashable] = set()
        for tag in changed:
            keys |= self._by_tag.get(tag, set())
        dropped: list[tuple[Hashable, int]] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None:
                self._remove(key)
                dropped.append((key, entry[3]))
        if dropped and self.on_drop is not None:
            self.on_drop(dropped)
        return len(dropped)

    def _changed_since(self, seen: int, tags: frozenset[Hashable]) -> bool:
        every = EVERY in tags
        return any(number > seen and (every or not changed.isdisjoint(tags))
                   for number, changed in self._log)

    def _forget_old_changes(self) -> None:
        oldest = min((f.seen for f in self._flights.values()), default=self.changes)
        self._log = [(n, c) for n, c in self._log if n > oldest]

    def _remove(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for tag in entry[2]:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]

    def get(self, key: K) -> V | None:
        """The kept answer, if still fresh."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self._entries[key] = (entry[0], entry[1], entry[2], entry[3] + 1)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, value: V, tags: frozenset[Hashable] = ALL) -> None:
        if self.max_age <= 0 or not self.keep(value):
            return
        self._remove(key)
        self._entries[key] = (time.monotonic() + self.max_age, value, tags, 0)
        for tag in tags:
            self._by_tag.setdefault(tag, set()).add(key)
        while len(self._entries) > self.max_entries:
            self._remove(next(iter(self._entries)))

    async def shared(self, key: K) -> V | None:
        """The answer of the same key being computed right now, if any."""
        flight = self._flights.get(key)
        if flight is None:
            return None
        value = await asyncio.shield(flight.future)
        if value is not None:
            self.shared_hits += 1
        return value

    def computing(self, key: K) -> bool:
        return key in self._flights

    def has(self, key: K) -> bool:
        """Kept and fresh, without counting a read."""
        entry = self._entries.get(key)
        return entry is not None and entry[0] >= time.monotonic()

    def begin(self, key: K, tags: set[Hashable] | None = None) -> Flight[V]:
        flight = Flight(self, key, tags)
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
