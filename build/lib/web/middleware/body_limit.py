"""Refuse request bodies over a size limit (413), before the whole body is read."""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.messages import t
from web.responses import error_body, send_json


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes  # multipart bodies (uploads)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # What passes through is handed on, not awaited here: no frame of ours is held for the
        # life of a WebSocket connection (thousands of them).
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        limit = self.max_bytes
        if self.upload_max_bytes and content_type == b"multipart/form-data":
            limit = self.upload_max_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        await send_json(send, 413, error_body(t("Request body over {limit} bytes.", limit=limit),
                                              "PAYLOAD_TOO_LARGE"))
