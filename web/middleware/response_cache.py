"""Anonymous GraphQL queries answered from a shared cache (the public wall, maps, lists).

Keyed by the normalised document (parsed and printed again, so spacing and comments do not
matter), the operation name and the variables. Only anonymous queries (no `Authorization`) that
answered 200 without errors are kept. The store is realtime/cache.py; the wiring empties it when
this process changes something public (before it answers) and for every event the hub reads,
from any process: never because a request merely was a mutation.

The JSON body is parsed once here; GraphQLApp reads the parsed payload (`parsed_body`) instead of
parsing it again.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import graphql
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from realtime.cache import Cache
from web.graphql.uploads import is_multipart
from web.responses import send_json

# The request body this task read, with what it parsed to: GraphQLApp.parse_json uses it.
parsed_body: contextvars.ContextVar[tuple[bytes, Any] | None] = contextvars.ContextVar(
    "parsed_body", default=None)
MAX_BODY_BYTES = 512 * 1024  # answers larger than this are not worth the memory


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


def operation_type(query: str | None, operation_name: str | None) -> str | None:
    """query, mutation or subscription; None when the document does not say unambiguously."""
    if not isinstance(query, str):
        return None
    normalised = _normalise(query, operation_name)
    return normalised[1] if normalised else None


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


def response_store(max_age: float) -> Cache[bytes, bytes]:
    return Cache(max_age=max_age, keep=lambda body: len(body) <= MAX_BODY_BYTES)


class ResponseCache:
    def __init__(self, app: ASGIApp, cache: Cache[bytes, bytes], path: str) -> None:
        self.app = app
        self.cache = cache
        self.path = path

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http" or scope["path"] != self.path:
            return self.app(scope, receive, send)  # handed on: no frame of ours held meanwhile
        return self._graphql(scope, receive, send)

    async def _graphql(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_multipart(scope):  # uploads: never cached, never buffered here
            await self.app(scope, receive, send)
            return
        operation, receive = await self._classify(scope, receive)
        cacheable = self.cache.enabled and operation.key is not None and not any(
            name == b"authorization" for name, _ in scope["headers"])
        if not cacheable:
            await self.app(scope, receive, send)
            return
        key = operation.key
        assert key is not None
        hit = self.cache.get(key) or await self.cache.shared(key)
        if hit is not None:
            await send_json(send, 200, hit, [(b"x-cache", b"HIT")])
            return
        flight = self.cache.begin(key)
        answer: bytes | None = None
        status = 0
        chunks: list[bytes] = []

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-cache", b"MISS")]}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
            if status == 200:
                body = b"".join(chunks)
                if not orjson.loads(body).get("errors"):
                    answer = body
        finally:
            flight.finish(answer)

    async def _classify(self, scope: Scope, receive: Receive) -> tuple[Operation, Receive]:
        """Read the operation (and, for POST, the body, handed on unchanged)."""
        if scope["method"] == "GET":
            params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            try:
                variables = orjson.loads(params["variables"]) if "variables" in params else None
            except orjson.JSONDecodeError:
                return Operation(None, False), receive
            return classify({"query": params.get("query"), "variables": variables,
                             "operationName": params.get("operationName")}), receive
        if scope["method"] != "POST":
            return Operation(None, False), receive
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        raw = bytes(body)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # wait for the disconnect, as a live body would
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return Operation(None, False), replay  # strawberry answers it
        parsed_body.set((raw, payload))
        return classify(payload), replay
