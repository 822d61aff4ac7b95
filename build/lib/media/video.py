"""Videos: copied into a new container with no metadata (GPS, device, dates, chapters, data
tracks such as timed GPS) by ffmpeg, without re-encoding, and a poster frame for the thumbnail.

Without ffmpeg a video cannot be cleaned, so it is refused rather than published as it came.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from media.images import poster_thumbnail
from media.sniff import Format
from models.messages import t

TIMEOUT_SECONDS = 120.0
_OUTPUT = {Format.MP4: ("mp4", "video/mp4", "mp4"), Format.MOV: ("mov", "video/quicktime", "mov"),
           Format.WEBM: ("webm", "video/webm", "webm")}


class VideoRefused(ValueError):
    """The message is for the uploader."""


@dataclass(frozen=True)
class CleanVideo:
    path: Path
    content_type: str
    extension: str
    width: int
    height: int
    thumbnail: bytes  # WebP of the first frame


def available(ffmpeg: str) -> bool:
    return bool(ffmpeg) and shutil.which(ffmpeg) is not None


async def _run(*argv: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            out, err = await process.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        detail = RuntimeError(err.decode(errors="replace")[-500:])
        raise VideoRefused(t("The video could not be read (damaged, or a codec this server "
                             "cannot copy).")) from detail
    return out


async def clean_video(ffmpeg: str, source: Path, fmt: Format, target: Path) -> CleanVideo:
    if not available(ffmpeg):
        raise VideoRefused(t("Video uploads are not available on this server: it has no "
                             "ffmpeg to remove the video's metadata (location, device)."))
    muxer, content_type, extension = _OUTPUT[fmt]
    flags = ["-movflags", "+faststart"] if muxer in ("mp4", "mov") else []
    await _run(
        ffmpeg, "-v", "error", "-nostdin", "-y", "-i", str(source),
        "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
        # -1 maps nothing: global, per-stream and chapter metadata are all dropped.
        "-map_metadata", "-1", "-map_metadata:s:v", "-1", "-map_metadata:s:a", "-1",
        "-map_chapters", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-flags:a", "+bitexact", *flags, "-f", muxer, str(target),
    )
    png = await _run(ffmpeg, "-v", "error", "-nostdin", "-i", str(target), "-frames:v", "1",
                     "-f", "image2pipe", "-c:v", "png", "-")
    thumbnail, width, height = await asyncio.to_thread(poster_thumbnail, png)
    return CleanVideo(target, content_type, extension, width, height, thumbnail)
