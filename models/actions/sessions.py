"""Sessions: the bearer tokens a sign-in issues, what a token is worth when it comes back, how
a session is renewed before it ends, and signing out.

A token that is not (or no longer) good is refused with the reason, never treated as anonymous:
a front end must tell "your session expired" from "you never signed in".

Renewal is a new token, not a longer life for the old one: `renewSession` issues a token valid
for TOKEN_TTL_DAYS from now, and the old one ends `RENEW_GRACE` later, so requests already on
their way with it still pass. Only a keyed hash of each token is stored.

A process keeps the good sessions it has read for `SESSION_CACHE_SECONDS` (`SessionMemo`):
a signed-in request would otherwise begin with a query. Signing out or renewing forgets the
token at once on the process that did it; another process learns it when its copy is that
old, the same bound as the session checks of open subscriptions (realtime/session_watch.py).
Expiry is checked on every request, from the memo too.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.deps import Deps
from models.errors import Unauthenticated
from models.messages import _
from models.orm.accounts import AuthToken, User
from models.rules.policy import Viewer

RENEW_GRACE = timedelta(seconds=60)
MAX_TOKEN_LENGTH = 200  # ours are 43 characters of URL-safe base64


class TokenProblem(enum.StrEnum):
    """Why a token that came with a request is refused (`extensions.reason`)."""

    INVALID = "TOKEN_INVALID"  # not one of ours, or malformed
    EXPIRED = "TOKEN_EXPIRED"
    REVOKED = "TOKEN_REVOKED"  # signed out, or replaced by a renewal
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"


PROBLEM_MESSAGES = {
    TokenProblem.INVALID: _("This sign-in token is not valid. Sign in again."),
    TokenProblem.EXPIRED: _("Your session has expired. Sign in again."),
    TokenProblem.REVOKED: _("This session was signed out. Sign in again."),
    TokenProblem.ACCOUNT_DISABLED: _("This account is disabled."),
}


@dataclass(frozen=True)
class Session:
    """What a token is worth: a viewer until `expires_at`, or a problem."""

    viewer: Viewer
    expires_at: datetime | None = None
    problem: TokenProblem | None = None


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: datetime


def token_hash(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


async def issue(user_id: int, deps: Deps) -> Issued:
    token = secrets.token_urlsafe(32)
    now = deps.now()
    expires_at = now + timedelta(days=deps.token_ttl_days)
    await AuthToken.create(user_id=user_id, token_hash=token_hash(token, deps.secret_key),
                           created_at=now, expires_at=expires_at)
    return Issued(token, expires_at)


async def session_for_token(token: str, deps: Deps, now: datetime | None = None) -> Session:
    """What the token is worth: from this process's memo while it is fresh, otherwise one
    query (the token joined to its user)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return Session(Viewer(), problem=TokenProblem.INVALID)
    now = now or deps.now()
    digest = token_hash(token, deps.secret_key)
    kept: Session | None = deps.sessions.get(digest, now)
    if kept is not None:
        if kept.expires_at is not None and kept.expires_at <= now:
            return Session(Viewer(), problem=TokenProblem.EXPIRED)
        return kept
    row = await AuthToken.filter(token_hash=digest).select_related("user").first()
    if row is None:
        return Session(Viewer(), problem=TokenProblem.INVALID)
    user = row.user
    problem = _problem(row.revoked_at, row.expires_at, row.renewed_at, user.is_active, now)
    if problem is not None:
        return Session(Viewer(), problem=problem)
    viewer = Viewer(user_id=user.id, role=user.role, agency_id=user.agency_id,
                    display_name=user.display_name)
    session = Session(viewer, expires_at=row.expires_at)
    if row.renewed_at is None:  # a renewed token's grace is short: always read it
        deps.sessions.put(digest, session, now)
    return session


def _problem(revoked_at: datetime | None, expires_at: datetime, renewed_at: datetime | None,
             active: bool, now: datetime) -> TokenProblem | None:
    if revoked_at is not None:
        return TokenProblem.REVOKED
    if expires_at <= now:
        # A renewal's grace period ends like an expiry, but it was a replacement.
        return TokenProblem.REVOKED if renewed_at is not None else TokenProblem.EXPIRED
    return None if active else TokenProblem.ACCOUNT_DISABLED


CHECKED_PER_QUERY = 1000


async def problems(tokens: Collection[str], deps: Deps) -> dict[str, TokenProblem]:
    """Which of these tokens are no longer good, and why: one query per thousand tokens, for
    the live subscriptions of a whole process at once (realtime/session_watch.py)."""
    now = deps.now()
    hashed = {token_hash(t, deps.secret_key): t for t in tokens}
    found: dict[str, TokenProblem | None] = {}
    keys = list(hashed)
    for start in range(0, len(keys), CHECKED_PER_QUERY):
        rows = await AuthToken.filter(token_hash__in=keys[start:start + CHECKED_PER_QUERY]
                                      ).values_list("token_hash", "revoked_at", "expires_at",
                                                    "renewed_at", "user__is_active")
        for digest, revoked_at, expires_at, renewed_at, active in rows:
            found[digest] = _problem(revoked_at, expires_at, renewed_at, bool(active), now)
    bad: dict[str, TokenProblem] = {}
    for digest, token in hashed.items():
        problem = found.get(digest, TokenProblem.INVALID)  # gone from the table: not ours
        if problem is not None:
            bad[token] = problem
    return bad


async def viewer_for_token(token: str | None, deps: Deps, now: datetime | None = None) -> Viewer:
    """Anonymous for a missing token or one that is not good (live subscriptions re-check)."""
    if not token:
        return Viewer()
    return (await session_for_token(token, deps, now)).viewer


async def renew(token: str | None, deps: Deps) -> tuple[Issued, User]:
    """A fresh token for the same account; the old one ends RENEW_GRACE from now."""
    if not token:
        raise Unauthenticated(_("Sign in first."))
    session = await session_for_token(token, deps)
    if session.problem is not None or session.viewer.user_id is None:
        raise Unauthenticated(PROBLEM_MESSAGES[session.problem or TokenProblem.INVALID])
    now = deps.now()
    issued = await issue(session.viewer.user_id, deps)
    digest = token_hash(token, deps.secret_key)
    await AuthToken.filter(token_hash=digest, expires_at__gt=now + RENEW_GRACE
                           ).update(expires_at=now + RENEW_GRACE, renewed_at=now)
    deps.sessions.forget(digest)
    return issued, await User.get(id=session.viewer.user_id)


async def sign_out(token: str | None, deps: Deps, *, all_sessions: bool = False) -> bool:
    if not token:
        raise Unauthenticated(_("Sign in first."))
    current = await AuthToken.get_or_none(token_hash=token_hash(token, deps.secret_key),
                                          revoked_at=None)
    if current is None:
        raise Unauthenticated(_("This token is already signed out or unknown."))
    scope = {"user_id": current.user_id} if all_sessions else {"id": current.id}
    await AuthToken.filter(revoked_at=None, **scope).update(revoked_at=deps.now())
    if all_sessions:
        deps.sessions.forget_user(current.user_id)
    deps.sessions.forget(current.token_hash)
    return True
