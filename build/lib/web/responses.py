"""One way to answer with a GraphQL-shaped JSON error, wherever it happens: the limits, failures
before GraphQL execution, uploads refused, exports and media. A client handles every refusal the
same way: `{"errors": [{"message", "extensions": {"code", ...}}]}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Send


def error_body(message: str, code: str, *, data_null: bool = False, **extensions: Any) -> bytes:
    """`extensions` with a None value are left out."""
    error = {"message": message, "extensions": {"code": code, **{
        k: v for k, v in extensions.items() if v is not None}}}
    body: dict[str, Any] = {"data": None, "errors": [error]} if data_null else {"errors": [error]}
    return orjson.dumps(body)


def error_response(status: int, message: str, code: str, **extensions: Any) -> Response:
    """The same body, as a Starlette response (for routes)."""
    return Response(error_body(message, code, **extensions), status_code=status,
                    media_type="application/json")


async def send_json(send: Send, status: int, body: bytes,
                    headers: Sequence[tuple[bytes, bytes]] = (), *,
                    content_type: str = "application/json") -> None:
    """For ASGI code that runs outside Starlette's responses (middleware)."""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})
