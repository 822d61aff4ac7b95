"""GraphiQL's files at /graphiql/: the vendored ones are versioned in their paths, so they are
cached for a year; everything is compressed (graphiql.min.js is 3.5 MB, 0.9 MB gzipped)."""

from __future__ import annotations

from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.graphiql.page import PREFIX

STATIC = Path(__file__).parent / "static"


class _Cached:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        versioned = scope["path"].startswith(("/vendor/", f"{PREFIX}/vendor/"))
        policy = b"public, max-age=31536000, immutable" if versioned else b"no-cache"

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"cache-control", policy),
                                      (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, send_with_policy)


def graphiql_mount() -> Mount:
    files = _Cached(StaticFiles(directory=STATIC))
    return Mount(PREFIX, app=GZipMiddleware(files, minimum_size=1024), name="graphiql")
