"""Serves the wall's files. No build step: the page is plain HTML, CSS and a JavaScript module,
with no third-party code, so it runs on a closed network."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"

# Only our own files, plus photos from /media and the GraphQL socket on this origin.
HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
     b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # Revalidate each load (ETag), so a deploy reaches every wall screen on its next reload.
    (b"cache-control", b"no-cache"),
]


class _WithHeaders:
    def __init__(self, app: StaticFiles) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def wall_mount() -> Mount:
    return Mount("/wall", app=_WithHeaders(StaticFiles(directory=STATIC, html=True)), name="wall")
