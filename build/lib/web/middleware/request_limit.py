"""Per-IP request rate limit on the public API routes, applied before anything else runs,
counted by a FloodCounter (web/middleware/flood.py: a few µs, no storage round trip).

Which routes it guards is read from the route table itself (server.py hands over the API's
routes): plain paths match exactly, mounts by prefix. Refused HTTP requests get 429 with
`Retry-After` and a GraphQL-shaped error body (code RATE_LIMITED, retryAfterSeconds), so clients
handle it like any other refusal; refused WebSocket handshakes are closed with 4429 before being
accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from models.errors import RateLimited
from models.messages import _
from web.middleware.flood import FloodCounter
from web.responses import error_body, send_json


class RequestLimit:
    def __init__(self, app: ASGIApp, flood: FloodCounter | None,
                 routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.flood = flood
        paths, prefixes = set(), []
        for route in routes:
            if isinstance(route, Mount):
                prefixes.append(route.path.rstrip("/") + "/")
            elif isinstance(route, Route | WebSocketRoute) and "{" not in route.path:
                paths.add(route.path)
            else:
                raise ValueError(f"RequestLimit cannot match {route!r}: mount it instead")
        self.paths = frozenset(paths)
        self.prefixes = tuple(prefixes)

    def _limited(self, path: str) -> bool:
        return path in self.paths or (bool(self.prefixes) and path.startswith(self.prefixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.flood is None or scope["type"] not in ("http", "websocket")
                or not self._limited(scope["path"])):
            await self.app(scope, receive, send)
            return
        ip = (scope.get("client") or ("unknown", 0))[0]
        retry = self.flood.hit(ip)
        if retry is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4429})
        else:
            await refuse(send, RateLimited(_("Too many attempts; try again in {retry} s."),
                                           retry_after_seconds=retry, retry=retry))


async def refuse(send: Send, refused: RateLimited) -> None:
    retry = refused.retry_after_seconds or 1
    body = error_body(refused.message, "RATE_LIMITED", retryAfterSeconds=retry)
    await send_json(send, 429, body, [(b"retry-after", str(retry).encode())])
