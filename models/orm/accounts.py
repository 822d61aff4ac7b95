"""Accounts and their sign-in tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields

from models.enums import Role
from models.orm.rows import Stored

if TYPE_CHECKING:
    from models.orm.directory import Agency


class User(Stored):
    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=16, unique=True)  # normalised +84…
    password_hash = fields.CharField(max_length=255)
    display_name = fields.CharField(max_length=100)
    role = fields.CharEnumField(Role, max_length=16)
    agency: fields.ForeignKeyNullableRelation[Agency] = fields.ForeignKeyField(
        "models.Agency", null=True, on_delete=fields.RESTRICT, related_name="staff"
    )
    agency_id: int | None
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The comment rate limit lives in the row it limits: a conditional UPDATE lets exactly one
    # of two simultaneous comments through, across every server process.
    last_comment_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user_account"


class AuthToken(Stored):
    """A revocable bearer token. Only its SHA-256 is stored, so a database leak signs no one in."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", on_delete=fields.CASCADE, related_name="tokens"
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at: datetime = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    renewed_at = fields.DatetimeField(null=True)  # replaced by a renewal; ends soon after

    class Meta:
        table = "auth_token"


class ApiKey(Stored):
    """A partner's Open311 key, issued by an admin for one citizen account.

    Reports posted with it are that account's. Only a keyed SHA-256 of the key is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", on_delete=fields.CASCADE, related_name="api_keys"
    )
    user_id: int
    name = fields.CharField(max_length=100)
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"
