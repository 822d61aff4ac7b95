"""Where media files live. The rest of the code sees only this interface: another store (an
S3-compatible bucket) implements the same four methods, answering `response` with a redirect to
a short-lived signed URL of its own instead of streaming the file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from starlette.responses import FileResponse, Response

# Keys are made here, never taken from a request: two random hex characters fan files out
# over 256 directories.
KEY = re.compile(r"[0-9a-f]{2}/[A-Za-z0-9_-]{22}(?:_t)?\.(?:jpg|png|webp|mp4|mov|webm)")


def new_key(extension: str) -> str:
    token = secrets.token_urlsafe(16)  # 22 characters, 128 bits
    return f"{secrets.token_hex(1)}/{token}.{extension}"


def thumbnail_key(key: str) -> str:
    return key.rsplit(".", 1)[0] + "_t.webp"


class Storage(Protocol):
    async def put_bytes(self, key: str, data: bytes) -> None: ...

    async def put_file(self, key: str, source: Path) -> None:
        """Take over a finished temporary file (moved, not copied, where possible)."""

    async def delete(self, key: str) -> None: ...

    def response(self, key: str, content_type: str, headers: dict[str, str]) -> Response: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise ValueError("not a media key")
        return self.root / key

    async def put_bytes(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    async def put_file(self, key: str, source: Path) -> None:
        target = self.path(key)
        target.parent.mkdir(exist_ok=True)
        await asyncio.to_thread(os.replace, source, target)

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path(key).unlink)

    def response(self, key: str, content_type: str, headers: dict[str, str]) -> Response:
        return FileResponse(self.path(key), media_type=content_type, headers=headers)

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        """Write then rename: a reader never sees half a file."""
        target.parent.mkdir(exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(data)
        os.replace(partial, target)
