"""Authentication: the one place where a request, a WebSocket `connection_init` or a partner's
key becomes a viewer.

HTTP requests are signed in once, by the `RequestContext` middleware, from the `Authorization:
Bearer` header; every route reads the result with `viewer_of(request)`. WebSockets carry the
token in their `connection_init` payload (GraphQLApp.on_ws_connect). Open311 partners send an
`api_key` parameter (web/open311/routes.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import HTTPConnection

from models.actions import partners, sessions
from models.actions.sessions import TokenProblem
from models.deps import Deps
from models.rules.policy import ANONYMOUS, Viewer

_BEARER = re.compile(r"Bearer\s+(\S+)", re.IGNORECASE)


def bearer_token(header: str | None) -> str | None:
    match = _BEARER.fullmatch(header.strip()) if header else None
    return match.group(1) if match else None


@dataclass(frozen=True)
class Signed:
    """Who a request is, the token it came with (logout revokes that token) and until when it
    is good; or, for a token that is not good, why (the request is then refused, 401)."""

    viewer: Viewer
    token: str | None = None
    expires_at: datetime | None = None
    problem: TokenProblem | None = None


ANONYMOUS_REQUEST = Signed(ANONYMOUS)


class Authenticator:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def token(self, token: str | None) -> Signed:
        if not token:
            return Signed(ANONYMOUS, problem=TokenProblem.INVALID)
        if partners.is_agency_key(token):  # an agency system's key (models/actions/partners.py)
            machine = await partners.viewer_for_api_key(token, self.deps, agency=True)
            if machine is None:
                return Signed(ANONYMOUS, problem=TokenProblem.REVOKED)
            return Signed(machine, token)
        session = await sessions.session_for_token(token, self.deps)
        return Signed(session.viewer, token, session.expires_at, session.problem)

    async def problems(self, tokens: Collection[str]) -> dict[str, TokenProblem]:
        """Which of the tokens of open subscriptions no longer work (realtime/session_watch.py):
        sessions and agency keys, one query each per batch."""
        keys = [t for t in tokens if partners.is_agency_key(t)]
        bad = await sessions.problems([t for t in tokens if not partners.is_agency_key(t)],
                                      self.deps)
        if keys:
            bad.update(dict.fromkeys(await partners.revoked_keys(keys, self.deps),
                                     TokenProblem.REVOKED))
        return bad

    async def header(self, authorization: str | None) -> Signed:
        """Anonymous without the header; a header that is not `Bearer <token>` is a problem."""
        if authorization is None:
            return ANONYMOUS_REQUEST
        return await self.token(bearer_token(authorization))

    async def connection_params(self, params: Mapping[str, Any] | None) -> Signed:
        """The same for a WebSocket's `connection_init` payload (`authorization`)."""
        raw = (params or {}).get("authorization") or (params or {}).get("Authorization")
        if raw is None:
            return ANONYMOUS_REQUEST
        return await self.token(bearer_token(raw) if isinstance(raw, str) else None)

    async def api_key(self, key: str | None) -> Viewer | None:
        """A partner's Open311 key: None for a missing, unknown or revoked key."""
        return await partners.viewer_for_api_key(key, self.deps)


def signed_of(connection: HTTPConnection) -> Signed:
    """What the RequestContext middleware found (anonymous where it did not run)."""
    signed = connection.scope.get("state", {}).get("signed")
    return signed if isinstance(signed, Signed) else ANONYMOUS_REQUEST


def viewer_of(connection: HTTPConnection) -> Viewer:
    return signed_of(connection).viewer
