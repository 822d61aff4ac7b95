"""Media use cases: take an upload (checked, cleaned, stored), serve a file to those who may see
it, and delete uploads that no report took within the allowed time."""

from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.responses import Response
from tortoise.expressions import Q

from media import images, video
from media.sniff import Format
from media.storage import Storage, new_key, thumbnail_key
from models.actions.changes import require_signed_in
from models.deps import Deps
from models.enums import MediaKind
from models.errors import DomainError, Invalid, RateLimited
from models.messages import _
from models.orm.reports import Media, Report
from models.rules.policy import Viewer, can_see_media, media_is_public

log = logging.getLogger(__name__)
CLEANUP_BATCH = 500
PUBLIC_MAX_AGE = 300  # seconds


@dataclass(frozen=True)
class UploadLimits:
    image_max_bytes: int
    video_max_bytes: int
    max_files: int
    max_field_bytes: int

    def for_format(self, fmt: Format) -> tuple[int, str]:
        """The size limit for a type, and the setting that sets it."""
        if fmt.is_video:
            return self.video_max_bytes, "MEDIA_VIDEO_MAX_BYTES"
        return self.image_max_bytes, "MEDIA_IMAGE_MAX_BYTES"


@dataclass
class Incoming:
    """An uploaded file as the upload parser (web/graphql/multipart.py) stored, or refused, it
    while it streamed in: its type is read from its first bytes, never from its name."""

    path: Path
    size: int = 0
    format: Format | None = None
    refused: str | None = None  # why nothing (more) of it was kept


@dataclass(frozen=True)
class MediaSettings:
    image_max_bytes: int
    image_max_pixels: int
    video_max_bytes: int
    max_files: int
    max_field_bytes: int
    unattached: timedelta
    ffmpeg: str

    @property
    def upload_limits(self) -> UploadLimits:
        return UploadLimits(self.image_max_bytes, self.video_max_bytes, self.max_files,
                            self.max_field_bytes)


@dataclass(frozen=True)
class Served:
    key: str
    content_type: str
    public: bool


class MediaService:
    def __init__(self, storage: Storage, incoming: Path, settings: MediaSettings,
                 workers: int = 2) -> None:
        self.storage = storage
        self.incoming = incoming
        incoming.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        # Decoding a 40-megapixel photo takes ~150 MB and a core for a moment: a few at a time.
        self._slots = asyncio.Semaphore(workers)
        # (kind, outcome) -> uploads, read by /metrics: kind image/video/unknown; outcome
        # stored, refused (not a file we take), limited (rate limit) or failed.
        self.uploads: collections.Counter[tuple[str, str]] = collections.Counter()

    async def upload(self, deps: Deps, viewer: Viewer, file: object) -> Media:
        fmt = getattr(file, "format", None) if isinstance(file, Incoming) else None
        kind = "unknown" if fmt is None else "video" if fmt.is_video else "image"
        try:
            media = await self._upload(deps, viewer, file)
        except RateLimited:
            self.uploads[kind, "limited"] += 1
            raise
        except DomainError:
            self.uploads[kind, "refused"] += 1
            raise
        except Exception:
            self.uploads[kind, "failed"] += 1
            raise
        self.uploads[kind, "stored"] += 1
        return media

    async def _upload(self, deps: Deps, viewer: Viewer, file: object) -> Media:
        require_signed_in(viewer)
        await deps.throttle.hit("uploadMedia", str(viewer.user_id))
        if not isinstance(file, Incoming):
            raise Invalid(_("Send the file as a multipart upload (GraphQL multipart request)."),
                          field="file")
        if file.refused is not None:
            raise Invalid(file.refused, field="file")
        if file.format is None or file.size == 0:
            raise Invalid(_("The file is empty."), field="file")
        async with self._slots:
            if file.format.is_video:
                row = await self._store_video(file)
            else:
                row = await self._store_image(file)
        return await Media.create(owner_id=viewer.user_id, created_at=deps.now(), **row)

    async def _store_image(self, file: Incoming) -> dict[str, Any]:
        assert file.format is not None
        try:
            clean = await asyncio.to_thread(images.clean_image, file.path, file.format,
                                            self.settings.image_max_pixels)
        except images.ImageRefused as refused:
            raise Invalid(str(refused), field="file") from None
        key = new_key(clean.extension)
        await self.storage.put_bytes(key, clean.data)
        await self.storage.put_bytes(thumbnail_key(key), clean.thumbnail)
        return {"kind": MediaKind.IMAGE, "storage_key": key, "thumbnail_key": thumbnail_key(key),
                "content_type": clean.content_type, "width": clean.width,
                "height": clean.height, "size_bytes": len(clean.data)}

    async def _store_video(self, file: Incoming) -> dict[str, Any]:
        assert file.format is not None
        target = file.path.with_suffix(".clean")
        try:
            clean = await video.clean_video(self.settings.ffmpeg, file.path, file.format, target)
        except video.VideoRefused as refused:
            target.unlink(missing_ok=True)
            raise Invalid(str(refused), field="file") from None
        key = new_key(clean.extension)
        size = target.stat().st_size
        await self.storage.put_file(key, target)
        await self.storage.put_bytes(thumbnail_key(key), clean.thumbnail)
        return {"kind": MediaKind.VIDEO, "storage_key": key, "thumbnail_key": thumbnail_key(key),
                "content_type": clean.content_type, "width": clean.width,
                "height": clean.height, "size_bytes": size}

    async def find(self, key: str, viewer: Viewer, signed: bool) -> Served | None:
        """What to send for a key, or None when it does not exist or the viewer may not see it
        (the two are not told apart)."""
        row = await Media.get_or_none(Q(storage_key=key) | Q(thumbnail_key=key))
        if row is None:
            return None
        report = await Report.get_or_none(id=row.report_id) if row.report_id else None
        report_facts = report.facts if report else None
        public = media_is_public(report_facts, row.is_result)
        if not (public or signed or can_see_media(viewer, row.owner_id, report_facts,
                                                  row.is_result)):
            return None
        content_type = row.content_type if key == row.storage_key else "image/webp"
        return Served(key, content_type, public)

    def response(self, served: Served) -> Response:
        # Public evidence may stop being public (an agency gives the report back, it returns
        # to review): caches keep it a few minutes, never for good. The rest is not kept at all.
        cache = (f"public, max-age={PUBLIC_MAX_AGE}" if served.public
                 else "private, no-store")
        return self.storage.response(served.key, served.content_type, {
            "Cache-Control": cache, "X-Content-Type-Options": "nosniff",
            # A file is never a page: no scripts, even if a browser were talked into it.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        })

    async def clean_unattached(self, now: datetime) -> int:
        """Delete uploads older than the allowed time that no report uses. Each row is
        deleted only if it is still unattached at that moment, so a report attaching it at
        the same time keeps it."""
        cutoff = now - self.settings.unattached
        stale = await Media.filter(report_id=None, created_at__lt=cutoff).order_by("id").limit(
            CLEANUP_BATCH)
        removed = 0
        for row in stale:
            if await Media.filter(id=row.id, report_id=None).delete():
                await self.storage.delete(row.storage_key)
                if row.thumbnail_key:
                    await self.storage.delete(row.thumbnail_key)
                removed += 1
        if removed:
            log.info("media cleanup: %d unattached uploads deleted", removed)
        return removed


async def clean_forever(service: MediaService, deps: Deps, interval: float) -> None:
    while True:
        try:
            while await service.clean_unattached(deps.now()) == CLEANUP_BATCH:
                pass
        except Exception:
            log.exception("media cleanup failed; retrying later")
        await asyncio.sleep(interval)
