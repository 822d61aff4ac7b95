"""The HTTP ceiling for a cached answer: a bare Starlette route that returns the very bytes our
cached wall answers with (read once from `SAME_BYTES_FILE`), for any POST, and does nothing
else. Whatever our server does beyond this (middleware, the cache lookup) is what the cached
wall costs over the ceiling. Run by bench/__main__.py with uvicorn, one process, as ours."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ANSWER = Path(os.environ["SAME_BYTES_FILE"]).read_bytes()


async def answer(request: Request) -> Response:
    await request.body()  # read as ours reads it
    return Response(ANSWER, media_type="application/json")


app = Starlette(routes=[Route("/graphql", answer, methods=["POST"])])
