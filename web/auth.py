"""Authentication: the one place where a request, a WebSocket `connection_init` or a partner's
key becomes a viewer.

HTTP requests are signed in once, by the `RequestContext` middleware, from the `Authorization:
Bearer` header; every route reads the result with `viewer_of(request)`. WebSockets carry the
token in their `connection_init` payload (GraphQLApp.on_ws_connect). Open311 partners send an
`api_key` parameter (web/open311/routes.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

from models.actions import accounts, partners
from models.deps import Deps
from models.rules.policy import ANONYMOUS, Viewer

_BEARER = re.compile(r"Bearer\s+(\S+)", re.IGNORECASE)


def bearer_token(header: str | None) -> str | None:
    match = _BEARER.fullmatch(header.strip()) if header else None
    return match.group(1) if match else None


@dataclass(frozen=True)
class Signed:
    """Who a request is, and the token it came with (logout revokes that token)."""

    viewer: Viewer
    token: str | None = None


ANONYMOUS_REQUEST = Signed(ANONYMOUS)


class Authenticator:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def token(self, token: str | None) -> Viewer:
        """Anonymous for a missing, unknown, revoked or expired token."""
        return await accounts.viewer_for_token(token, self.deps)

    async def header(self, authorization: str | None) -> Signed:
        if authorization is None:
            return ANONYMOUS_REQUEST
        token = bearer_token(authorization)
        return Signed(await self.token(token), token)

    async def connection_params(self, params: Mapping[str, Any] | None) -> Signed | None:
        """None when the payload carries an authorization that is not valid; anonymous when it
        carries none."""
        raw = (params or {}).get("authorization") or (params or {}).get("Authorization")
        if raw is None:
            return ANONYMOUS_REQUEST
        token = bearer_token(raw) if isinstance(raw, str) else None
        viewer = await self.token(token)
        if not viewer.signed_in:
            return None
        return Signed(viewer, token)

    async def api_key(self, key: str | None) -> Viewer | None:
        """A partner's Open311 key: None for a missing, unknown or revoked key."""
        return await partners.viewer_for_api_key(key, self.deps)


def signed_of(connection: HTTPConnection) -> Signed:
    """What the RequestContext middleware found (anonymous where it did not run)."""
    signed = connection.scope.get("state", {}).get("signed")
    return signed if isinstance(signed, Signed) else ANONYMOUS_REQUEST


def viewer_of(connection: HTTPConnection) -> Viewer:
    return signed_of(connection).viewer
