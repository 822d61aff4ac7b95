"""Keys for machines, issued by an admin for one account; the plain key is shown once, only its
keyed hash is stored, and revoking it stops it at once.

- An Open311 partner's key (`o311_…`), for a citizen account: the partner's tool sends it as
  `api_key` and what it posts is that account's, as if submitted in the app.
- An agency system's key (`agk_…`), for an agency staff account kept as the agency's service
  account: the agency's own ticketing system sends it as `Authorization: Bearer` to /graphql and
  acts as that account (its agency's inbox, accepting, extensions, results), only through the
  mutations marked for machines (resolvers/mutations/base.py); every step lands on the timeline
  as that account of that agency. A key works only where its kind belongs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection

from models.actions.directory import require_admin
from models.deps import Deps
from models.enums import Role
from models.errors import Invalid, NotFound
from models.messages import _
from models.orm.accounts import ApiKey, User
from models.rules.policy import Viewer
from models.rules.text import clean

KEY_PREFIX = "o311_"
AGENCY_KEY_PREFIX = "agk_"
MAX_KEY_LENGTH = 100
MAX_API_KEYS = 1000  # issued, revoked ones included: `apiKeys` lists them whole


def _key_hash(key: str, secret: str) -> str:
    # A different purpose from sign-in tokens: never the same hash for the same string.
    return hmac.new(secret.encode(), b"open311:" + key.encode(), hashlib.sha256).hexdigest()


async def issue_api_key(deps: Deps, viewer: Viewer, user_id: int, name: str) -> tuple[str, ApiKey]:
    require_admin(viewer)
    label = clean(name, field="name", max_length=100, min_length=2)
    assert label is not None
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound(_("No such account."), field="userId")
    if await ApiKey.all().count() >= MAX_API_KEYS:
        raise Invalid(_("There can be at most {count} keys."), field="userId",
                      count=MAX_API_KEYS)
    agency = user.role is Role.AGENCY_STAFF and user.agency_id is not None
    if not (user.role is Role.CITIZEN or agency) or not user.is_active:
        # A key speaks for its account: IOC or admin powers must never travel in a machine.
        raise Invalid(_("Keys are issued for active citizen or agency staff accounts only."),
                      field="userId")
    key = (AGENCY_KEY_PREFIX if agency else KEY_PREFIX) + secrets.token_urlsafe(32)
    row = await ApiKey.create(user=user, name=label, key_hash=_key_hash(key, deps.secret_key),
                              created_at=deps.now())
    return key, row


async def revoke_api_key(deps: Deps, viewer: Viewer, key_id: int) -> ApiKey:
    """The key with its account loaded, revoked (already revoked: unchanged)."""
    require_admin(viewer)
    row = await ApiKey.filter(id=key_id).select_related("user").first()
    if row is None:
        raise NotFound(_("No such key."), field="id")
    if row.revoked_at is None:
        row.revoked_at = deps.now()
        await row.save(update_fields=["revoked_at"])
    return row


async def list_api_keys(viewer: Viewer) -> list[ApiKey]:
    require_admin(viewer)
    return await ApiKey.all().select_related("user").order_by("-id").limit(MAX_API_KEYS)


def is_agency_key(key: str) -> bool:
    return key.startswith(AGENCY_KEY_PREFIX)


async def viewer_for_api_key(key: str | None, deps: Deps, *,
                             agency: bool = False) -> Viewer | None:
    """One query; None for a missing, unknown or revoked key, a deactivated account, or a key of
    the other kind (`agency`: an agency system's, else an Open311 partner's)."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or is_agency_key(key) != agency:
        return None
    row = await ApiKey.filter(key_hash=_key_hash(key, deps.secret_key), revoked_at=None,
                              user__is_active=True).select_related("user").first()
    if row is None:
        return None
    user = row.user
    wanted = Role.AGENCY_STAFF if agency else Role.CITIZEN
    if user.role is not wanted or (agency and user.agency_id is None):
        return None  # the account changed role since: the key does not follow it
    return Viewer(user_id=user.id, role=user.role, agency_id=user.agency_id,
                  display_name=user.display_name, via_api_key=True)


async def revoked_keys(keys: Collection[str], deps: Deps) -> set[str]:
    """Which of these agency keys no longer work (revoked, unknown, account disabled or moved):
    one query, for the live subscriptions of a process (realtime/session_watch.py)."""
    hashed = {_key_hash(k, deps.secret_key): k for k in keys}
    good: set[str] = {str(digest) for digest in await ApiKey.filter(
        key_hash__in=list(hashed), revoked_at=None, user__is_active=True,
        user__role=Role.AGENCY_STAFF).values_list("key_hash", flat=True)}
    return {key for digest, key in hashed.items() if digest not in good}
