"""What every HTTP request carries before a route runs, set once:

- a request id: the `X-Request-ID` it came with when well-formed, else a new one; it is on
  every log line of the request, on the response, and in a masked error's extensions;
- who is asking (web/auth.py), read by every route with `viewer_of(request)`; a token that is
  not good (unknown, expired, revoked, its account disabled) is refused with 401, a JSON body
  whose `extensions.reason` says why (TOKEN_EXPIRED...), never taken as anonymous;
- the reader's language (`Accept-Language`: Vietnamese unless English is preferred), in which
  messages are rendered (models/messages.py);
- a masked JSON answer for anything that fails before a response started: 503 with
  `Retry-After` when the database is away (signing in needs it), 500 otherwise, never a bare
  "Internal Server Error" nor a traceback.

WebSocket connections get their request id here too; they sign in with `connection_init`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.actions.sessions import PROBLEM_MESSAGES, TokenProblem
from models.db import unavailable
from models.messages import language, negotiate_language, render
from schema.masking import UNAVAILABLE_MESSAGE, UNEXPECTED_MESSAGE
from web import logs
from web.auth import Authenticator
from web.middleware.body_limit import BodyTooLarge
from web.responses import error_body, send_json

log = logging.getLogger("hien_truong")
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{8,64}")



def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value)
    return None


class RequestContext:
    def __init__(self, app: ASGIApp, auth: Authenticator,
                 own_authorization: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.auth = auth
        # Paths whose Authorization header is theirs, not a session (/metrics' scrape token).
        self.own_authorization = own_authorization

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] not in ("http", "websocket"):
            return self.app(scope, receive, send)
        incoming = _header(scope, b"x-request-id")
        request_id = (incoming.decode() if incoming and _REQUEST_ID.fullmatch(incoming)
                      else uuid.uuid4().hex)
        logs.request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        wanted = _header(scope, b"accept-language")
        language.set(negotiate_language(wanted.decode("latin-1") if wanted else None))
        if scope["type"] == "websocket":
            # Handed on, not awaited: no frame of ours held for the connection's life.
            return self.app(scope, receive, send)
        return self._http(scope, receive, send, request_id)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        state = scope["state"]
        started = False
        id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), id_header]}
            await send(message)

        try:
            authorization = _header(scope, b"authorization")
            if scope.get("path") in self.own_authorization:
                authorization = None
            signed = state["signed"] = await self.auth.header(
                authorization.decode("latin-1") if authorization is not None else None)
            if signed.problem is not None:
                await refuse_token(send_with_id, signed.problem)
                return
            await self.app(scope, receive, send_with_id)
        except BodyTooLarge:
            raise  # BodyLimit answers 413
        except Exception as error:
            if started:
                raise
            await failed(send, error, request_id)


async def failed(send: Send, error: Exception, request_id: str) -> None:
    away = unavailable(error)
    log.error("request failed before execution request_id=%s", request_id, exc_info=error)
    status, code, message = (503, "UNAVAILABLE", render(UNAVAILABLE_MESSAGE)) if away else (
        500, "INTERNAL", render(UNEXPECTED_MESSAGE))
    headers = [(b"x-request-id", request_id.encode())]
    if away:
        headers.append((b"retry-after", b"1"))
    await send_json(send, status, error_body(message, code, data_null=True, requestId=request_id),
                    headers)


async def refuse_token(send: Send, problem: TokenProblem) -> None:
    """RFC 6750's answer to a bearer token that is not good, with a GraphQL-shaped body."""
    description = problem.value.lower().replace("_", " ")
    await send_json(send, 401, error_body(
        render(PROBLEM_MESSAGES[problem]), "UNAUTHENTICATED", reason=problem.value), [
        (b"www-authenticate",
         f'Bearer error="invalid_token", error_description="{description}"'.encode())])
