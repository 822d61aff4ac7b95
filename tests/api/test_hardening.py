"""Hardening II, each item of the attack report kept as a test: invisible and broken text refused
with the field named, subscriptions over HTTP refused plainly, spreadsheet formulas neutralised,
the Open311 XML feed well-formed whatever is stored, private notes kept private, idempotency as
payment APIs do it, events only on real change (no lever to empty the caches), and a title built
from an edited-away first line rebuilt."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from starlette.applications import Starlette

from bench.world import World, gid, make_person
from models.actions import handling, participation, review
from models.enums import EventKind, Role, Satisfaction, Status
from models.orm.reports import Report, ReportEvent
from models.rules.calendar import local_date
from tests.support.api import Api

SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id title } errors { code field } } }"""
SEARCH = """query($t: String) { reports(filter: {text: $t}) { totalCount } }"""
TIMELINE = """query($id: ID!) { report(id: $id) { timeline { kind note } } }"""
ASSIGN = """mutation($input: AssignReportInput!) { assignReport(input: $input) {
  report { title description } errors { code } } }"""
WALL = "{ reports(first: 5) { nodes { title supportCount } } }"


async def raw(api: Api, body: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    """A request whose JSON the test writes by hand (a lone surrogate has no other way in)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await api.client.post("/graphql", content=body.encode(), headers=headers)
    return response.status_code, response.json()


# --- text: one validator for every field ---------------------------------------------------

async def test_a_lone_surrogate_is_a_validation_error_naming_the_field(api: Api, world: World,
                                                                      caplog: Any):
    search = json.dumps({"query": SEARCH}).rstrip("}") + ', "variables": {"t": "a\\ud800"}}'
    status, body = await raw(api, search)
    assert status == 200
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "filter.text"}
    submit = json.dumps({"query": SUBMIT}).rstrip("}") + \
        ', "variables": {"input": {"description": "R\\u00e1c \\udc00"}}}'
    _, body = await raw(api, submit, world.citizen.token)
    assert body["data"]["submitReport"]["errors"] == [{"code": "VALIDATION",
                                                       "field": "description"}]
    assert "Traceback" not in caplog.text
    assert await Report.all().count() == 0


@pytest.mark.parametrize("character", ["\u2060", "\ufeff", "\U000e0041", "\u00ad", "\u034f",
                                       "\u200b", "\u202e", "\ufffe", "\U0001ffff", "\x07"])
async def test_invisible_and_non_text_characters_are_refused(api: Api, world: World,
                                                             character: str):
    data = await api.gql(SUBMIT, {"input": {"description": f"Rác{character} ở kiệt 12",
                                            "title": "Rác"}}, world.citizen.token)
    assert data["submitReport"]["errors"] == [{"code": "VALIDATION", "field": "description"}]


async def test_joiners_between_visible_characters_and_vietnamese_pass(api: Api, world: World):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, joined
    data = await api.gql(SUBMIT, {"input": {"description": f"Đường ngập nước {family}"}},
                         world.citizen.token)
    assert data["submitReport"]["errors"] == []
    assert data["submitReport"]["report"]["title"] == f"Đường ngập nước {family}"


async def test_a_subscription_over_http_is_refused_plainly(api: Api):
    response = await api.client.post("/graphql",
                                     json={"query": "subscription { publicFeed { seq } }"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION"
    assert "WebSocket" in error["message"]


# --- what leaves the server: spreadsheets and XML ------------------------------------------

async def test_csv_cells_that_look_like_formulas_are_neutralised(api: Api, world: World):
    report = await world.report(Status.ASSIGNED, title="=HYPERLINK(\"http://evil\",\"x\")",
                                description="+cmd|' /C calc'!A0")
    await Report.filter(id=report.id).update(address="@SUM(1+1)")
    response = await api.client.get("/export/reports.csv",
                                    headers={"Authorization": f"Bearer {world.ioc.token}"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    [row] = [r for r in rows if r["id"] == gid("Report", report.id)]
    assert row["title"] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert row["description"] == "'+cmd|' /C calc'!A0"
    assert row["address"] == "'@SUM(1+1)"
    assert row["latitude"] == str(report.latitude)  # numbers untouched


async def test_the_open311_xml_feed_stays_well_formed(api: Api, world: World):
    refused = await api.gql(SUBMIT, {"input": {"description": "Rác \ufffe"}},
                            world.citizen.token)
    assert refused["submitReport"]["errors"] == [{"code": "VALIDATION", "field": "description"}]
    # Whatever an older version let in stays out of the XML all the same.
    report = await world.report(Status.ASSIGNED)
    await Report.filter(id=report.id).update(description="Rác \ufffe\x01 ở kiệt 12")
    response = await api.client.get("/open311/v2/requests.xml")
    assert response.status_code == 200
    tree = ElementTree.fromstring(response.content)
    descriptions = [e.text for e in tree.iter("description")]
    assert "Rác  ở kiệt 12" in descriptions


# --- notes: one visibility rule ------------------------------------------------------------

async def test_extension_and_contest_reasons_are_not_public(api: Api, world: World):
    report = await world.report(Status.IN_PROGRESS)
    until = local_date(report.due_at) + timedelta(days=5)
    _, request = await handling.request_extension(
        world.deps, world.staff_a.viewer, report.id, until,
        "Chờ vật tư XYZSECRETEXT, gọi 0905123456")
    await review.decide_extension(world.deps, world.ioc.viewer, request.id, True,
                                  "Đồng ý SECRETDECISION")
    rid = gid("Report", report.id)
    public = (await api.gql(TIMELINE, {"id": rid}))["report"]["timeline"]
    kinds = {e["kind"]: e["note"] for e in public}
    assert kinds["EXTENSION_REQUESTED"] is None
    assert kinds["EXTENSION_DECIDED"] is None
    for who in (world.citizen, world.staff_a, world.ioc):  # the reporter, the agency, the IOC
        notes = {e["kind"]: e["note"] for e in (await api.gql(TIMELINE, {"id": rid},
                                                               who.token))["report"]["timeline"]}
        assert "XYZSECRETEXT" in notes["EXTENSION_REQUESTED"]
    assert "XYZSECRETEXT" not in json.dumps(await api.gql(TIMELINE, {"id": rid},
                                                          world.staff_b.token))
    resolved = await world.report(Status.RESOLVED)
    await participation.contest_result(world.deps, world.citizen.viewer, resolved.id,
                                       "Tôi là Nguyễn Văn A, 0905999888")
    timeline = (await api.gql(TIMELINE, {"id": gid("Report", resolved.id)}))["report"]
    assert "0905999888" not in json.dumps(timeline)
    assert [e["note"] for e in timeline["timeline"] if e["kind"] == "PUBLISHED"] == [
        "Đã thu gom rác và vệ sinh khu vực."]  # the published result stays public


# --- idempotency ---------------------------------------------------------------------------

async def test_retries_are_answered_before_any_rate_limit_and_a_changed_payload_conflicts(
    api: Api, world: World
):
    submit = {"description": "Cây đổ chắn ngang đường", "idempotencyKey": "retry-key-0001"}
    first = await api.gql(SUBMIT, {"input": submit}, world.citizen.token)
    report_id = first["submitReport"]["report"]["id"]
    for _ in range(20):  # the submitReport limit is 10 per 10 minutes
        again = await api.gql(SUBMIT, {"input": submit}, world.citizen.token)
        assert again["submitReport"] == first["submitReport"]
    other = await api.gql(SUBMIT, {"input": {**submit, "description": "Một báo cáo khác"}},
                          world.citizen.token)
    assert other["submitReport"] == {"report": None, "errors": [
        {"code": "CONFLICT", "field": "idempotencyKey"}]}
    assert await Report.all().count() == 1
    assert report_id


# --- events only on real change, and no lever on the caches --------------------------------

async def test_support_again_and_the_same_rating_again_write_no_event(world: World):
    report = await world.report(Status.RESOLVED)
    who = world.other_citizen.viewer
    for _ in range(5):
        await participation.support_report(world.deps, who, report.id)
        await participation.withdraw_support(world.deps, who, report.id)
    await participation.support_report(world.deps, who, report.id)
    for _ in range(5):
        await participation.rate_report(world.deps, world.citizen.viewer, report.id,
                                        Satisfaction.SATISFIED, "Tốt")
    await participation.rate_report(world.deps, world.citizen.viewer, report.id,
                                    Satisfaction.ACCEPTABLE, "Tạm được")
    kinds = [e.kind for e in await ReportEvent.filter(report_id=report.id)]
    assert kinds.count(EventKind.SUPPORTED) == 1
    assert kinds.count(EventKind.RATED) == 2  # a change of mind is news, the same rating is not
    assert (await Report.get(id=report.id)).support_count == 1


@pytest.fixture
def settings(database_url: str) -> Any:
    from web.settings import Settings

    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=60, figures_cache_seconds=60)


async def test_a_mutation_that_changes_nothing_does_not_empty_the_cache(
    app: Starlette, api: Api, world: World
):
    report = await world.report(Status.ASSIGNED)
    await app.state.hub.catch_up()
    await api.client.post("/graphql", json={"query": WALL})
    assert (await api.client.post("/graphql", json={"query": WALL})).headers["x-cache"] == "HIT"
    changes = app.state.cache.changes
    for _ in range(3):  # failures: wrong passwords, a refused transition, supporting again
        await api.post('mutation { login(input: {phone: "0905000000", password: "sai mật '
                       'khẩu"}) { token } }')
        await api.post("""mutation($id: ID!) { acceptReport(input: {id: $id}) { errors {
          code } } }""", {"id": gid("Report", report.id)}, world.citizen.token)
    assert (await api.client.post("/graphql", json={"query": WALL})).headers["x-cache"] == "HIT"
    await api.post("""mutation($id: ID!) { supportReport(input: {id: $id}) { errors { code }
      } }""", {"id": gid("Report", report.id)}, world.other_citizen.token)
    # A real change: seen on the next read (this popular answer was recomputed in the
    # background, or is computed for this read).
    after = await api.client.post("/graphql", json={"query": WALL})
    assert after.json()["data"]["reports"]["nodes"][0]["supportCount"] == 1
    assert app.state.cache.changes == changes + 1


@pytest.mark.parametrize(("mutation", "rule"), [("rateReport", "rateReport"),
                                                ("withdrawSupport", "withdrawSupport"),
                                                ("contestResult", "contestResult")])
async def test_every_public_write_is_throttled(api: Api, world: World, mutation: str,
                                               rule: str):
    from models.throttle import RULES

    report = await world.report(Status.RESOLVED)
    limit = int(RULES[rule].split("/")[0])
    inputs = {"rateReport": ("RateReportInput", {"satisfaction": "SATISFIED"}),
              "withdrawSupport": ("ReportIdInput", {}),
              "contestResult": ("ContestResultInput", {"reason": "Chưa xong"})}
    kind, extra = inputs[mutation]
    document = f"""mutation($input: {kind}!) {{ {mutation}(input: $input) {{
      errors {{ code }} }} }}"""
    codes = []
    for _ in range(limit + 1):
        data = await api.gql(document, {"input": {"id": gid("Report", report.id), **extra}},
                             world.citizen.token)
        codes.append([e["code"] for e in data[mutation]["errors"]])
    assert codes[-1] == ["RATE_LIMITED"]


# --- a title built from the first line of an edited text ------------------------------------

async def test_an_edited_text_rebuilds_the_title_made_from_its_first_line(api: Api,
                                                                         world: World):
    data = await api.gql(SUBMIT, {"input": {
        "description": "Tôi là Trần Thị B, 0905777666, nhà tôi ngập\nNước ngập sâu 40 cm"}},
        world.citizen.token)
    report = data["submitReport"]["report"]
    assert "0905777666" in report["title"]
    assigned = await api.gql(ASSIGN, {"input": {
        "id": report["id"], "agencyId": gid("Agency", world.agency_a.id),
        "description": "Nước ngập sâu 40 cm trên kiệt 12 Lê Lợi"}}, world.ioc.token)
    public = assigned["assignReport"]["report"]
    assert public["title"] == "Nước ngập sâu 40 cm trên kiệt 12 Lê Lợi"
    # A title the reporter or the IOC wrote stays.
    titled = await world.report(title="Nước ngập", description="Tôi là C, 0905111222")
    kept = await api.gql(ASSIGN, {"input": {"id": gid("Report", titled.id),
                                            "agencyId": gid("Agency", world.agency_a.id),
                                            "description": "Ngập ở kiệt 12"}}, world.ioc.token)
    assert kept["assignReport"]["report"]["title"] == "Nước ngập"


async def test_many_people_support_once_each(world: World):
    """A first "me too" by each person is still news (the seam and the wall rely on it)."""
    report = await world.report(Status.ASSIGNED)
    people = [await make_person(world.deps, Role.CITIZEN) for _ in range(3)]
    for who in people:
        await participation.support_report(world.deps, who.viewer, report.id)
    kinds = [e.kind for e in await ReportEvent.filter(report_id=report.id)]
    assert kinds.count(EventKind.SUPPORTED) == 3
