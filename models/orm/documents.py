"""GraphQL documents a deployment trusts (PERSISTED_QUERIES=trusted): registered from client
manifests, identified by the SHA-256 of their text, as Apollo's persisted queries and GraphQL
trusted documents identify them."""

from __future__ import annotations

from tortoise import fields

from models.orm.rows import Stored


class TrustedDocument(Stored):
    hash = fields.CharField(max_length=64, primary_key=True)  # SHA-256 of body, lower-case hex
    body = fields.TextField()
    client = fields.CharField(max_length=100)  # which front end registered it
    registered_at = fields.DatetimeField()

    class Meta:
        table = "trusted_document"
