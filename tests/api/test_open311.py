"""Open311 GeoReport v2 under /open311/v2/: the mapping, filters, partner keys, errors, and both
formats (the XML parsed back), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree as ET

from bench.world import World, gid
from models.enums import Channel, Status
from models.orm.reports import Media, Report, ReportEvent
from models.rules.calendar import TZ
from schema.relay import decode_id
from tests.api.test_uploads import photo, uploaded
from tests.support.api import Api, count_queries
from tests.support.clock import FakeClock

V2 = "/open311/v2"
ISSUE = """mutation($input: IssueApiKeyInput!) { issueApiKey(input: $input) {
  key apiKey { id name user { displayName } revokedAt } errors { code field message } } }"""
REVOKE = """mutation($id: ID!) { revokeApiKey(input: {id: $id}) {
  apiKey { revokedAt } errors { code } } }"""


async def get(api: Api, path: str, **params: Any) -> Any:
    response = await api.client.get(V2 + path, params=params)
    assert response.status_code == 200, response.text
    return response.json() if path.endswith(".json") else ET.fromstring(response.content)


async def refused(api: Api, path: str, status: int, method: str = "GET", **kw: Any) -> str:
    response = await api.client.request(method, V2 + path, **kw)
    assert response.status_code == status, response.text
    if path.endswith(".xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        assert root.findtext("error/code") == str(status)
        return root.findtext("error/description") or ""
    [problem] = response.json()
    assert problem["code"] == status
    description: str = problem["description"]
    return description


async def issue_key(api: Api, world: World) -> str:
    data = await api.gql(ISSUE, {"input": {"userId": gid("User", world.other_citizen.id),
                                           "name": "Ứng dụng đối tác"}}, world.admin.token)
    payload = data["issueApiKey"]
    assert payload["errors"] == []
    key: str = payload["key"]
    return key


async def test_discovery_and_services_in_both_formats(api: Api, world: World):
    discovery = await get(api, "/discovery.json")
    [endpoint] = discovery["endpoints"]
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    xml = await get(api, "/discovery.xml")
    assert xml.findall("endpoints/endpoint/formats/format")[1].text == "application/json"

    services = {s["service_code"]: s for s in await get(api, "/services.json")}
    assert services["DVCI"]["group"] == "Doanh nghiệp"  # utilities go to companies
    assert services["VSMT"] == {"service_code": "VSMT", "service_name": "Vệ sinh môi trường",
                                "description": "Vệ sinh môi trường", "metadata": False,
                                "type": "realtime", "keywords": "", "group": "Cơ quan nhà nước"}
    as_xml = await get(api, "/services.xml")
    assert {s.findtext("service_code") for s in as_xml.findall("service")} == set(services)
    assert as_xml.find("service/metadata").text == "false"
    definition = await get(api, "/services/vsmt.json")
    assert definition == {"service_code": "VSMT", "attributes": []}
    assert "service_code" in await refused(api, "/services/NOPE.json", 404)
    assert await refused(api, "/services.yaml", 404)


async def test_a_request_shows_the_public_story_and_nothing_personal(
    api: Api, world: World, clock: FakeClock
):
    media = await uploaded(api, world.citizen.token, photo())
    report = await world.report(Status.IN_PROGRESS)
    await Media.filter(id=decode_id(media["id"], "Media")).update(report_id=report.id)
    [open_one] = await get(api, f"/requests/{_code(report)}.json")
    assert open_one["status"] == "open"
    assert open_one["status_notes"] is None
    assert open_one["agency_responsible"] == world.agency_a.name
    assert open_one["service_code"] == world.category.code
    assert open_one["requested_datetime"] == report.submitted_at.astimezone(TZ).isoformat(
        timespec="seconds")
    assert open_one["requested_datetime"].endswith("+07:00")
    assert open_one["expected_datetime"] == report.due_at.astimezone(TZ).isoformat(
        timespec="seconds")
    assert open_one["media_url"].startswith("http://test/media/")
    picture = await api.client.get(open_one["media_url"])
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/jpeg"
    assert (open_one["lat"], open_one["long"]) == (report.latitude, report.longitude)
    text = str(open_one)
    for secret in (world.citizen.phone, "Nguyễn Thị Bí Mật", "reporter", "phone"):
        assert secret not in text

    resolved = await world.report(Status.RESOLVED)
    [closed] = await get(api, f"/requests/{_code(resolved)}.xml")
    assert closed.findtext("status") == "closed"
    assert closed.findtext("status_notes") == "Đã thu gom rác và vệ sinh khu vực."
    pending = await world.report(Status.PENDING_REVIEW)
    assert "No such" in await refused(api, f"/requests/{_code(pending)}.json", 404)
    wrong_year = _code(resolved).replace("PA-2026", "PA-2019")
    await refused(api, f"/requests/{wrong_year}.json", 404)


async def test_request_filters_defaults_and_pages(api: Api, world: World, clock: FakeClock):
    old = await world.report(Status.ASSIGNED)
    clock.advance(days=100)
    other = await world.report(Status.ASSIGNED, category_id=1)
    recent = [await world.report(Status.RESOLVED) for _ in range(3)]
    codes = [_code(r) for r in reversed(recent)]
    everything = await get(api, "/requests.json")  # the last 90 days, newest first
    assert [r["service_request_id"] for r in everything] == [*codes, _code(other)]
    assert _code(old) not in str(everything)
    by_id = await get(api, "/requests.json", service_request_id=f"{_code(old)},{codes[0]}")
    assert {r["service_request_id"] for r in by_id} == {_code(old), codes[0]}
    mine = await get(api, "/requests.json", service_code=world.category.code)
    assert [r["service_request_id"] for r in mine] == codes
    assert await get(api, "/requests.json", status="open") == [everything[-1]]
    assert len(await get(api, "/requests.json", status="open,closed")) == 4
    first = await get(api, "/requests.json", page_size=2)
    second = await get(api, "/requests.json", page_size=2, page=2)
    assert [r["service_request_id"] for r in first + second] == [*codes, _code(other)]
    start = old.submitted_at - timedelta(days=1)
    window = await get(api, "/requests.json", start_date=start.isoformat(),
                       end_date=(start + timedelta(days=2)).isoformat())
    assert [r["service_request_id"] for r in window] == [_code(old)]
    z = start.astimezone(TZ).strftime("%Y-%m-%dT%H:%M:%S")  # no offset: Huế time
    assert len(await get(api, "/requests.json", start_date=z)) == 1
    xml = await get(api, "/requests.xml", page_size=1)
    assert [e.findtext("service_request_id") for e in xml.findall("request")] == codes[:1]

    assert "90 days" in await refused(api, "/requests.json", 400, params={
        "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"})
    assert "start_date" in await refused(api, "/requests.xml", 400,
                                         params={"start_date": "yesterday"})
    assert "page_size" in await refused(api, "/requests.json", 400, params={"page_size": 5000})
    assert "NOPE" in await refused(api, "/requests.json", 400, params={"service_code": "NOPE"})


async def test_lists_cost_the_same_few_queries_whatever_their_length(api: Api, world: World):
    async def statements(n: int) -> int:
        for _ in range(n):
            await world.report(Status.ASSIGNED)
        with count_queries() as seen:
            assert len(await get(api, "/requests.json")) >= n
        return len(seen)

    assert await statements(2) == await statements(12)


async def test_a_partner_posts_with_a_key(api: Api, world: World):
    key = await issue_key(api, world)
    form = {"api_key": key, "service_code": world.category.code, "lat": "16.4637",
            "long": "107.5909", "address_string": "12 Lê Lợi",
            "description": "Rác thải tập kết ở đầu kiệt", "email": "ai@example.com"}
    response = await api.client.post(f"{V2}/requests.json", data=form)
    assert response.status_code == 200, response.text
    [created] = response.json()
    report = await Report.get(id=int(created["service_request_id"].rsplit("-", 1)[1]))
    assert (report.status, report.channel) == (Status.PENDING_REVIEW, Channel.OPEN311)
    assert report.reporter_id == world.other_citizen.id
    assert await ReportEvent.filter(report_id=report.id).count() == 1  # SUBMITTED, same rules
    assert report.address == "12 Lê Lợi"
    assert "ai@example.com" not in str(await Report.filter(id=report.id).values())
    token = await get(api, f"/tokens/{created['token']}.json")
    assert token == [{"service_request_id": created["service_request_id"],
                      "token": created["token"]}]
    # Not public yet: only the partner, with its key, sees its own report.
    path = f"/requests/{created['service_request_id']}.json"
    await refused(api, path, 404)
    [own] = await get(api, path, api_key=key)
    assert own["status"] == "open"
    as_xml = await api.client.post(f"{V2}/requests.xml", data=form)
    assert ET.fromstring(as_xml.content).findtext("request/service_request_id", "").startswith(
        "PA-")


async def test_posting_refusals(api: Api, world: World):
    key = await issue_key(api, world)
    good = {"api_key": key, "service_code": world.category.code, "lat": "16.46",
            "long": "107.59", "description": "Đèn đường hỏng"}
    post = "POST"
    assert "api_key" in await refused(api, "/requests.json", 403, post,
                                      data={**good, "api_key": ""})
    assert "not valid" in await refused(api, "/requests.xml", 403, post,
                                        data={**good, "api_key": "o311_wrong"})
    assert "service_code" in await refused(api, "/requests.json", 400, post,
                                           data={**good, "service_code": "NOPE"})
    assert "lat and long" in await refused(api, "/requests.json", 400, post,
                                           data={**good, "lat": ""})
    assert "degrees" in await refused(api, "/requests.json", 400, post,
                                      data={**good, "long": "east"})
    assert "Longitude" in await refused(api, "/requests.json", 400, post,
                                        data={**good, "long": "200"})
    assert "description" in await refused(api, "/requests.json", 400, post,
                                          data={**good, "description": " "})
    assert "media_url" in await refused(api, "/requests.json", 400, post,
                                        data={**good, "media_url": "http://169.254.169.254/"})
    assert "form-encoded" in await refused(api, "/requests.json", 400, post, json=good)
    assert await Report.filter(channel=Channel.OPEN311).count() == 0  # nothing half-made
    assert "No such token" in await refused(api, "/tokens/o311-nothing.json", 404)
    assert "No such endpoint" in await refused(api, "/nowhere.json", 404)

    listed = await api.gql("{ apiKeys { id name } }", token=world.admin.token)
    [row] = listed["apiKeys"]
    revoked = await api.gql(REVOKE, {"id": row["id"]}, world.admin.token)
    assert revoked["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    await refused(api, "/requests.json", 403, post, data=good)


async def test_only_an_admin_issues_keys_and_only_for_citizens(api: Api, world: World):
    ask = {"input": {"userId": gid("User", world.citizen.id), "name": "Đối tác"}}
    denied = await api.gql(ISSUE, ask, world.ioc.token)
    assert denied["issueApiKey"]["errors"][0]["code"] == "FORBIDDEN"
    # IOC powers never travel in a machine (agency staff get agency keys: test_agency_keys.py).
    ioc = {"input": {"userId": gid("User", world.ioc.id), "name": "Đối tác"}}
    wrong = await api.gql(ISSUE, ioc, world.admin.token)
    assert wrong["issueApiKey"]["errors"][0]["field"] == "userId"
    errors = await api.errors("{ apiKeys { id } }", token=world.citizen.token)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    # A citizen cannot claim the partners' channel through GraphQL.
    claimed = await api.gql("""mutation { submitReport(input: {description: "Thử kênh",
      channel: OPEN311}) { errors { field } } }""", token=world.citizen.token)
    assert claimed["submitReport"]["errors"] == [{"field": "channel"}]


def _code(report: Report) -> str:
    return report.code
