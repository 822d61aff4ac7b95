"""The site icon, for the wall, GraphiQL and every browser that asks for /favicon.ico."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

STATIC = Path(__file__).parent / "static"
_CACHE = {"Cache-Control": "public, max-age=86400"}


async def _ico(request: Request) -> Response:
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon", headers=_CACHE)


async def _svg(request: Request) -> Response:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml", headers=_CACHE)


def icon_routes() -> list[BaseRoute]:
    return [Route("/favicon.ico", _ico, methods=["GET", "HEAD"]),
            Route("/favicon.svg", _svg, methods=["GET", "HEAD"])]
