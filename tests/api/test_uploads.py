"""Uploads through the HTTP endpoint: the type read from the content, limits while streaming,
metadata removed, thumbnails, who may fetch what, and the 24-hour cleanup."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image, TiffImagePlugin
from starlette.applications import Starlette

from bench.world import World, gid
from media.service import MediaService
from models.actions import handling, review
from models.enums import Status
from models.orm.reports import Media
from schema.relay import from_global_id
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.servers import need

UPLOAD = """mutation($file: Upload!) { uploadMedia(input: {file: $file}) {
  media { id url thumbnailUrl kind width height contentType sizeBytes }
  errors { code message field } } }"""
PREFLIGHT = {"Apollo-Require-Preflight": "true"}
GPS = 0x8825


def photo(size: tuple[int, int] = (640, 480), fmt: str = "JPEG", *, gps: bool = True,
          orientation: int | None = None) -> bytes:
    """A real photo as a phone would send it: GPS position, camera make and model, a comment."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1] // 4))  # a mark to check rotation
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 15 Pro"  # Model
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif.get_ifd(GPS).update({
            1: "N", 2: (TiffImagePlugin.IFDRational(16), TiffImagePlugin.IFDRational(27),
                        TiffImagePlugin.IFDRational(49)),
            3: "E", 4: (TiffImagePlugin.IFDRational(107), TiffImagePlugin.IFDRational(35),
                        TiffImagePlugin.IFDRational(27)),
        })
    out = io.BytesIO()
    extra: dict[str, Any] = {"exif": exif.tobytes()}
    if fmt == "JPEG":
        extra["comment"] = b"Nguyen Thi Bi Mat, 0912345678"
    image.save(out, fmt, **extra)
    return out.getvalue()


async def upload(api: Api, token: str | None, content: bytes, filename: str = "photo.jpg",
                 content_type: str = "image/jpeg", headers: dict[str, str] | None = None,
                 ) -> tuple[int, dict[str, Any]]:
    request_headers = dict(PREFLIGHT if headers is None else headers)
    if token:
        request_headers["Authorization"] = f"Bearer {token}"
    response = await api.client.post("/graphql", headers=request_headers, data={
        "operations": orjson.dumps({"query": UPLOAD, "variables": {"file": None}}).decode(),
        "map": orjson.dumps({"0": ["variables.file"]}).decode(),
    }, files={"0": (filename, content, content_type)})
    return response.status_code, response.json()


async def uploaded(api: Api, token: str, content: bytes, **kw: Any) -> dict[str, Any]:
    status, body = await upload(api, token, content, **kw)
    assert status == 200, body
    payload = body["data"]["uploadMedia"]
    assert payload["errors"] == [], payload["errors"]
    media: dict[str, Any] = payload["media"]
    return media


async def refused(api: Api, token: str, content: bytes, **kw: Any) -> dict[str, Any]:
    status, body = await upload(api, token, content, **kw)
    assert status == 200, body
    payload = body["data"]["uploadMedia"]
    assert payload["media"] is None
    error: dict[str, Any] = payload["errors"][0]
    assert error["code"] == "VALIDATION"
    assert error["field"] == "file"
    return error


async def fetch(api: Api, url: str, token: str | None = None) -> tuple[int, bytes, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.get(url, headers=headers)
    return response.status_code, response.content, response.headers


def stored_files(app: Starlette) -> list[Path]:
    service: MediaService = app.state.media
    root = service.incoming.parent
    return [p for p in root.rglob("*") if p.is_file()]


async def test_a_photo_comes_back_without_gps_or_any_metadata(api: Api, world: World):
    original = photo()
    assert b"iPhone" in original
    assert b"Bi Mat" in original
    media = await uploaded(api, world.citizen.token, original)
    assert media["kind"] == "IMAGE"
    assert media["contentType"] == "image/jpeg"
    assert (media["width"], media["height"]) == (640, 480)
    status, body, headers = await fetch(api, media["url"], world.citizen.token)
    assert status == 200
    assert headers["content-type"] == "image/jpeg"
    assert headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(body)) as clean:
        assert dict(clean.getexif()) == {}
        assert clean.getexif().get_ifd(GPS) == {}
        assert not {"exif", "comment", "icc_profile", "xmp"} & set(clean.info)
    for secret in (b"Exif", b"iPhone", b"Apple", b"Bi Mat", b"0912345678"):
        assert secret not in body
    status, thumb, headers = await fetch(api, media["thumbnailUrl"], world.citizen.token)
    assert status == 200
    assert headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(thumb)) as small:
        assert small.format == "WEBP"
        assert max(small.size) == 320


async def test_png_and_webp_keep_their_format_and_lose_their_metadata(api: Api, world: World):
    for fmt, content_type in (("PNG", "image/png"), ("WEBP", "image/webp")):
        original = photo(fmt=fmt)
        media = await uploaded(api, world.citizen.token, original, filename="x.jpg")
        assert media["contentType"] == content_type
        _, body, _ = await fetch(api, media["url"], world.citizen.token)
        assert b"iPhone" not in body
        assert b"Exif" not in body
        with Image.open(io.BytesIO(body)) as clean:
            assert clean.format == fmt
            assert dict(clean.getexif()) == {}


async def test_heic_becomes_a_jpeg(api: Api, world: World):
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 10)).save(out, "HEIF", exif=Image.Exif().tobytes())
    media = await uploaded(api, world.citizen.token, out.getvalue(), filename="IMG_0001.HEIC",
                           content_type="image/heic")
    assert media["contentType"] == "image/jpeg"
    assert (media["width"], media["height"]) == (300, 200)


async def test_the_exif_orientation_is_applied(api: Api, world: World):
    media = await uploaded(api, world.citizen.token, photo((640, 480), orientation=6))
    assert (media["width"], media["height"]) == (480, 640)  # turned upright, then forgotten
    _, body, _ = await fetch(api, media["url"], world.citizen.token)
    with Image.open(io.BytesIO(body)) as clean:
        assert clean.size == (480, 640)
        assert 0x0112 not in clean.getexif()
        red, _green, blue = clean.convert("RGB").getpixel((470, 10))  # type: ignore[misc]
        assert blue > 150
        assert red < 100


async def test_the_type_comes_from_the_content_not_the_name(api: Api, world: World):
    png_named_jpg = await uploaded(api, world.citizen.token, photo(fmt="PNG"),
                                   filename="photo.jpg", content_type="image/jpeg")
    assert png_named_jpg["contentType"] == "image/png"
    assert png_named_jpg["url"].split("?")[0].endswith(".png")
    error = await refused(api, world.citizen.token, b"just some text, not a film\n" * 10,
                          filename="clip.mp4", content_type="video/mp4")
    assert "MP4" in error["message"]
    assert "content" in error["message"]
    html = b"<html><script>alert(1)</script></html>" + b" " * 100
    await refused(api, world.citizen.token, html, filename="a.png", content_type="image/png")
    assert stored_files(api.app) != []  # the accepted PNG (and its thumbnail) only
    assert len(stored_files(api.app)) == 2


async def test_a_decompression_bomb_is_refused_before_decoding(api: Api, world: World):
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 megapixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    error = await refused(api, world.citizen.token, out.getvalue(), filename="bomb.png")
    assert "40 megapixels" in error["message"]
    assert "MEDIA_IMAGE_MAX_PIXELS" in error["message"]


async def test_a_damaged_image_is_refused(api: Api, world: World):
    error = await refused(api, world.citizen.token, photo()[:2000])
    assert "could not be read" in error["message"]


async def test_the_size_limit_holds_while_streaming(app: Starlette, api: Api, world: World):
    """A stream over the image limit is read but not stored past the limit: no file of it is
    left, and the answer names the limit."""
    service: MediaService = app.state.media
    limit = service.settings.image_max_bytes
    head = photo()

    class Watch:
        largest = 0

    async def body() -> AsyncIterator[bytes]:
        yield head
        sent = len(head)
        while sent < limit + 3 * 1024 * 1024:
            for path in stored_files(app):
                Watch.largest = max(Watch.largest, path.stat().st_size)
            yield b"\0" * 65536
            sent += 65536

    boundary = "xyzBOUNDARY"
    operations = orjson.dumps({"query": UPLOAD, "variables": {"file": None}}).decode()

    async def multipart() -> AsyncIterator[bytes]:
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n"
               f"{operations}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"map\""
               f"\r\n\r\n{{\"0\": [\"variables.file\"]}}\r\n--{boundary}\r\n"
               "Content-Disposition: form-data; name=\"0\"; filename=\"big.jpg\"\r\n"
               "Content-Type: image/jpeg\r\n\r\n").encode()
        async for chunk in body():
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await api.client.post("/graphql", content=multipart(), headers={
        **PREFLIGHT, "Authorization": f"Bearer {world.citizen.token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    payload = response.json()["data"]["uploadMedia"]
    assert payload["errors"][0]["code"] == "VALIDATION"
    assert "10 MB" in payload["errors"][0]["message"]
    assert "MEDIA_IMAGE_MAX_BYTES" in payload["errors"][0]["message"]
    assert Watch.largest <= limit
    assert stored_files(app) == []


async def test_a_body_over_the_upload_cap_is_cut_off(app: Starlette, api: Api, world: World):
    cap = app.state.settings.media_video_max_bytes + 1024 * 1024

    async def endless() -> AsyncIterator[bytes]:
        yield b"--b\r\nContent-Disposition: form-data; name=\"0\"; filename=\"v.mp4\"\r\n\r\n"
        for _ in range(cap // 1_000_000 + 5):
            yield b"\0" * 1_000_000

    response = await api.client.post("/graphql", content=endless(), headers={
        **PREFLIGHT, "Authorization": f"Bearer {world.citizen.token}",
        "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert stored_files(app) == []


async def test_uploads_need_a_preflight_header_and_a_signed_in_user(api: Api, world: World):
    status, body = await upload(api, world.citizen.token, photo(), headers={})
    assert status == 400
    assert "Apollo-Require-Preflight" in body["errors"][0]["message"]
    status, body = await upload(api, None, photo())
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    status, body = await upload(api, "not-a-token", photo())
    assert status == 401
    assert body["errors"][0]["extensions"]["reason"] == "TOKEN_INVALID"
    assert stored_files(api.app) == []


async def test_too_many_files_in_one_request(api: Api, world: World):
    files = {str(i): (f"{i}.jpg", photo(), "image/jpeg") for i in range(7)}
    response = await api.client.post("/graphql", headers={
        **PREFLIGHT, "Authorization": f"Bearer {world.citizen.token}"}, data={
        "operations": orjson.dumps({"query": UPLOAD, "variables": {"file": None}}).decode(),
        "map": orjson.dumps({str(i): ["variables.file"] for i in range(7)}).decode(),
    }, files=files)
    assert response.status_code == 400
    assert "At most 6 files" in response.text


SUBMIT = """mutation($ids: [ID!]) { submitReport(input: {description: "Cống tràn nước thải",
  mediaIds: $ids}) { report { id media { url thumbnailUrl } } errors { code field } } }"""
RESULT = """mutation($id: ID!, $ids: [ID!]) { submitResult(input: {id: $id,
  text: "Đã nạo vét cống", mediaIds: $ids}) { report { id } errors { code field } } }"""
REPORT_MEDIA = """query($id: ID!) { report(id: $id) { media { url } result { media { url } } } }"""


async def test_media_follow_the_report_s_visibility(api: Api, world: World, app: Starlette):
    media = await uploaded(api, world.citizen.token, photo())
    # Not attached yet: its owner only (and the IOC).
    assert (await fetch(api, media["url"].split("?")[0]))[0] == 404
    assert (await fetch(api, media["url"].split("?")[0], world.other_citizen.token))[0] == 404
    assert (await fetch(api, media["url"].split("?")[0], world.citizen.token))[0] == 200
    assert (await fetch(api, media["url"].split("?")[0], world.ioc.token))[0] == 200
    assert (await fetch(api, media["url"]))[0] == 200  # the signed URL works without a token
    data = await api.gql(SUBMIT, {"ids": [media["id"]]}, world.citizen.token)
    report_id = data["submitReport"]["report"]["id"]
    url = data["submitReport"]["report"]["media"][0]["url"]
    assert "signature=" in url  # pending review: not public
    assert (await fetch(api, url.split("?")[0]))[0] == 404
    assert (await fetch(api, url.split("?")[0], world.staff_a.token))[0] == 404
    assert (await fetch(api, url.replace("signature=", "signature=0")))[0] == 404
    status, _, headers = await fetch(api, url)
    assert (status, headers["cache-control"]) == (200, "private, no-store")
    # Once public, a plain URL for everyone, cacheable for a few minutes only: the report can
    # go back to review (its agency declines it), and its media are private again.
    await review.assign_report(world.deps, world.ioc.viewer, from_global_id(report_id)[1],
                                 world.agency_a.id)
    data = await api.gql(REPORT_MEDIA, {"id": report_id})
    public_url = data["report"]["media"][0]["url"]
    assert "signature" not in public_url
    status, _, headers = await fetch(api, public_url)
    assert (status, headers["cache-control"]) == (200, "public, max-age=300")
    await handling.decline_report(world.deps, world.staff_a.viewer,
                                  from_global_id(report_id)[1], "Sai đơn vị.")
    assert (await fetch(api, public_url))[0] == 404


async def test_result_media_is_public_once_published(api: Api, world: World):
    report = await world.report(Status.IN_PROGRESS)
    media = await uploaded(api, world.staff_a.token, photo())
    data = await api.gql(RESULT, {"id": gid("Report", report.id), "ids": [media["id"]]},
                         world.staff_a.token)
    assert data["submitResult"]["errors"] == []
    plain = media["url"].split("?")[0]
    assert (await fetch(api, plain))[0] == 404  # not published yet
    assert (await fetch(api, plain, world.staff_a.token))[0] == 200
    assert (await fetch(api, plain, world.staff_b.token))[0] == 404
    await review.publish_result(world.deps, world.ioc.viewer, report.id)
    assert (await fetch(api, plain))[0] == 200


async def test_foreign_or_excess_media_cannot_be_attached(api: Api, world: World):
    mine = await uploaded(api, world.citizen.token, photo())
    data = await api.gql(SUBMIT, {"ids": [mine["id"]]}, world.other_citizen.token)
    assert data["submitReport"]["errors"][0]["code"] == "NOT_FOUND"
    seven = [mine["id"]] + [(await uploaded(api, world.citizen.token, photo()))["id"]
                            for _ in range(6)]
    data = await api.gql(SUBMIT, {"ids": seven}, world.citizen.token)
    assert data["submitReport"]["errors"][0]["code"] == "VALIDATION"


async def test_unattached_uploads_are_deleted_after_24_hours(
    app: Starlette, api: Api, world: World, clock: FakeClock
):
    service: MediaService = app.state.media
    kept = await uploaded(api, world.citizen.token, photo())
    dropped = await uploaded(api, world.citizen.token, photo())
    await api.gql(SUBMIT, {"ids": [kept["id"]]}, world.citizen.token)
    assert len(stored_files(app)) == 4
    assert await service.clean_unattached(clock.now + timedelta(hours=23)) == 0
    assert await service.clean_unattached(clock.now + timedelta(hours=25)) == 1
    assert len(stored_files(app)) == 2
    assert await Media.all().count() == 1
    assert (await fetch(api, dropped["url"]))[0] == 404


def make_video(tmp: Path, name: str, *args: str) -> bytes:
    if shutil.which("ffmpeg") is None:
        need("ffmpeg (Debian package ffmpeg)")
    path = tmp / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=10", "-t", "1", *args,
                    "-metadata", "location=+16.4637+107.5909/",
                    "-metadata", "comment=iPhone 15 Pro", str(path)], check=True)
    return path.read_bytes()


def probe_tags(data: bytes, tmp: Path) -> dict[str, Any]:
    path = tmp / "probe.bin"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags",
                          "-of", "json", str(path)], check=True, capture_output=True).stdout
    parsed: dict[str, Any] = orjson.loads(out)
    return parsed


@pytest.mark.parametrize(("name", "args", "content_type"), [
    ("clip.mp4", ["-c:v", "mpeg4"], "video/mp4"),
    ("clip.mov", ["-c:v", "mpeg4", "-f", "mov"], "video/quicktime"),
    ("clip.webm", ["-c:v", "libvpx", "-f", "webm"], "video/webm"),
])
async def test_videos_lose_their_metadata_and_get_a_poster(
    api: Api, world: World, tmp_path: Path, name: str, args: list[str], content_type: str
):
    original = make_video(tmp_path, name, *args)
    assert "location" in str(probe_tags(original, tmp_path)) or b"16.4637" in original
    media = await uploaded(api, world.citizen.token, original, filename="x.bin",
                           content_type="application/octet-stream")
    assert media["kind"] == "VIDEO"
    assert media["contentType"] == content_type
    assert (media["width"], media["height"]) == (160, 120)
    _, body, headers = await fetch(api, media["url"], world.citizen.token)
    assert headers["content-type"] == content_type
    tags = str(probe_tags(body, tmp_path))
    for secret in ("16.4637", "iPhone", "location"):
        assert secret not in tags
    assert b"16.4637" not in body
    assert b"iPhone" not in body
    _, poster, _ = await fetch(api, media["thumbnailUrl"], world.citizen.token)
    with Image.open(io.BytesIO(poster)) as frame:
        assert frame.format == "WEBP"


async def test_without_ffmpeg_videos_are_refused(app: Starlette, api: Api, world: World,
                                                 tmp_path: Path):
    from dataclasses import replace

    original = make_video(tmp_path, "clip.mp4", "-c:v", "mpeg4")
    service: MediaService = app.state.media
    service.settings = replace(service.settings, ffmpeg="/nonexistent/ffmpeg")
    error = await refused(api, world.citizen.token, original, filename="clip.mp4")
    assert "ffmpeg" in error["message"]
    assert stored_files(app) == []
