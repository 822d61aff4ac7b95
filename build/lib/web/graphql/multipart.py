"""The GraphQL multipart request (uploads), parsed as it streams in.

Starlette's form parser stores every file whole before anyone can look at it. Here each file's
first bytes decide its type, and with it its size limit, while it arrives: past the limit (or
when the type is not accepted) the rest of that file is read and thrown away, never stored, and
the mutation then answers with a VALIDATION error naming the limit. The whole body is capped
separately (web/middleware/body_limit.py: HTTP 413) so that nobody can stream forever.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from media.service import Incoming, UploadLimits
from media.sniff import HEAD_BYTES, sniff
from models.messages import t

MAX_FIELDS = 10


class MultipartInvalid(ValueError):
    """A malformed request (HTTP 400); the message is for the client."""


@dataclass
class Received(Incoming):
    """One uploaded file while it streams in."""

    head: bytes = b""
    _sniffed: bool = False
    _sink: IO[bytes] | None = field(default=None, repr=False)

    def discard(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


class _Parser:
    def __init__(self, limits: UploadLimits, incoming: Path, keep: list[Received]) -> None:
        self.keep = keep
        self.limits = limits
        self.incoming = incoming
        self.fields: dict[str, str] = {}
        self.files: dict[str, Received] = {}
        self._name = ""
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._data = bytearray()
        self._file: Received | None = None

    # python-multipart callbacks (synchronous; file writes go to the page cache)
    def on_part_begin(self) -> None:
        self._disposition, self._data, self._file = b"", bytearray(), None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise MultipartInvalid(t('Every part needs a Content-Disposition "name".'))
        self._name = options[b"name"].decode("utf-8", errors="replace")
        if b"filename" in options:  # the name itself is ignored: it may say anything
            if len(self.files) >= self.limits.max_files:
                raise MultipartInvalid(t("At most {count} files per request.",
                                         count=self.limits.max_files))
            path = self.incoming / f"{secrets.token_hex(16)}.upload"
            self._file = Received(path=path, _sink=path.open("wb"))
            self.files[self._name] = self._file
            self.keep.append(self._file)
        elif len(self.fields) >= MAX_FIELDS:
            raise MultipartInvalid(t("At most {max_fields} form fields.", max_fields=MAX_FIELDS))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        file = self._file
        if file is None:
            if len(self._data) + len(chunk) > self.limits.max_field_bytes:
                raise MultipartInvalid(
                    t("A form field is over {count} bytes.", count=self.limits.max_field_bytes))
            self._data += chunk
            return
        if file.refused is not None:
            return  # read and dropped
        if not file._sniffed:
            file.head = (file.head + chunk)[:HEAD_BYTES]
            if len(file.head) >= HEAD_BYTES:
                self._sniff(file)
        limit = self.limits.video_max_bytes
        name = "MEDIA_VIDEO_MAX_BYTES"
        if file.format is not None:
            limit, name = self.limits.for_format(file.format)
        if file.refused is None and file.size + len(chunk) > limit:
            file.refused = t("Videos are limited to {size} ({setting}).", size=_megabytes(limit),
                             setting=name) if file.format and file.format.is_video else t(
                "Images are limited to {size} ({setting}).", size=_megabytes(limit),
                setting=name)
        if file.refused is not None:
            file.discard()
            return
        assert file._sink is not None
        file._sink.write(chunk)
        file.size += len(chunk)

    def on_part_end(self) -> None:
        file = self._file
        if file is None:
            self.fields[self._name] = self._data.decode("utf-8", errors="replace")
            return
        if not file._sniffed and file.refused is None:
            self._sniff(file)
            if file.refused is not None:
                file.discard()
        if file._sink is not None:
            file._sink.close()
            file._sink = None

    def on_end(self) -> None:
        pass

    def _sniff(self, file: Received) -> None:
        file._sniffed = True
        file.format = sniff(file.head)
        if file.format is None:
            file.refused = t("Only JPEG, PNG, WebP or HEIC photos and MP4, MOV or WebM videos "
                             "are accepted (the type is read from the file's content).")


async def parse(request: Request, limits: UploadLimits, incoming: Path,
                keep: list[Received]) -> tuple[dict[str, str], dict[str, Received]]:
    """Fields and files of the request. Every file created is appended to `keep` at once, so
    the caller removes the temporary files whatever happens."""
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise MultipartInvalid(t("Missing multipart boundary."))
    state = _Parser(limits, incoming, keep)
    parser = MultipartParser(boundary, {
        "on_part_begin": state.on_part_begin, "on_part_data": state.on_part_data,
        "on_part_end": state.on_part_end, "on_header_field": state.on_header_field,
        "on_header_value": state.on_header_value, "on_header_end": state.on_header_end,
        "on_headers_finished": state.on_headers_finished, "on_end": state.on_end,
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartInvalid:
        raise
    except ValueError as error:  # python-multipart's own parse errors
        raise MultipartInvalid(t("Malformed multipart body.")) from error
    finally:
        for file in state.files.values():
            if file._sink is not None:
                file._sink.close()
                file._sink = None
    return state.fields, state.files
