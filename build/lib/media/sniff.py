"""The type of an upload, read from its first bytes: never from its name or declared type."""

from __future__ import annotations

import enum

HEAD_BYTES = 64  # enough for every signature below


class Format(enum.Enum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    HEIC = "heic"
    MP4 = "mp4"
    MOV = "mov"
    WEBM = "webm"

    @property
    def is_video(self) -> bool:
        return self in (Format.MP4, Format.MOV, Format.WEBM)


# ISO base media file brands (the `ftyp` box): HEIF stills, QuickTime, and MP4 flavours.
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_MOV_BRANDS = {b"qt  "}
_MP4_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42",
               b"avc1", b"dash", b"M4V ", b"MSNV", b"3gp4", b"3gp5", b"3g2a"}
_AVIF_BRANDS = {b"avif", b"avis"}


def _ftyp(head: bytes) -> Format | None:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    brands = {major} | compatible
    if major in _AVIF_BRANDS:
        return None  # AVIF: not accepted (yet)
    if major in _HEIC_BRANDS or (brands & _HEIC_BRANDS and not brands & _MP4_BRANDS):
        return Format.HEIC
    if major in _MOV_BRANDS:
        return Format.MOV
    if brands & _MP4_BRANDS:
        return Format.MP4
    return None


def sniff(head: bytes) -> Format | None:
    """The format, or None when it is none of those accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return Format.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Format.PNG
    if head[0:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Format.WEBP
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:HEAD_BYTES]:
        return Format.WEBM  # EBML with DocType "webm" (Matroska in general is not accepted)
    found = _ftyp(head)
    if found is not None:
        return found
    # Old QuickTime files may start with another atom before (or instead of) `ftyp`.
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip") and len(head) >= 8:
        return Format.MOV
    return None
