"""The README's curl upload example, run as written against a real server (curl over loopback:
a real multipart body, streamed by a real client)."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import orjson
import pytest
from PIL import Image

from bench.world import World
from tests.live.conftest import Live
from tests.support.servers import need

README = Path(__file__).resolve().parents[2] / "README.md"


def curl_example() -> str:
    section = README.read_text(encoding="utf-8").split("## Photos and videos", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block
    return block.group(1)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_readme_curl_upload_works(live: Live, world: World, tmp_path: Path):
    if shutil.which("curl") is None:
        need("curl (Debian package curl)")
    Image.new("RGB", (800, 600), (30, 90, 160)).save(tmp_path / "pho-co-hue.jpg")
    script = curl_example().replace("http://127.0.0.1:8000", live.http)
    script = script.replace("TOKEN=...", f"TOKEN={world.citizen.token}")
    process = await asyncio.create_subprocess_shell(
        script, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err
    payload = orjson.loads(out)["data"]["uploadMedia"]
    assert payload["errors"] == []
    assert payload["media"]["url"].startswith(live.http + "/media/")  # absolute
