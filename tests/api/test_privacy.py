"""The reporter's name and phone and the original text reach only the reporter, the IOC and
admins: on every read path, in mutation payloads and in errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.world import Person, World, gid
from models.actions import review, submission
from models.enums import Status
from tests.support.api import Api

SECRET_TEXT = "Rác ở kiệt 7 Lê Lợi, nhà tôi số 9, gọi tôi nhé"
PUBLIC_TEXT = "Rác tập kết trái phép ở kiệt 7 đường Lê Lợi"

FIELDS = """id code title description originalDescription reporter { displayName phone }
  timeline { kind note report { originalDescription reporter { displayName phone } } }
  duplicateOf { originalDescription reporter { displayName phone } }"""

PATHS: dict[str, str] = {
    "report": f"query($id: ID!) {{ report(id: $id) {{ {FIELDS} }} }}",
    "reportByCode": f"query($code: String!) {{ report(code: $code) {{ {FIELDS} }} }}",
    "reports": f"{{ reports(first: 50) {{ edges {{ node {{ {FIELDS} }} }} }} }}",
    "search": f"""{{ reports(first: 50, filter: {{text: "le loi"}}) {{
        nodes {{ {FIELDS} }} }} }}""",
    "node": f"query($id: ID!) {{ node(id: $id) {{ ... on Report {{ {FIELDS} }} }} }}",
    "nodes": f"query($id: ID!) {{ nodes(ids: [$id]) {{ ... on Report {{ {FIELDS} }} }} }}",
    "myReports": f"{{ myReports(first: 50) {{ nodes {{ {FIELDS} }} }} }}",
    "agencyInbox": f"{{ agencyInbox(first: 50) {{ nodes {{ {FIELDS} }} }} }}",
    "reviewQueue": f"{{ reviewQueue(first: 50) {{ nodes {{ {FIELDS} }} }} }}",
}
# Paths that refuse some callers outright (sign in first / not your inbox).
REFUSING = {"myReports", "agencyInbox", "reviewQueue"}


def variables_for(path: str, report_id: int, code: str) -> dict[str, str]:
    document = PATHS[path]
    values = {"id": gid("Report", report_id), "code": code}
    return {k: v for k, v in values.items() if f"${k}" in document}


def assert_answered(body: dict[str, Any], path: str) -> None:
    """A leak check on an invalid document would pass for the wrong reason."""
    errors = body.get("errors") or []
    assert all(e.get("extensions", {}).get("code") in ("FORBIDDEN", "UNAUTHENTICATED")
               for e in errors), body
    assert not errors or path in REFUSING, body


def leaks(body: dict[str, Any], reporter: Person) -> list[str]:
    text = json.dumps(body, ensure_ascii=False)
    secrets = [reporter.phone, reporter.phone.replace("+84", "0"), reporter.name, SECRET_TEXT]
    return [s for s in secrets if s in text]


async def make_public_report(world: World) -> tuple[int, str]:
    report = await submission.submit_report(world.deps, world.citizen.viewer, submission.NewReport(
        description=SECRET_TEXT, title="Rác ở Lê Lợi"))
    await review.assign_report(world.deps, world.ioc.viewer, report.id, world.agency_a.id,
                                 description=PUBLIC_TEXT)
    # A merged duplicate by another citizen points at it: duplicateOf is one more path.
    dup = await submission.submit_report(world.deps, world.other_citizen.viewer,
                                       submission.NewReport(description="Rác Lê Lợi lần nữa"))
    await review.merge_report(world.deps, world.ioc.viewer, dup.id, report.id)
    return report.id, report.code


@pytest.mark.parametrize("path", list(PATHS))
async def test_no_personal_data_for_public_agencies_or_other_citizens(
    api: Api, world: World, path: str
):
    report_id, code = await make_public_report(world)
    variables = variables_for(path, report_id, code)
    for who in (None, world.other_citizen, world.staff_a, world.staff_b):
        body = await api.post(PATHS[path], variables, who.token if who else None)
        assert_answered(body, path)
        assert leaks(body, world.citizen) == [], (path, who and who.name, body)
        if path not in REFUSING or (path == "agencyInbox" and who is world.staff_a):
            # The report itself was there to leak from.
            assert PUBLIC_TEXT in json.dumps(body, ensure_ascii=False), (path, body)


@pytest.mark.parametrize("path", ["report", "reportByCode", "reports", "search", "node", "nodes"])
async def test_the_reporter_and_the_center_see_it(api: Api, world: World, path: str):
    report_id, code = await make_public_report(world)
    variables = variables_for(path, report_id, code)
    for who in (world.citizen, world.ioc, world.admin):
        body = await api.post(PATHS[path], variables, who.token)
        found = leaks(body, world.citizen)
        assert world.citizen.phone in found, (path, who.name, body)
        assert SECRET_TEXT in found, (path, who.name, body)


async def test_public_fields_are_still_there(api: Api, world: World):
    report_id, code = await make_public_report(world)
    data = await api.gql(PATHS["report"], variables_for("report", report_id, code))
    report = data["report"]
    assert report["description"] == PUBLIC_TEXT
    assert report["reporter"] is None
    assert report["originalDescription"] is None
    assert report["code"] == code


async def test_mutation_payloads_do_not_leak_to_agency_staff(api: Api, world: World):
    report_id, _ = await make_public_report(world)
    query = f"""mutation($input: ReportIdInput!) {{ acceptReport(input: $input) {{
      report {{ {FIELDS} }} errors {{ code message }} }} }}"""
    body = await api.post(query, {"input": {"id": gid("Report", report_id)}}, world.staff_a.token)
    assert body["data"]["acceptReport"]["errors"] == []
    assert leaks(body, world.citizen) == []
    # A refused attempt by the wrong agency says nothing personal either.
    body = await api.post(query, {"input": {"id": gid("Report", report_id)}}, world.staff_b.token)
    assert body["data"]["acceptReport"]["errors"][0]["code"] == "FORBIDDEN"
    assert leaks(body, world.citizen) == []


async def test_unpublished_reports_are_invisible_to_others(api: Api, world: World):
    pending = await world.report(Status.PENDING_REVIEW)
    rejected = await world.report(Status.REJECTED)
    for report in (pending, rejected):
        rid = gid("Report", report.id)
        for who in (None, world.other_citizen, world.staff_a):
            data = await api.gql("query($id: ID!) { report(id: $id) { id } node(id: $id) { id } }",
                                 {"id": rid}, who.token if who else None)
            assert data == {"report": None, "node": None}
        data = await api.gql("query($id: ID!) { report(id: $id) { status } }", {"id": rid},
                             world.citizen.token)
        assert data["report"]["status"] == report.status.value
    listed = await api.gql("{ reports(first: 50) { totalCount } }")
    assert listed["reports"]["totalCount"] == 0


async def test_unpublished_result_only_for_the_ioc_and_the_agency(api: Api, world: World):
    report = await world.report(Status.RESULT_SUBMITTED)
    query = "query($id: ID!) { report(id: $id) { result { text publishedAt } } }"
    rid = gid("Report", report.id)
    for who in (None, world.citizen, world.other_citizen, world.staff_b):
        data = await api.gql(query, {"id": rid}, who.token if who else None)
        assert data["report"]["result"] is None
    for who in (world.ioc, world.staff_a):
        data = await api.gql(query, {"id": rid}, who.token)
        assert data["report"]["result"]["text"]
        assert data["report"]["result"]["publishedAt"] is None


async def test_other_users_accounts_are_not_nodes(api: Api, world: World):
    uid = gid("User", world.citizen.id)
    query = "query($id: ID!) { node(id: $id) { ... on User { phone displayName } } }"
    for who in (None, world.other_citizen, world.staff_a):
        assert (await api.gql(query, {"id": uid}, who.token if who else None))["node"] is None
    own = await api.gql(query, {"id": uid}, world.citizen.token)
    assert own["node"]["phone"] == world.citizen.phone
