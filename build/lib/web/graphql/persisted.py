"""Persisted documents, as Apollo's clients and GraphQL trusted documents expect them.

A request may name its document by hash instead of sending it:
`"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<sha256 of the text>"}}`,
over POST or GET (then the URL is short and the same for everyone: a CDN can cache it).

- `automatic` (default, Apollo's APQ): an unknown hash is answered `PersistedQueryNotFound`
  (HTTP 200, code `PERSISTED_QUERY_NOT_FOUND`: Apollo Client then resends with the text); a
  text with its hash is kept once it has validated and run, in a bounded in-process LRU (a
  process that misses asks the client again). Registered trusted documents work by hash too.
- `trusted`: only registered documents run (`python server.py register-documents`), by hash or
  by their full text; anything else is refused with `PERSISTED_QUERY_NOT_TRUSTED`. The wall's
  own documents are trusted when the server starts.
- `off`: a hash alone is answered `PersistedQueryNotSupported`.
"""

from __future__ import annotations

import enum
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.actions.documents import document_hash
from models.messages import _
from models.queries.documents import trusted_document
from web.graphql.http import RequestRefused

_HEX64 = re.compile(r"[0-9a-f]{64}")


class Mode(enum.StrEnum):
    AUTOMATIC = "automatic"
    TRUSTED = "trusted"
    OFF = "off"


class NotPersisted(Exception):
    """Apollo's clients recognise these by message and answer by sending the full text; they
    must come back as HTTP 200 (a 400 makes Apollo Client stop using persisted queries)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


NOT_FOUND = NotPersisted("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
NOT_SUPPORTED = NotPersisted("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")


@dataclass(frozen=True)
class Resolved:
    query: str | None
    remember: str | None = None  # a hash to keep with this text once it has run


class PersistedDocuments:
    def __init__(self, mode: Mode, *, max_entries: int = 5_000,
                 max_bytes: int = 16 * 1024 * 1024) -> None:
        self.mode = mode
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._known: OrderedDict[str, str] = OrderedDict()  # hash -> text, least recent first
        self._bytes = 0
        self._trusted: set[str] = set()  # hashes known to be registered

    def known(self, digest: str) -> str | None:
        """From memory only (the response cache asks before anything else runs)."""
        return self._known.get(digest)

    def trust(self, digest: str, text: str) -> None:
        self._trusted.add(digest)
        self._keep(digest, text)

    def remember(self, digest: str, text: str) -> None:
        if self.mode is Mode.AUTOMATIC:
            self._keep(digest, text)

    def _keep(self, digest: str, text: str) -> None:
        if digest in self._known:
            self._known.move_to_end(digest)
            return
        self._known[digest] = text
        self._bytes += len(text)
        while len(self._known) > self.max_entries or self._bytes > self.max_bytes:
            evicted, old = self._known.popitem(last=False)
            self._bytes -= len(old)
            if evicted in self._trusted:  # a registered one is found again in the database
                self._trusted.discard(evicted)

    async def _registered(self, digest: str) -> str | None:
        if digest in self._trusted and digest in self._known:
            self._known.move_to_end(digest)
            return self._known[digest]
        text = await trusted_document(digest)
        if text is not None:
            self.trust(digest, text)
        return text

    async def resolve(self, query: Any, extensions: Mapping[str, Any] | None) -> Resolved:
        """The document to run. Raises RequestRefused (400) or NotPersisted (200)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if (self.mode is Mode.TRUSTED and isinstance(query, str)
                    and await self._registered(document_hash(query)) is None):
                raise RequestRefused(400, _("This server runs registered documents only."),
                                     "PERSISTED_QUERY_NOT_TRUSTED")
            return Resolved(query)
        digest = _hash_of(persisted)
        if self.mode is Mode.OFF:
            raise NOT_SUPPORTED
        if isinstance(query, str):
            if document_hash(query) != digest:
                raise RequestRefused(400, _("The persisted query's hash is not the SHA-256 of "
                                            "the query."), "PERSISTED_QUERY_HASH_MISMATCH")
            if self.mode is Mode.TRUSTED and await self._registered(digest) is None:
                raise RequestRefused(400, _("This server runs registered documents only."),
                                     "PERSISTED_QUERY_NOT_TRUSTED")
            return Resolved(query, remember=digest)
        known = self._known.get(digest)
        if known is not None and (self.mode is Mode.AUTOMATIC or digest in self._trusted):
            self._known.move_to_end(digest)
            return Resolved(known)
        registered = await self._registered(digest)
        if registered is None:
            raise NOT_FOUND
        return Resolved(registered)


def _hash_of(persisted: Any) -> str:
    if not isinstance(persisted, Mapping) or persisted.get("version") != 1:
        raise RequestRefused(400, _("persistedQuery must be {\"version\": 1, \"sha256Hash\": "
                                    "…}."), "PERSISTED_QUERY_INVALID")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest.lower()):
        raise RequestRefused(400, _("sha256Hash must be 64 hexadecimal digits."),
                             "PERSISTED_QUERY_INVALID")
    return digest.lower()
