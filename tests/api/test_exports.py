"""Open data exports, parsed back: GeoJSON for everyone (public reports only), CSV for the IOC
(UTF-8 with a BOM), both without personal data and filterable like `reports`."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from bench.world import World, gid
from models.enums import Status
from tests.api.test_maps import CENTRE, offset
from tests.support.api import Api


async def test_geojson_has_public_reports_only_and_no_personal_data(api: Api, world: World):
    public = await world.report(Status.ASSIGNED, place=offset(*CENTRE, 100, 0),
                                description="Đèn đường hỏng trước số 5 Lê Lợi")
    await world.report(Status.PENDING_REVIEW)  # not public yet
    await world.report(Status.REJECTED)
    nowhere = await world.report(Status.RESOLVED, place=None)
    response = await api.client.get("/export/reports.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    data = orjson.loads(response.content)
    assert data["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in data["features"]}
    assert set(by_id) == {gid("Report", public.id), gid("Report", nowhere.id)}
    feature = by_id[gid("Report", public.id)]
    lon, lat = feature["geometry"]["coordinates"]
    assert (lat, lon) == pytest.approx(offset(*CENTRE, 100, 0))
    props = feature["properties"]
    assert props["description"] == "Đèn đường hỏng trước số 5 Lê Lợi"
    assert props["category"] == world.category.name
    assert props["status"] == "ASSIGNED"
    assert props["submittedAt"].endswith("+07:00")
    assert by_id[gid("Report", nowhere.id)]["geometry"] is None
    text = response.content.decode()
    for personal in (world.citizen.name, world.citizen.phone, "reporter", "originalDescription"):
        assert personal not in text


async def test_geojson_filters_like_reports(api: Api, world: World):
    near = await world.report(Status.ASSIGNED, place=offset(*CENTRE, 50, 0),
                              description="Cây đổ chắn đường")
    far = await world.report(Status.ASSIGNED, place=offset(*CENTRE, 5000, 0),
                             description="Cây đổ chắn đường")
    other = await world.report(Status.ASSIGNED, place=offset(*CENTRE, 60, 0),
                               description="Rác ùn ứ")

    async def ids(query: str) -> set[str]:
        response = await api.client.get(f"/export/reports.geojson?{query}")
        assert response.status_code == 200, response.text
        return {f["id"] for f in orjson.loads(response.content)["features"]}

    assert await ids(f"near={CENTRE[0]},{CENTRE[1]},500") == {gid("Report", near.id),
                                                              gid("Report", other.id)}
    assert await ids(f"near={CENTRE[0]},{CENTRE[1]},500&text=cay do") == {gid("Report", near.id)}
    assert gid("Report", far.id) in await ids("status=ASSIGNED,RESOLVED")
    assert await ids("status=RESOLVED") == set()
    box = f"{CENTRE[0] + 0.02},{CENTRE[1] - 0.01},{CENTRE[0] + 0.06},{CENTRE[1] + 0.01}"
    assert await ids(f"bbox={box}") == {gid("Report", far.id)}


@pytest.mark.parametrize(("query", "field"), [
    ("near=1,2", "near"), ("near=91,0,10", "filter.near.latitude"), ("bbox=a,b,c,d", "bbox"),
    ("status=OPEN", "status"), ("submittedAfter=yesterday", "submittedAfter"),
    ("categoryId=nope", "categoryId"), ("colour=red", "colour"), ("overdue=maybe", "overdue"),
])
async def test_bad_export_parameters_are_400(api: Api, world: World, query: str, field: str):
    response = await api.client.get(f"/export/reports.geojson?{query}")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION"
    assert error["extensions"]["field"] == field


async def test_csv_is_for_the_ioc_with_a_bom_and_every_report(api: Api, world: World):
    pending = await world.report(Status.PENDING_REVIEW, description="Xả thải ra sông Hương")
    resolved = await world.report(Status.RESOLVED)
    for token, status in ((None, 401), (world.citizen.token, 403), (world.staff_a.token, 403)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        assert (await api.client.get("/export/reports.csv", headers=headers)).status_code == status
    response = await api.client.get("/export/reports.csv",
                                    headers={"Authorization": f"Bearer {world.ioc.token}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {gid("Report", pending.id), gid("Report", resolved.id)}
    assert by_id[gid("Report", pending.id)]["description"] == "Xả thải ra sông Hương"
    assert by_id[gid("Report", resolved.id)]["agency"] == world.agency_a.name
    assert by_id[gid("Report", resolved.id)]["code"].startswith("PA-2026-")
    assert world.citizen.phone not in response.text
    assert world.citizen.name not in response.text


async def test_exports_stream_many_batches(api: Api, world: World, monkeypatch: pytest.MonkeyPatch):
    from web.exports import source

    monkeypatch.setattr(source, "BATCH", 3)
    made = {gid("Report", (await world.report(Status.ASSIGNED, description=f"Phản ánh {i}")).id)
            for i in range(10)}
    response = await api.client.get("/export/reports.geojson")
    assert {f["id"] for f in orjson.loads(response.content)["features"]} == made
    response = await api.client.get("/export/reports.csv",
                                    headers={"Authorization": f"Bearer {world.ioc.token}"})
    ids = [r["id"] for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))]
    assert sorted(ids) == sorted(made)
    assert len(ids) == 10
