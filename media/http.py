"""HTTP glue for media: the multipart request adapter strawberry uses for uploads, the CSRF
rule uploads need, and the `/media/` endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from cross_web.request._base import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from auth_header import bearer_token
from media import multipart
from media.service import MediaService
from media.storage import KEY
from media.urls import signed_for
from models.actions import accounts
from models.deps import Deps

# A browser sends a cross-site multipart POST without asking first ("simple" request); any of
# these headers forces a CORS preflight, which a foreign origin does not pass.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name",
                     "graphql-preflight")


def is_multipart(scope: Mapping[str, Any]) -> bool:
    headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"")
    return content_type.split(b";", 1)[0].strip().lower() == b"multipart/form-data"


def preflighted(scope: Mapping[str, Any]) -> bool:
    headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
    return any(headers.get(name.encode(), b"").strip() for name in PREFLIGHT_HEADERS)


class UploadRequestAdapter(StarletteRequestAdapter):
    """Strawberry's request adapter, with multipart bodies parsed by media.multipart."""

    async def get_form_data(self) -> FormData:
        request: Request = self._request
        service: MediaService = request.app.state.media
        keep: list[multipart.Received] = request.scope.setdefault("state", {}).setdefault(
            "uploads", [])
        try:
            fields, files = await multipart.parse(
                request, service.settings.upload_limits, service.incoming, keep)
        except multipart.MultipartInvalid as error:
            raise HTTPException(400, str(error)) from error
        return FormData(files=files, form=fields)


async def serve_media(request: Request) -> Response:
    key = request.path_params["key"]
    service: MediaService = request.app.state.media
    deps: Deps = request.app.state.deps
    if not KEY.fullmatch(key):
        return PlainTextResponse("Not found", status_code=404)
    q = request.query_params
    signed = signed_for(key, q.get("expires"), q.get("signature"), secret=deps.secret_key,
                        now=deps.now())
    viewer = await accounts.viewer_for_token(
        bearer_token(request.headers.get("authorization")), deps)
    served = await service.find(key, viewer, signed)
    if served is None:
        return PlainTextResponse("Not found", status_code=404,
                                 headers={"X-Content-Type-Options": "nosniff"})
    return service.response(served)
