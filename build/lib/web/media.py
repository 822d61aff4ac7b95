"""`GET /media/{key}`: a stored photo or video, for whoever may see it (media/service.py decides:
anyone for public evidence; otherwise a signed URL or the viewer's own right)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from media.service import MediaService
from media.storage import KEY
from media.urls import signed_for
from models.deps import Deps
from web.auth import viewer_of


async def serve_media(request: Request) -> Response:
    key = request.path_params["key"]
    service: MediaService = request.app.state.media
    deps: Deps = request.app.state.deps
    if not KEY.fullmatch(key):
        return PlainTextResponse("Not found", status_code=404)
    q = request.query_params
    signed = signed_for(key, q.get("expires"), q.get("signature"), secret=deps.secret_key,
                        now=deps.now())
    served = await service.find(key, viewer_of(request), signed)
    if served is None:
        return PlainTextResponse("Not found", status_code=404,
                                 headers={"X-Content-Type-Options": "nosniff"})
    return service.response(served)
