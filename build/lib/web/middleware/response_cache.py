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
import hashlib
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import graphql
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from realtime import answer_tags
from realtime.cache import Cache
from web.graphql.http import JSON, content_type, negotiate_media
from web.graphql.uploads import is_multipart
from web.middleware.refresh import Recipe, Refresher
from web.responses import send_json

# The request body this task read, with what it parsed to: GraphQLApp.parse_json uses it.
parsed_body: contextvars.ContextVar[tuple[bytes, Any] | None] = contextvars.ContextVar(
    "parsed_body", default=None)
MAX_BODY_BYTES = 512 * 1024  # answers larger than this are not worth the memory


@dataclass(frozen=True)
class Operation:
    key: bytes | None  # None: not cacheable
    is_mutation: bool
    tagged: bool = False  # every root field tags its answer by what it shows


# Root fields whose answers are tagged by what they show (realtime/answer_tags.py); an answer
# with any other root field is dropped by every event.
TAGGED_ROOTS = frozenset({"reports", "report", "node", "nodes", "categories", "agencies",
                          "agency", "agencyRankings", "stats", "me", "__typename"})
# Answers that are worth nothing from a cache: the clock that clients set theirs by.
UNCACHED_ROOTS = frozenset({"serverTime"})


@lru_cache(maxsize=512)
def _normalise(query: str, operation_name: str | None
               ) -> tuple[str, str, frozenset[str] | None, str | None] | None:
    """(printed document, operation type, root field names: None when not all plain fields,
    the operation's own name) or None when it does not parse or is ambiguous."""
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
    selections = chosen[0].selection_set.selections
    roots = (frozenset(f.name.value for f in selections if isinstance(f, graphql.FieldNode))
             if all(isinstance(f, graphql.FieldNode) for f in selections) else None)
    name = chosen[0].name.value if chosen[0].name else None
    return graphql.print_ast(document), chosen[0].operation.value, roots, name


def operation_type(query: str | None, operation_name: str | None) -> str | None:
    """query, mutation or subscription; None when the document does not say unambiguously."""
    return operation_of(query, operation_name)[0]


def operation_of(query: str | None, operation_name: str | None
                 ) -> tuple[str | None, str | None]:
    """(type, name) of the operation a request runs, as far as the document says."""
    normalised = _normalise(query, operation_name) if isinstance(query, str) else None
    return (normalised[1], normalised[3]) if normalised else (None, None)


def _collecting(operation: Operation) -> set[Hashable]:
    """The tag set an answer fills while it is computed (answer_tags.tag)."""
    return set() if operation.tagged else {answer_tags.EVERY}


def persisted_hash(extensions: Any) -> str | None:
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    return digest.lower() if isinstance(digest, str) else None


def classify(payload: Any, resolve: Callable[[str], str | None] = lambda _: None,
             audience: tuple[str, ...] = ()) -> Operation:
    """Cacheable when the request is well-formed and its document (sent, or persisted and
    known to this process) is one query. `audience`: what else the answer depends on (its
    media type, the host its absolute URLs are built from)."""
    if not isinstance(payload, dict):
        return Operation(None, False)
    query, name = payload.get("query"), payload.get("operationName")
    variables, extensions = payload.get("variables"), payload.get("extensions")
    if not (isinstance(name, str | None) and isinstance(variables, dict | None)
            and isinstance(extensions, dict | None)):
        return Operation(None, False)  # strawberry refuses it
    digest = persisted_hash(extensions)
    if query is None and digest is not None:
        query = resolve(digest)
    elif extensions:
        return Operation(None, False)  # a hash to check against the text: not here
    if not isinstance(query, str):
        return Operation(None, False)
    normalised = _normalise(query, name)
    if normalised is None:
        return Operation(None, False)
    printed, kind, roots, _ = normalised
    if kind != "query" or (roots is not None and roots & UNCACHED_ROOTS):
        return Operation(None, kind == "mutation")
    try:
        key = orjson.dumps([printed, name, variables or {}, *audience],
                           option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return Operation(None, False)
    return Operation(key, False, roots is not None and roots <= TAGGED_ROOTS)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _is_json(scope: Scope) -> bool:
    kind = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
    return kind == "application/json"


def _has_errors(body: bytes) -> bool:
    try:
        return bool(orjson.loads(body).get("errors"))
    except (orjson.JSONDecodeError, AttributeError):
        return True


def _matches(if_none_match: str | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag.decode() in tags


def response_store(max_age: float) -> Cache[bytes, bytes]:
    return Cache(max_age=max_age, keep=lambda body: len(body) <= MAX_BODY_BYTES)


class ResponseCache:
    def __init__(self, app: ASGIApp, cache: Cache[bytes, bytes], path: str, *,
                 resolve: Callable[[str], str | None] = lambda _: None,
                 http_max_age: float = 0, per_host: bool = True,
                 refresher: Refresher | None = None) -> None:
        self.app = app
        self.cache = cache
        self.refresher = refresher
        if refresher is not None:
            refresher.run = self._recompute
        self.path = path
        self.resolve = resolve  # a persisted query's hash -> its text, if this process knows it
        self.http_max_age = int(http_max_age)
        self.per_host = per_host  # absolute URLs in answers follow the Host (no PUBLIC_URL)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http" or scope["path"] != self.path:
            return self.app(scope, receive, send)  # handed on: no frame of ours held meanwhile
        return self._graphql(scope, receive, send)

    async def _graphql(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if is_multipart(scope) or method not in ("GET", "POST") or (
                method == "POST" and not _is_json(scope)):
            await self.app(scope, receive, send)  # uploads, refusals: never cached or buffered
            return
        media = negotiate_media(_header(scope, b"accept"))
        audience = (media or "", _header(scope, b"host") or "" if self.per_host else "",
                    scope.get("scheme", ""))
        operation, receive = await self._classify(scope, receive, audience)
        key = operation.key if media is not None and not _header(scope, b"authorization") \
            else None
        if method == "GET":
            await self._get(scope, receive, send, key, media or JSON, operation)
            return
        if key is None or not self.cache.enabled:
            await self.app(scope, receive, send)
            return
        hit = self.cache.get(key) or await self.cache.shared(key)
        if hit is not None:
            await send_json(send, 200, hit, [(b"x-cache", b"HIT")],
                            content_type=content_type(media or JSON))
            return
        tags = _collecting(operation)
        flight = self.cache.begin(key, tags)
        collected = answer_tags.collecting.set(tags)
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
            answer_tags.collecting.reset(collected)
            flight.finish(answer, tags)
        if answer is not None and self.refresher is not None:
            self.refresher.remember(key, scope, parsed_body.get(), operation)

    async def _get(self, scope: Scope, receive: Receive, send: Send, key: bytes | None,
                   media: str, operation: Operation) -> None:
        """A GET is what a CDN or a proxy may keep: an anonymous answer without errors says
        so (`Cache-Control: public, max-age` = RESPONSE_CACHE_SECONDS, an ETag, 304 for a
        client that has it), anything else `private, no-store`."""
        caching = key is not None and self.cache.enabled
        hit = (self.cache.get(key) or await self.cache.shared(key)) if caching and key else None
        if hit is not None:
            await self._public(scope, send, hit, media, [(b"x-cache", b"HIT")])
            return
        tags = _collecting(operation)
        flight = self.cache.begin(key, tags) if caching and key else None
        collected = answer_tags.collecting.set(tags)
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        answer: bytes | None = None
        try:
            await self.app(scope, receive, keep)
            body = b"".join(chunks)
            if key is not None and start.get("status") == 200 and not _has_errors(body):
                answer = body
        finally:
            answer_tags.collecting.reset(collected)
            if flight is not None:
                flight.finish(answer, tags)
        if answer is not None and flight is not None and self.refresher is not None:
            self.refresher.remember(key, scope, None, operation)
        if answer is not None:
            kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (
                b"content-length", b"content-type", b"cache-control")]
            await self._public(scope, send, answer, media, [*kept, (b"x-cache", b"MISS")])
            return
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"cache-control"]
        await send({**start, "headers": [*headers, (b"cache-control", b"private, no-store")]})
        await send({"type": "http.response.body", "body": body})

    async def _recompute(self, key: bytes, recipe: Recipe) -> bool:
        """Answer a remembered request again, in the background, and keep the answer: the
        next readers find it instead of computing it themselves. True if it was kept."""
        if self.cache.has(key) or self.cache.computing(key):
            return False
        tags = _collecting(recipe.operation)
        flight = self.cache.begin(key, tags)
        collected = answer_tags.collecting.set(tags)
        body = recipe.parsed[0] if recipe.parsed is not None else b""
        if recipe.parsed is not None:
            parsed_body.set(recipe.parsed)
        status, chunks = 0, []
        answer: bytes | None = None

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app({**recipe.scope, "state": {}}, receive, keep)
            if status == 200 and not _has_errors(b"".join(chunks)):
                answer = b"".join(chunks)
        finally:
            answer_tags.collecting.reset(collected)
            flight.finish(answer, tags)
        return answer is not None and self.cache.has(key)

    async def _public(self, scope: Scope, send: Send, body: bytes, media: str,
                      headers: list[tuple[bytes, bytes]]) -> None:
        etag = b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'
        policy = (b"public, max-age=%d" % self.http_max_age if self.http_max_age > 0
                  else b"no-cache")
        headers = [*headers, (b"etag", etag), (b"cache-control", policy),
                   (b"vary", b"Accept, Authorization")]
        if _matches(_header(scope, b"if-none-match"), etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send_json(send, 200, body, headers, content_type=content_type(media))

    async def _classify(self, scope: Scope, receive: Receive, audience: tuple[str, ...]
                        ) -> tuple[Operation, Receive]:
        """Read the operation (and, for POST, the body, handed on unchanged)."""
        if scope["method"] == "GET":
            params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            try:
                payload = {"query": params.get("query"),
                           "operationName": params.get("operationName"),
                           **{name: orjson.loads(params[name]) if params.get(name) else None
                              for name in ("variables", "extensions")}}
            except orjson.JSONDecodeError:
                return Operation(None, False), receive
            return classify(payload, self.resolve, audience), receive
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
        return classify(payload, self.resolve, audience), replay
