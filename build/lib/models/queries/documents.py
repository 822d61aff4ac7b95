"""The trusted documents' read side."""

from __future__ import annotations

from models.orm.documents import TrustedDocument


async def trusted_document(digest: str) -> str | None:
    row = await TrustedDocument.get_or_none(hash=digest)
    return row.body if row else None


async def trusted_count() -> int:
    return await TrustedDocument.all().count()
