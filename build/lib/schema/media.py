"""A photo or video as clients get it: its URL is plain when the media is public, signed
otherwise (media/urls.py)."""

from __future__ import annotations

from typing import Self

import strawberry

from media.urls import media_url
from models.deps import Deps
from models.orm.reports import Media as MediaRow
from schema.enums import MediaKind
from schema.relay import Node, to_global_id


@strawberry.type
class Media(Node):
    kind: MediaKind
    url: str = strawberry.field(description="Absolute (PUBLIC_URL). Signed and valid for an "
                                "hour or two unless the report is public.")
    thumbnail_url: str | None = strawberry.field(description="320 px WebP (a video's first "
                                                 "frame).")
    content_type: str
    width: int | None
    height: int | None
    size_bytes: int

    @classmethod
    def from_row(cls, row: MediaRow, *, public: bool, deps: Deps, base_url: str) -> Self:
        def url(key: str) -> str:
            return base_url + media_url(key, public=public, secret=deps.secret_key,
                                        now=deps.now())

        return cls(
            id=to_global_id("Media", row.id), kind=row.kind, url=url(row.storage_key),
            thumbnail_url=url(row.thumbnail_key) if row.thumbnail_key else None,
            content_type=row.content_type, width=row.width, height=row.height,
            size_bytes=row.size_bytes,
        )
