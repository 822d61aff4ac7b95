"""Partner keys for Open311: an admin issues one for a citizen account (the partner's), the
partner's tool sends it as `api_key`, and what it posts is that account's, as if submitted in
the app. The plain key is shown once; only its keyed hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from models.actions.directory import require_admin
from models.deps import Deps
from models.enums import Role
from models.errors import Invalid, NotFound
from models.messages import _
from models.orm.accounts import ApiKey, User
from models.rules.policy import Viewer
from models.rules.text import clean

KEY_PREFIX = "o311_"
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
    if user.role is not Role.CITIZEN or not user.is_active:
        # A key speaks for its account: staff or IOC powers must never travel in a partner's tool.
        raise Invalid(_("Keys are issued for active citizen accounts only."), field="userId")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
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


async def viewer_for_api_key(key: str | None, deps: Deps) -> Viewer | None:
    """One query; None for a missing, unknown or revoked key, or a deactivated account."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
        return None
    row = await ApiKey.filter(key_hash=_key_hash(key, deps.secret_key), revoked_at=None,
                              user__is_active=True).select_related("user").first()
    if row is None:
        return None
    user = row.user
    return Viewer(user_id=user.id, role=user.role, agency_id=user.agency_id,
                  display_name=user.display_name, via_api_key=True)
