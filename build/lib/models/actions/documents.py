"""Registering the GraphQL documents a client ships (trusted documents): from the manifests
the client tools write, each document checked against its hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from models.db import PRIMARY
from models.errors import Invalid
from models.messages import _
from models.orm.documents import TrustedDocument


def document_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def manifest_documents(manifest: Any) -> list[tuple[str, str]]:
    """(hash, body) pairs from Apollo's persisted query manifest
    (`{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}]}`) or from
    graphql-codegen's persisted documents (`{"<hash>": "<body>"}`). A hash that is not the
    SHA-256 of its body is refused: the server looks documents up by that hash."""
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(manifest, Mapping) and manifest.get("format") == (
            "apollo-persisted-query-manifest"):
        operations = manifest.get("operations")
        if not isinstance(operations, list):
            raise Invalid(_("The manifest has no list of operations."), field="manifest")
        pairs = [(op.get("id"), op.get("body")) if isinstance(op, Mapping) else (None, None)
                 for op in operations]
    elif isinstance(manifest, Mapping):
        pairs = manifest.items()
    else:
        raise Invalid(_("A manifest is a JSON object."), field="manifest")
    documents = []
    for given, body in pairs:
        if not isinstance(given, str) or not isinstance(body, str) or not body.strip():
            raise Invalid(_("Every document needs its hash and its text."), field="manifest")
        if given.lower() != document_hash(body):
            raise Invalid(_("The hash {hash} is not the SHA-256 of its document."),
                          field="manifest", hash=given)
        documents.append((given.lower(), body))
    return documents


async def register_documents(documents: Iterable[tuple[str, str]], client: str,
                             now: datetime) -> int:
    """Trust these documents; returns how many were new."""
    new = 0
    async with in_transaction(PRIMARY) as conn:
        for digest, body in documents:
            _row, created = await TrustedDocument.get_or_create(
                hash=digest, defaults={"body": body, "client": client[:100],
                                       "registered_at": now}, using_db=conn)
            new += created
    return new
