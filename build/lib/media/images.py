"""Photos: refuse what is too big to decode, turn them upright, and re-encode them from bare
pixels, so nothing of the original file but its picture is published (no EXIF, GPS, XMP, ICC,
comments or maker notes), plus a small WebP thumbnail.

CPU-bound: callers run it in a worker thread (media/service.py bounds how many at once).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from media.sniff import Format
from models.messages import t

pillow_heif.register_heif_opener()
# Pillow's own bomb check warns (and, twice over its limit, fails) inside Image.open; we make
# a stricter, configurable check right after opening, before any pixel is decoded.
Image.MAX_IMAGE_PIXELS = None

THUMBNAIL_PX = 320
_PILLOW_FORMAT = {Format.JPEG: "JPEG", Format.PNG: "PNG", Format.WEBP: "WEBP", Format.HEIC: "HEIF"}
# What each input is published as: browsers cannot show HEIC, so it becomes JPEG.
_OUTPUT = {Format.JPEG: ("JPEG", "image/jpeg", "jpg"), Format.PNG: ("PNG", "image/png", "png"),
           Format.WEBP: ("WEBP", "image/webp", "webp"), Format.HEIC: ("JPEG", "image/jpeg", "jpg")}


class ImageRefused(ValueError):
    """The message is for the uploader."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    thumbnail: bytes  # WebP


def _bare(image: Image.Image, keep_alpha: bool) -> Image.Image:
    """A new image holding only the pixels: no info dict, no EXIF, no palette tricks."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if keep_alpha and has_alpha:
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def thumbnail_of(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=80)
    return out.getvalue()


def clean_image(path: Path, fmt: Format, max_pixels: int) -> CleanImage:
    try:
        with Image.open(path, formats=[_PILLOW_FORMAT[fmt]]) as opened:
            width, height = opened.size
            if width * height > max_pixels:
                limit, pixels = format(max_pixels / 1e6, "g"), format(width * height / 1e6,
                                                                       ".1f")
                raise ImageRefused(t(
                    "Images are limited to {limit} megapixels (MEDIA_IMAGE_MAX_PIXELS); this "
                    "one has {pixels}.", limit=limit, pixels=pixels))
            opened.seek(0)  # animated PNG/WebP: the first frame only
            upright = ImageOps.exif_transpose(opened)
            pillow_format, content_type, extension = _OUTPUT[fmt]
            bare = _bare(upright, keep_alpha=pillow_format != "JPEG")
    except ImageRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ImageRefused(t("The image could not be read (damaged or not really an "
                             "image).")) from error
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 85} if pillow_format in ("JPEG", "WEBP") else {}
    bare.save(out, pillow_format, **options)
    return CleanImage(out.getvalue(), content_type, extension, bare.width, bare.height,
                      thumbnail_of(bare))


def poster_thumbnail(png: bytes) -> tuple[bytes, int, int]:
    """A video's first frame (as ffmpeg wrote it) as a thumbnail, with the frame's size."""
    with Image.open(io.BytesIO(png), formats=["PNG"]) as frame:
        bare = _bare(frame, keep_alpha=False)
    return thumbnail_of(bare), bare.width, bare.height
