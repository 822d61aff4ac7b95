"""Media in an S3-compatible bucket (AWS S3, MinIO, Ceph, a provider's object storage), so that
every process on every machine stores and serves the same files.

The client is obstore (Rust's object_store under an asyncio API): uploads and deletions are
awaited without a thread per call, large files are sent in parts, and presigning is local (no
request). aiobotocore would bring botocore's size and its own event-loop plumbing; minio's
client is synchronous.

Serving: `/media/<key>` still decides who may see a file (media/service.py `find`), then answers
with a redirect to a URL the store signed for `MEDIA_SIGNED_URL_SECONDS`; the bytes go from the
bucket to the client, not through this server. The redirect is cached (when the file is
public) for at most half the signature's life, so no cache hands out an expired URL. The
files are the cleaned re-encodings (media/images.py, media/video.py) with their content type
stored on the object; they are served from the bucket's own origin, not the API's.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import obstore
from obstore.store import S3Store
from starlette.responses import RedirectResponse, Response

from media.storage import KEY

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                 "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}


def parse_store_url(url: str) -> tuple[str, dict[str, str]]:
    """`s3://bucket?endpoint=http://127.0.0.1:9000&region=us-east-1` -> (bucket, options)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("MEDIA_STORE must look like s3://bucket?endpoint=...&region=...")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return parts.netloc, options


class S3Storage:
    def __init__(self, url: str, access_key_id: str, secret_access_key: str,
                 signed_seconds: int) -> None:
        bucket, options = parse_store_url(url)
        endpoint = options.get("endpoint")
        self.store = S3Store(
            bucket, region=options.get("region", "us-east-1"), endpoint=endpoint,
            access_key_id=access_key_id or None, secret_access_key=secret_access_key or None,
            allow_http=bool(endpoint and endpoint.startswith("http://")),
            # Path-style (endpoint/bucket/key) unless asked: what MinIO and most S3-compatible
            # services expect; AWS takes both.
            virtual_hosted_style_request=options.get("virtual_hosted") == "true")
        self.signed = timedelta(seconds=signed_seconds)

    @staticmethod
    def _checked(key: str) -> str:
        if not KEY.fullmatch(key):
            raise ValueError("not a media key")
        return key

    async def put_bytes(self, key: str, data: bytes) -> None:
        await obstore.put_async(self.store, self._checked(key), data,
                                attributes={"Content-Type": _content_type(key)})

    async def put_file(self, key: str, source: Path) -> None:
        """Streamed from the file in parts; the temporary file is removed once stored."""
        try:
            await obstore.put_async(self.store, self._checked(key), source,
                                    attributes={"Content-Type": _content_type(key)})
        finally:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(source.unlink)

    async def delete(self, key: str) -> None:
        await obstore.delete_async(self.store, self._checked(key))  # a missing key is fine

    def response(self, key: str, content_type: str, headers: dict[str, str]) -> Response:
        url = obstore.sign(self.store, "GET", self._checked(key), self.signed)
        cache = headers.get("Cache-Control", "private, no-store")
        kept = re.search(r"max-age=(\d+)", cache)
        if cache.startswith("public") and kept:
            most = int(self.signed.total_seconds() // 2)
            cache = f"public, max-age={min(int(kept.group(1)), most)}"
        return RedirectResponse(url, status_code=302, headers={
            **headers, "Cache-Control": cache})


def _content_type(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
