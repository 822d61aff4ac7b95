"""One way to answer with JSON from ASGI code that runs outside Starlette's responses (the
body and request limits, failures before GraphQL execution, cached answers)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import Send


async def send_json(send: Send, status: int, body: bytes,
                    headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})
