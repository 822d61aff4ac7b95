"""A shared cache of whole responses to anonymous GraphQL queries (the public wall, maps, lists).

Keyed by the normalised document (parsed and printed again, so spacing and comments do not
matter), the operation name and the variables. Only anonymous queries that answered without
errors are kept. Every event the hub reads from the database (from any process, through the
bus or polling) and every mutation in this process empties it, so a change is visible on the next
read after its event; `max_age` bounds staleness for what no event announces (time passing, an
agency renamed in another process).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import graphql
import orjson


@dataclass(frozen=True)
class Operation:
    key: bytes | None  # None: not cacheable
    is_mutation: bool


@lru_cache(maxsize=512)
def _normalise(query: str, operation_name: str | None) -> tuple[str, str] | None:
    """(printed document, operation type) or None when it does not parse or is ambiguous."""
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError:
        return None
    operations = [d for d in document.definitions
                  if isinstance(d, graphql.OperationDefinitionNode)]
    chosen = [o for o in operations
              if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return None
    return graphql.print_ast(document), chosen[0].operation.value


def classify(payload: Any) -> Operation:
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return Operation(None, False)
    name = payload.get("operationName")
    normalised = _normalise(payload["query"], name if isinstance(name, str) else None)
    if normalised is None:
        return Operation(None, False)
    printed, kind = normalised
    if kind != "query":
        return Operation(None, kind == "mutation")
    variables = payload.get("variables") or {}
    try:
        key = orjson.dumps([printed, name, variables], option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return Operation(None, False)
    return Operation(key, False)


class ResponseCache:
    def __init__(self, max_age: float = 10.0, max_entries: int = 1000,
                 max_body_bytes: int = 512 * 1024) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.max_body_bytes = max_body_bytes
        self.entries: OrderedDict[bytes, tuple[float, bytes]] = OrderedDict()
        self.generation = 0
        self.hits = self.misses = 0
        # Misses being answered: the same query arriving meanwhile waits for that answer
        # instead of computing it again (an expired wall entry meets dozens of readers at once).
        self.inflight: dict[bytes, asyncio.Future[bytes | None]] = {}

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    def invalidate(self, *_: object) -> None:
        self.generation += 1
        self.entries.clear()
        self.inflight = {}  # who comes after the change must not get an answer from before

    async def shared(self, key: bytes) -> bytes | None:
        """The answer of an identical query already being computed, if any."""
        future = self.inflight.get(key)
        if future is None:
            return None
        return await asyncio.shield(future)

    def begin(self, key: bytes) -> asyncio.Future[bytes | None]:
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self.inflight[key] = future
        return future

    def end(self, key: bytes, future: asyncio.Future[bytes | None], body: bytes | None) -> None:
        if not future.done():
            future.set_result(body)
        if self.inflight.get(key) is future:
            del self.inflight[key]

    def get(self, key: bytes) -> bytes | None:
        entry = self.entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: bytes, body: bytes, generation: int) -> None:
        """Store unless something changed while the answer was being computed (it may
        predate the change) or it is too big."""
        if generation != self.generation or len(body) > self.max_body_bytes:
            return
        self.entries[key] = (time.monotonic() + self.max_age, body)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
