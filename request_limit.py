"""Per-IP request rate limit, applied before a request reaches GraphQL.

Refused HTTP requests get 429 with `Retry-After` and a GraphQL-shaped error body (code
RATE_LIMITED, retryAfterSeconds), so clients handle it like any other refusal; refused WebSocket
handshakes are closed with 4429 before being accepted.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from asgi_json import send_json
from models.errors import RateLimited
from models.throttle import Throttle

RULE = "requests_ip"


class RequestLimit:
    def __init__(self, app: ASGIApp, throttle: Throttle, paths: tuple[str, ...],
                 prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.throttle = throttle
        self.paths = paths
        self.prefixes = prefixes

    def _limited(self, path: str) -> bool:
        return path in self.paths or (bool(self.prefixes) and path.startswith(self.prefixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self._limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        ip = (scope.get("client") or ("unknown", 0))[0]
        try:
            await self.throttle.hit(RULE, ip)
        except RateLimited as refused:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4429})
            else:
                await refuse(send, refused)
            return
        await self.app(scope, receive, send)


async def refuse(send: Send, refused: RateLimited) -> None:
    retry = refused.retry_after_seconds or 1
    body = orjson.dumps({"errors": [{
        "message": refused.message,
        "extensions": {"code": "RATE_LIMITED", "retryAfterSeconds": retry},
    }]})
    await send_json(send, 429, body, [(b"retry-after", str(retry).encode())])
