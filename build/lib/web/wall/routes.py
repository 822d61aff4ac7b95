"""Serves the wall's files. No build step: the page is plain HTML, CSS and a JavaScript module,
with no third-party code, so it runs on a closed network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from models.actions.documents import document_hash

if TYPE_CHECKING:
    from web.graphql.persisted import PersistedDocuments

STATIC = Path(__file__).parent / "static"
DOCUMENTS = STATIC / "documents.json"  # every GraphQL document the wall sends

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


class _Page:
    """/wall itself (without the slash) is the page, not a redirect to /wall/: the page's own
    links are absolute."""

    def __init__(self, app: _WithHeaders) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "path": "/index.html", "root_path": "/wall"}, receive, send)


def wall_routes() -> list[BaseRoute]:
    from starlette.routing import Route

    files = _WithHeaders(StaticFiles(directory=STATIC, html=True))
    return [Route("/wall", _Page(files), methods=["GET", "HEAD"]),
            Mount("/wall", app=files, name="wall")]


def wall_documents() -> dict[str, str]:
    documents: dict[str, str] = json.loads(DOCUMENTS.read_text(encoding="utf-8"))
    return documents


def trust_wall_documents(persisted: PersistedDocuments) -> None:
    """With PERSISTED_QUERIES=trusted the wall still works: its documents are trusted."""
    for text in wall_documents().values():
        persisted.trust(document_hash(text), text)
