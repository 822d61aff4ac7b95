"""Hostile and broken input: a clear VALIDATION or NOT_FOUND naming the field, nothing written."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from bench.world import World, gid
from models.enums import Status
from models.orm.reports import Report, ReportEvent
from tests.support.api import Api

SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id } errors { code field message } } }"""
ASSIGN = """mutation($input: AssignReportInput!) { assignReport(input: $input) {
  report { id } errors { code field message } } }"""
REJECT = """mutation($input: RejectReportInput!) { rejectReport(input: $input) {
  report { id } errors { code field message } } }"""

# 1 MB of text: under the 1 MiB body limit, so it reaches validation (bigger bodies get 413).
MEGABYTE = "x" * 1_000_000


def fake_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   \n  "}, "description"),
        ({"description": MEGABYTE}, "description"),
        ({"description": "rác\u0000rác"}, "description"),
        ({"description": "rác \u202e đảo chiều"}, "description"),
        ({"title": "a\nb"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"location": {"latitude": 91, "longitude": 107}}, "location.latitude"),
        ({"location": {"latitude": 16, "longitude": -181}}, "location.longitude"),
        ({"location": {"latitude": 16, "longitude": 107, "address": "x" * 301}},
         "location.address"),
        ({"categoryId": "garbage!!"}, "categoryId"),
        ({"categoryId": fake_id("Agency:1")}, "categoryId"),
        ({"categoryId": fake_id("Category:0")}, "categoryId"),
        ({"categoryId": fake_id("Category:99999999999999999999999")}, "categoryId"),
        ({"mediaIds": ["x"]}, "mediaIds"),
        ({"mediaIds": [fake_id(f"Media:{i}") for i in range(1, 200)]}, "mediaIds"),
        ({"idempotencyKey": "short"}, "idempotencyKey"),
        ({"idempotencyKey": "x" * 65}, "idempotencyKey"),
    ],
)
async def test_submit_refuses_bad_input(api: Api, world: World, override: dict[str, Any],
                                        field: str):
    variables = {"input": {"description": "Rác ở kiệt 12 Lê Lợi"} | override}
    data = await api.gql(SUBMIT, variables, world.citizen.token)
    errors = data["submitReport"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", field)], errors
    assert data["submitReport"]["report"] is None
    assert await Report.all().count() == 0
    assert await ReportEvent.all().count() == 0


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"categoryId": fake_id("Category:4242")}, "NOT_FOUND", "categoryId"),
        ({"mediaIds": [fake_id("Media:4242")]}, "NOT_FOUND", "mediaIds"),
    ],
)
async def test_submit_refuses_unknown_references(api: Api, world: World, override: dict[str, Any],
                                                 code: str, field: str):
    data = await api.gql(SUBMIT, {"input": {"description": "Rác"} | override},
                         world.citizen.token)
    assert [(e["code"], e["field"]) for e in data["submitReport"]["errors"]] == [(code, field)]
    assert await Report.all().count() == 0


async def test_non_finite_coordinates_are_refused(api: Api, world: World):
    # JSON has no NaN or infinity, but 1e999 parses as infinity.
    location = '{"latitude": 1e999, "longitude": 107}'
    variables = f'{{"input": {{"description": "Rác", "location": {location}}}}}'
    body = f'{{"query": {json.dumps(SUBMIT)}, "variables": {variables}}}'
    response = await api.client.post("/graphql", content=body, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {world.citizen.token}"})
    payload = response.json()
    # The Float scalar itself refuses it, naming the field, before any resolver runs.
    assert payload["data"] is None
    assert "location.latitude" in payload["errors"][0]["message"]
    assert await Report.all().count() == 0


@pytest.mark.parametrize(
    ("report_id", "code"),
    [("", "VALIDATION"), ("%%%", "VALIDATION"), (fake_id("Report:abc"), "VALIDATION"),
     (fake_id("Report:-5"), "VALIDATION"), (fake_id("Agency:1"), "VALIDATION"),
     ("x" * 10_000, "VALIDATION"), (fake_id("Report:987654"), "NOT_FOUND")],
)
async def test_ids_are_checked(api: Api, world: World, report_id: str, code: str):
    data = await api.gql(REJECT, {"input": {"id": report_id, "reason": "Trùng"}},
                         world.ioc.token)
    assert [(e["code"], e["field"]) for e in data["rejectReport"]["errors"]] == [(code, "id")]


async def test_reasons_are_required_and_bounded(api: Api, world: World):
    report = await world.report(Status.PENDING_REVIEW)
    for reason in ("", " ", "x" * 2001, "a\u0007b", MEGABYTE):
        data = await api.gql(REJECT, {"input": {"id": gid("Report", report.id), "reason": reason}},
                             world.ioc.token)
        assert [(e["code"], e["field"]) for e in data["rejectReport"]["errors"]] == [
            ("VALIDATION", "reason")]
    assert (await Report.get(id=report.id)).status is Status.PENDING_REVIEW
    assert await ReportEvent.filter(report_id=report.id).count() == 1


async def test_assign_checks_agency_and_category(api: Api, world: World):
    report = await world.report(Status.PENDING_REVIEW)
    rid = gid("Report", report.id)
    for override, code, field in [
        ({"agencyId": fake_id("Agency:999")}, "NOT_FOUND", "agencyId"),
        ({"agencyId": "nope"}, "VALIDATION", "agencyId"),
        ({"categoryId": fake_id("Category:999")}, "NOT_FOUND", "categoryId"),
        ({"title": "x" * 500}, "VALIDATION", "title"),
    ]:
        variables = {"id": rid, "agencyId": gid("Agency", world.agency_a.id)} | override
        data = await api.gql(ASSIGN, {"input": variables}, world.ioc.token)
        assert [(e["code"], e["field"]) for e in data["assignReport"]["errors"]] == [
            (code, field)]
    assert (await Report.get(id=report.id)).status is Status.PENDING_REVIEW


async def test_idempotency_key_returns_the_same_report(api: Api, world: World):
    variables = {"input": {"description": "Đèn đường hỏng", "idempotencyKey": "app-retry-0001"}}
    first = await api.gql(SUBMIT, variables, world.citizen.token)
    again = await api.gql(SUBMIT, variables, world.citizen.token)
    assert first["submitReport"]["report"]["id"] == again["submitReport"]["report"]["id"]
    # The same key from someone else is their own report.
    other = await api.gql(SUBMIT, variables, world.other_citizen.token)
    assert other["submitReport"]["report"]["id"] != first["submitReport"]["report"]["id"]
    assert await Report.all().count() == 2
    assert await ReportEvent.all().count() == 2
