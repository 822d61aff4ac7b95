"""What a front end meets at the edges: absolute media URLs (PUBLIC_URL, or the host asked),
the wall at /wall with an icon, and the IOC's export as a workbook a Vietnamese spreadsheet
opens with its types."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from bench.world import World, make_world
from models.enums import Status
from models.rules.calendar import TZ
from tests.api.test_uploads import photo, uploaded
from tests.frontend.conftest import AppMaker
from tests.support.api import Api

CITY = "https://phananh.hue.gov.vn"


async def test_media_urls_are_absolute(make_app: AppMaker):
    async with make_app(public_url=CITY) as app:
        api = Api(app)
        world = await make_world(app.state.deps)
        media = await uploaded(api, world.citizen.token, photo())
        assert media["url"].startswith(CITY + "/media/")
        assert media["thumbnailUrl"].startswith(CITY + "/media/")
        # The path is served by this server (the host part is the deployment's business).
        served = await api.client.get(media["url"].removeprefix(CITY),
                                      headers={"Authorization": f"Bearer {world.citizen.token}"})
        assert served.status_code == 200
        await api.client.aclose()


async def test_without_public_url_the_host_asked_is_used(api: Api, world: World):
    media = await uploaded(api, world.citizen.token, photo())
    assert media["url"].startswith("http://test/media/")


async def test_the_wall_is_at_wall_with_an_icon(api: Api):
    page = await api.client.get("/wall")
    assert page.status_code == 200  # not a redirect to /wall/
    assert 'href="/favicon.svg"' in page.text
    assert 'src="/wall/wall.js"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert (await api.client.get("/wall/")).status_code == 200
    documents = await api.client.get("/wall/documents.json")
    assert set(documents.json()) == {"START", "FIRST_PAGE", "FEED", "RANKING", "HEADLINE", "CHART"}
    ico = await api.client.get("/favicon.ico")
    assert ico.status_code == 200
    assert ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = await api.client.get("/favicon.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")


async def test_the_ioc_export_as_a_workbook_keeps_its_types(api: Api, world: World):
    report = await world.report(Status.RESOLVED, title="=HYPERLINK(\"http://x\",\"bấm\")")
    await world.report(Status.ASSIGNED)
    for token, status in ((None, 401), (world.citizen.token, 403)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        refused = await api.client.get("/export/reports.xlsx", headers=headers)
        assert refused.status_code == status
    answer = await api.client.get("/export/reports.xlsx?status=RESOLVED", headers={
        "Authorization": f"Bearer {world.ioc.token}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert answer.headers["cache-control"] == "private, no-store"
    book = load_workbook(io.BytesIO(answer.content))  # not read-only: formulas are visible
    sheet = book["Phản ánh"]
    rows = list(sheet.iter_rows(values_only=True))
    header, line = rows[0], rows[1]
    assert len(rows) == 2  # the filter applies
    row = dict(zip(header, line, strict=True))
    assert row["title"] == "=HYPERLINK(\"http://x\",\"bấm\")"  # text, not a formula
    cell = sheet.cell(row=2, column=header.index("title") + 1)
    assert cell.data_type == "s"
    assert isinstance(row["latitude"], float)
    assert isinstance(row["submitted_at"], datetime)
    assert row["submitted_at"] == report.submitted_at.astimezone(TZ).replace(tzinfo=None)
    assert row["status"] == "RESOLVED"
    assert row["on_time"] in (True, False)
    assert "reporter" not in header

