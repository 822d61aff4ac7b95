"""Uploads over GraphQL (the GraphQL multipart request): the CSRF rule they need, and the
request adapter that hands strawberry our streaming parser's files (web/graphql/multipart.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from cross_web.request._base import FormData
from starlette.requests import Request
from starlette.types import Scope, Send

from media.service import MediaService
from models.messages import t
from web.graphql import multipart
from web.responses import error_body, send_json

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


async def refused(scope: Scope, send: Send) -> bool:
    """Refuse, before the body is read, an upload that did not force a CORS preflight (else any
    web page could make a signed-in browser upload) or carries no token."""
    if not preflighted(scope):
        await send_json(send, 400, error_body(
            t("Uploads need a header that forces a CORS preflight, e.g. "
            "'Apollo-Require-Preflight: true' (CSRF protection)."), "VALIDATION"))
        return True
    if not any(name == b"authorization" for name, _ in scope["headers"]):
        await send_json(send, 401, error_body(t("Sign in to upload."), "UNAUTHENTICATED"))
        return True
    return False


class UploadRequestAdapter(StarletteRequestAdapter):
    """Strawberry's request adapter, with multipart bodies parsed by web.graphql.multipart."""

    @property
    def request(self) -> Request:
        return self._request

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
