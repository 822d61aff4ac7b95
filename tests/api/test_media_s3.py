"""Media in an S3-compatible bucket (media/s3.py) against a real S3 server (moto's, started by
the tests): uploads stored in the bucket, `/media/...` deciding who may see a file and then
redirecting to a signed URL of the store, cleanup deleting from the bucket."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from bench.servers import Server
from bench.world import World
from media.service import MediaService
from models.actions import review
from schema.relay import from_global_id
from tests.api.test_uploads import (
    REPORT_MEDIA,
    SUBMIT,
    fetch,
    make_video,
    photo,
    stored_files,
    uploaded,
)
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.servers import start_s3
from web.settings import Settings

_buckets = itertools.count(1)


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_s3(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture
def bucket(s3: Server) -> str:
    name = f"media-{next(_buckets)}"
    assert httpx.put(f"{s3.url}/{name}").status_code == 200  # create the bucket
    return name


@pytest.fixture
def settings(database_url: str, tmp_path: Path, s3: Server, bucket: str) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=0, figures_cache_seconds=0,
                    media_dir=str(tmp_path / "media"), media_cleanup_interval_seconds=0,
                    media_store=f"s3://{bucket}?endpoint={s3.url}&region=us-east-1",
                    media_s3_access_key_id="test", media_s3_secret_access_key="test",
                    media_signed_url_seconds=120)


def in_bucket(s3: Server, bucket: str) -> list[str]:
    listing = httpx.get(f"{s3.url}/{bucket}?list-type=2").text
    return sorted(part.split("</Key>")[0] for part in listing.split("<Key>")[1:])


async def follow(api: Api, url: str, token: str | None = None) -> httpx.Response:
    """What a browser does: ask the API, then fetch where it redirects."""
    status, _, headers = await fetch(api, url, token)
    assert status == 302, status
    assert headers["location"].startswith("http://127.0.0.1:")
    assert "X-Amz-Signature=" in headers["location"]
    async with httpx.AsyncClient() as client:
        return await client.get(headers["location"])


async def test_photos_go_to_the_bucket_and_come_back_signed(
    app: Starlette, api: Api, world: World, s3: Server, bucket: str
):
    media = await uploaded(api, world.citizen.token, photo())
    assert stored_files(app) == []  # nothing on this machine's disk
    keys = in_bucket(s3, bucket)
    assert len(keys) == 2  # the photo and its thumbnail
    plain = media["url"].split("?")[0]
    # Not attached yet: its owner only; nobody else gets even a redirect.
    assert (await fetch(api, plain))[0] == 404
    assert (await fetch(api, plain, world.other_citizen.token))[0] == 404
    got = await follow(api, plain, world.citizen.token)
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/jpeg"
    assert got.content[:3] == b"\xff\xd8\xff"
    assert b"iPhone" not in got.content  # the cleaned file, not the upload
    _, _, headers = await fetch(api, plain, world.citizen.token)
    assert headers["cache-control"] == "private, no-store"
    thumbnail = await follow(api, media["thumbnailUrl"], world.citizen.token)
    assert thumbnail.headers["content-type"] == "image/webp"


async def test_public_media_redirect_is_cached_less_than_the_signature_lives(
    api: Api, world: World
):
    media = await uploaded(api, world.citizen.token, photo())
    data = await api.gql(SUBMIT, {"ids": [media["id"]]}, world.citizen.token)
    report_id = data["submitReport"]["report"]["id"]
    await review.assign_report(world.deps, world.ioc.viewer, from_global_id(report_id)[1],
                               world.agency_a.id)
    public_url = (await api.gql(REPORT_MEDIA, {"id": report_id}))["report"]["media"][0]["url"]
    status, _, headers = await fetch(api, public_url)
    assert status == 302
    assert headers["cache-control"] == "public, max-age=60"  # half of the 120 s signature
    assert (await follow(api, public_url)).status_code == 200


async def test_cleanup_deletes_from_the_bucket(
    app: Starlette, api: Api, world: World, clock: FakeClock, s3: Server, bucket: str
):
    service: MediaService = app.state.media
    kept = await uploaded(api, world.citizen.token, photo())
    dropped = await uploaded(api, world.citizen.token, photo())
    signed = (await fetch(api, dropped["url"].split("?")[0], world.citizen.token))[2]["location"]
    await api.gql(SUBMIT, {"ids": [kept["id"]]}, world.citizen.token)
    assert len(in_bucket(s3, bucket)) == 4
    assert await service.clean_unattached(clock.now + timedelta(hours=25)) == 1
    assert len(in_bucket(s3, bucket)) == 2
    async with httpx.AsyncClient() as client:  # gone from the bucket, not only the table
        assert (await client.get(signed)).status_code == 404


async def test_videos_are_streamed_to_the_bucket(
    app: Starlette, api: Api, world: World, tmp_path: Path, s3: Server, bucket: str
):
    original = make_video(tmp_path, "clip.mp4", "-c:v", "mpeg4")
    media = await uploaded(api, world.citizen.token, original, filename="clip.mp4",
                           content_type="video/mp4")
    got = await follow(api, media["url"].split("?")[0], world.citizen.token)
    assert got.headers["content-type"] == "video/mp4"
    assert len(got.content) == media["sizeBytes"]
    assert b"16.4637" not in got.content
    assert stored_files(app) == []  # the cleaned temporary file did not stay behind
