"""Every transition of the contract through GraphQL: allowed, and denied with the right code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from bench.world import World, gid, make_person
from models.enums import Role, Status
from models.orm.reports import ExtensionRequest, Report, ReportEvent
from models.rules import calendar
from tests.support.api import Api
from tests.support.clock import FakeClock

REPORT_FIELDS = """report { id status dueAt extended onTime agency { name } }
  errors { code field message }"""


def report_mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {REPORT_FIELDS} }} }}"


SUBMIT = report_mutation("submitReport", "SubmitReportInput")
REJECT = report_mutation("rejectReport", "RejectReportInput")
MERGE = report_mutation("mergeReport", "MergeReportInput")
ASSIGN = report_mutation("assignReport", "AssignReportInput")
ACCEPT = report_mutation("acceptReport", "ReportIdInput")
DECLINE = report_mutation("declineReport", "DeclineReportInput")
SUBMIT_RESULT = report_mutation("submitResult", "SubmitResultInput")
RETURN_RESULT = report_mutation("returnResult", "ReturnResultInput")
PUBLISH = report_mutation("publishResult", "PublishResultInput")
REQUEST_EXTENSION = """mutation($input: RequestExtensionInput!) {
  requestExtension(input: $input) { extensionRequest { id status until }
  report { id dueAt extended } errors { code field message } } }"""
DECIDE_EXTENSION = """mutation($input: DecideExtensionInput!) { decideExtension(input: $input) {
  extensionRequest { id status decisionNote } report { id dueAt extended }
  errors { code field message } } }"""
TIMELINE = """query($id: ID!) { report(id: $id) { status timeline { kind fromStatus toStatus note
  actorRole agency { name } } } }"""

MUTATIONS: dict[str, tuple[str, Callable[[World, str], dict[str, str]]]] = {
    "rejectReport": (REJECT, lambda w, r: {"id": r, "reason": "Trùng lặp"}),
    "mergeReport": (MERGE, lambda w, r: {"id": r, "intoId": r}),
    "assignReport": (ASSIGN, lambda w, r: {"id": r, "agencyId": gid("Agency", w.agency_a.id)}),
    "acceptReport": (ACCEPT, lambda w, r: {"id": r}),
    "declineReport": (DECLINE, lambda w, r: {"id": r, "reason": "Không đúng thẩm quyền"}),
    "submitResult": (SUBMIT_RESULT, lambda w, r: {"id": r, "text": "Đã xử lý xong"}),
    "returnResult": (RETURN_RESULT, lambda w, r: {"id": r, "reason": "Chưa đủ ảnh"}),
    "publishResult": (PUBLISH, lambda w, r: {"id": r}),
}


async def run(
    api: Api, name: str, world: World, report_id: str, token: str | None
) -> dict[str, Any]:
    document, variables = MUTATIONS[name]
    data = await api.gql(document, {"input": variables(world, report_id)}, token)
    payload: dict[str, Any] = data[name]
    return payload


async def events_of(report_id: int) -> list[ReportEvent]:
    return list(await ReportEvent.filter(report_id=report_id).order_by("id"))


async def test_full_walk_to_resolved_writes_one_event_per_step(api: Api, world: World):
    data = await api.gql(SUBMIT, {"input": {
        "description": "Đèn đường không sáng trên đường Lê Lợi",
        "categoryId": gid("Category", world.category.id),
        "location": {"latitude": 16.4637, "longitude": 107.5909, "address": "đường Lê Lợi"},
    }}, world.citizen.token)
    payload = data["submitReport"]
    assert payload["errors"] == []
    rid = payload["report"]["id"]
    assert payload["report"]["status"] == "PENDING_REVIEW"

    steps = [
        ("assignReport", world.ioc.token, "ASSIGNED"),
        ("acceptReport", world.staff_a.token, "IN_PROGRESS"),
        ("submitResult", world.staff_a.token, "RESULT_SUBMITTED"),
        ("returnResult", world.ioc.token, "IN_PROGRESS"),
        ("submitResult", world.staff_a.token, "RESULT_SUBMITTED"),
        ("publishResult", world.ioc.token, "RESOLVED"),
    ]
    for name, token, status in steps:
        result = await run(api, name, world, rid, token)
        assert result["errors"] == [], (name, result)
        assert result["report"]["status"] == status, name

    data = await api.gql(TIMELINE, {"id": rid})
    kinds = [e["kind"] for e in data["report"]["timeline"]]
    assert kinds == ["SUBMITTED", "ASSIGNED", "ACCEPTED", "RESULT_SUBMITTED", "RESULT_RETURNED",
                     "RESULT_SUBMITTED", "PUBLISHED"]
    last = data["report"]["timeline"][-1]
    assert (last["fromStatus"], last["toStatus"], last["actorRole"]) == (
        "RESULT_SUBMITTED", "RESOLVED", "IOC_OPERATOR")
    assert data["report"]["timeline"][1]["agency"]["name"] == world.agency_a.name
    assert result["report"]["onTime"] is True


ALLOWED_FROM = {
    "rejectReport": {Status.PENDING_REVIEW},
    "assignReport": {Status.PENDING_REVIEW},
    "acceptReport": {Status.ASSIGNED},
    "declineReport": {Status.ASSIGNED, Status.IN_PROGRESS},
    "submitResult": {Status.IN_PROGRESS},
    "returnResult": {Status.RESULT_SUBMITTED},
    "publishResult": {Status.RESULT_SUBMITTED},
}
ACTOR = {"rejectReport": "ioc", "assignReport": "ioc", "acceptReport": "staff_a",
         "declineReport": "staff_a", "submitResult": "staff_a", "returnResult": "ioc",
         "publishResult": "ioc"}
TARGET = {"rejectReport": "REJECTED", "assignReport": "ASSIGNED", "acceptReport": "IN_PROGRESS",
          "declineReport": "PENDING_REVIEW", "submitResult": "RESULT_SUBMITTED",
          "returnResult": "IN_PROGRESS", "publishResult": "RESOLVED"}
STATES = [Status.PENDING_REVIEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESULT_SUBMITTED,
          Status.RESOLVED]


@pytest.mark.parametrize("name", list(ALLOWED_FROM))
async def test_each_transition_from_each_state(api: Api, world: World, name: str):
    """The right actor succeeds exactly from the allowed states; elsewhere INVALID_TRANSITION,
    and nothing is written."""
    actor = getattr(world, ACTOR[name])
    for state in STATES:
        report = await world.report(state)
        before = len(await events_of(report.id))
        result = await run(api, name, world, gid("Report", report.id), actor.token)
        if state in ALLOWED_FROM[name]:
            assert result["errors"] == [], (state, result)
            assert result["report"]["status"] == TARGET[name]
            assert len(await events_of(report.id)) == before + 1
        else:
            # Agency staff cannot see a report waiting for the IOC: for them it does not exist.
            hidden = state is Status.PENDING_REVIEW and ACTOR[name] == "staff_a"
            expected = "NOT_FOUND" if hidden else "INVALID_TRANSITION"
            assert [e["code"] for e in result["errors"]] == [expected], state
            assert result["report"] is None
            assert len(await events_of(report.id)) == before
            assert (await Report.get(id=report.id)).status is state


@pytest.mark.parametrize("name", list(ALLOWED_FROM))
async def test_wrong_role_wrong_agency_and_anonymous(api: Api, world: World, name: str):
    allowed_state = next(s for s in STATES if s in ALLOWED_FROM[name])
    wrong = ["citizen", "staff_b", "admin"] + (["staff_a"] if ACTOR[name] == "ioc" else ["ioc"])
    for who in wrong:
        report = await world.report(allowed_state)
        rid = gid("Report", report.id)
        result = await run(api, name, world, rid, getattr(world, who).token)
        codes = [e["code"] for e in result["errors"]]
        # Someone who may not even see a pending report is told it does not exist.
        hidden = allowed_state is Status.PENDING_REVIEW and who in ("staff_a", "staff_b")
        assert codes == (["NOT_FOUND"] if hidden else ["FORBIDDEN"]), (who, result)
        assert (await Report.get(id=report.id)).status is allowed_state
    report = await world.report(allowed_state)
    result = await run(api, name, world, gid("Report", report.id), None)
    assert [e["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]


async def test_only_citizens_and_the_ioc_submit(api: Api, world: World):
    variables = {"input": {"description": "Ổ gà trên đường Hùng Vương"}}
    for who in ("staff_a", "admin"):
        data = await api.gql(SUBMIT, variables, getattr(world, who).token)
        assert [e["code"] for e in data["submitReport"]["errors"]] == ["FORBIDDEN"]
    data = await api.gql(SUBMIT, variables, None)
    assert [e["code"] for e in data["submitReport"]["errors"]] == ["UNAUTHENTICATED"]
    assert await Report.all().count() == 0


async def test_ioc_submits_a_hotline_call_on_a_callers_behalf(api: Api, world: World):
    query = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
      report { id channel reporter { displayName phone } } errors { code field } } }"""
    data = await api.gql(query, {"input": {
        "description": "Người dân gọi đường dây nóng: vỡ ống nước trên đường Bà Triệu",
        "channel": "HOTLINE", "contact": {"name": "Bà Tôn Nữ Hạnh", "phone": "0935 111 222"},
    }}, world.ioc.token)
    report = data["submitReport"]["report"]
    assert report["channel"] == "HOTLINE"
    assert report["reporter"] == {"displayName": "Bà Tôn Nữ Hạnh", "phone": "+84935111222"}
    # Citizens cannot pretend to be the hotline, nor attach someone else's contact.
    data = await api.gql(query, {"input": {"description": "x y z", "channel": "HOTLINE"}},
                         world.citizen.token)
    assert data["submitReport"]["errors"] == [{"code": "VALIDATION", "field": "channel"}]
    data = await api.gql(query, {"input": {"description": "x y z", "contact": {"name": "A"}}},
                         world.citizen.token)
    assert data["submitReport"]["errors"] == [{"code": "VALIDATION", "field": "contact"}]


async def test_merge_requires_a_public_target(api: Api, world: World):
    pending = await world.report()
    other_pending = await world.report()
    public = await world.report(Status.ASSIGNED)
    result = (await api.gql(MERGE, {"input": {"id": gid("Report", pending.id),
                                              "intoId": gid("Report", other_pending.id)}},
                            world.ioc.token))["mergeReport"]
    assert result["errors"][0]["code"] == "VALIDATION"
    assert result["errors"][0]["field"] == "intoId"
    result = (await api.gql(MERGE, {"input": {"id": gid("Report", pending.id),
                                              "intoId": gid("Report", public.id)}},
                            world.ioc.token))["mergeReport"]
    assert result["errors"] == []
    assert result["report"]["status"] == "MERGED"
    data = await api.gql("query($id: ID!) { report(id: $id) { duplicateOf { id } } }",
                         {"id": gid("Report", pending.id)}, world.ioc.token)
    assert data["report"]["duplicateOf"]["id"] == gid("Report", public.id)


async def test_assign_lets_the_ioc_edit_public_text_and_keeps_the_original(api: Api, world: World):
    report = await world.report(description="Rác ở kiệt 5 Lê Lợi, gọi tôi 0905123456")
    data = await api.gql(ASSIGN, {"input": {
        "id": gid("Report", report.id), "agencyId": gid("Agency", world.agency_a.id),
        "title": "Rác tập kết trái phép", "description": "Rác ở kiệt 5 Lê Lợi",
    }}, world.ioc.token)
    assert data["assignReport"]["errors"] == []
    query = "query($id: ID!) { report(id: $id) { title description originalDescription } }"
    public = (await api.gql(query, {"id": gid("Report", report.id)}))["report"]
    assert public == {"title": "Rác tập kết trái phép", "description": "Rác ở kiệt 5 Lê Lợi",
                      "originalDescription": None}
    ioc = (await api.gql(query, {"id": gid("Report", report.id)}, world.ioc.token))["report"]
    assert ioc["originalDescription"] == "Rác ở kiệt 5 Lê Lợi, gọi tôi 0905123456"


async def test_decline_returns_to_the_ioc_and_the_deadline_keeps_running(
    api: Api, world: World, clock: FakeClock
):
    report = await world.report(Status.IN_PROGRESS)
    due = report.due_at
    clock.advance(days=2)
    result = await run(api, "declineReport", world, gid("Report", report.id), world.staff_a.token)
    assert result["errors"] == []
    fresh = await Report.get(id=report.id)
    assert fresh.status is Status.PENDING_REVIEW
    assert fresh.agency_id is None
    assert fresh.due_at == due
    # The old agency no longer sees it; the IOC re-assigns it to another agency.
    data = await api.gql(TIMELINE, {"id": gid("Report", report.id)}, world.staff_a.token)
    assert data["report"] is None
    result = (await api.gql(ASSIGN, {"input": {"id": gid("Report", report.id),
                                               "agencyId": gid("Agency", world.agency_b.id)}},
                            world.ioc.token))["assignReport"]
    assert result["report"]["agency"]["name"] == world.agency_b.name
    assert (await Report.get(id=report.id)).due_at == due


async def test_extension_approved_moves_due_at_and_makes_the_report_late(
    api: Api, world: World, clock: FakeClock
):
    report = await world.report(Status.IN_PROGRESS)
    rid = gid("Report", report.id)
    until = calendar.local_date(report.due_at) + timedelta(days=5)
    req = (await api.gql(REQUEST_EXTENSION, {"input": {
        "id": rid, "until": until.isoformat(), "reason": "Chờ vật tư thay thế"}},
        world.staff_a.token))["requestExtension"]
    assert req["errors"] == []
    assert req["extensionRequest"]["status"] == "PENDING"
    assert req["report"]["extended"] is False
    # A second request while one is open conflicts.
    again = (await api.gql(REQUEST_EXTENSION, {"input": {
        "id": rid, "until": until.isoformat(), "reason": "Lại"}}, world.staff_a.token))
    assert [e["code"] for e in again["requestExtension"]["errors"]] == ["CONFLICT"]
    # Only the IOC decides.
    decide = {"input": {"requestId": req["extensionRequest"]["id"], "approve": True,
                        "note": "Đồng ý"}}
    denied = await api.gql(DECIDE_EXTENSION, decide, world.staff_a.token)
    assert [e["code"] for e in denied["decideExtension"]["errors"]] == ["FORBIDDEN"]
    decided = (await api.gql(DECIDE_EXTENSION, decide, world.ioc.token))["decideExtension"]
    assert decided["errors"] == []
    assert decided["extensionRequest"]["status"] == "APPROVED"
    assert decided["report"]["extended"] is True
    fresh = await Report.get(id=report.id)
    assert fresh.due_at == calendar.end_of_local_day(until)
    # Deciding twice is refused.
    twice = await api.gql(DECIDE_EXTENSION, decide, world.ioc.token)
    assert [e["code"] for e in twice["decideExtension"]["errors"]] == ["INVALID_TRANSITION"]
    # Published well before the new deadline, it still counts as late.
    await run(api, "submitResult", world, rid, world.staff_a.token)
    published = await run(api, "publishResult", world, rid, world.ioc.token)
    assert published["report"]["onTime"] is False
    kinds = [e.kind.value for e in await events_of(report.id)]
    assert kinds.count("EXTENSION_REQUESTED") == 1
    assert kinds.count("EXTENSION_DECIDED") == 1


async def test_extension_denied_keeps_the_deadline(api: Api, world: World):
    report = await world.report(Status.ASSIGNED)
    until = calendar.local_date(report.due_at) + timedelta(days=3)
    req = (await api.gql(REQUEST_EXTENSION, {"input": {
        "id": gid("Report", report.id), "until": until.isoformat(), "reason": "Thiếu nhân lực"}},
        world.staff_a.token))["requestExtension"]
    decided = (await api.gql(DECIDE_EXTENSION, {"input": {
        "requestId": req["extensionRequest"]["id"], "approve": False, "note": "Không đủ lý do"}},
        world.ioc.token))["decideExtension"]
    assert decided["extensionRequest"] == {"id": req["extensionRequest"]["id"],
                                           "status": "DENIED", "decisionNote": "Không đủ lý do"}
    fresh = await Report.get(id=report.id)
    assert (fresh.due_at, fresh.extended) == (report.due_at, False)


async def test_extension_must_move_the_deadline_forward_within_limits(api: Api, world: World):
    report = await world.report(Status.IN_PROGRESS)
    due = calendar.local_date(report.due_at)
    for until in (due, due - timedelta(days=1), due + timedelta(days=61)):
        data = await api.gql(REQUEST_EXTENSION, {"input": {
            "id": gid("Report", report.id), "until": until.isoformat(), "reason": "Lý do"}},
            world.staff_a.token)
        assert data["requestExtension"]["errors"][0]["field"] == "until"
    assert await ExtensionRequest.all().count() == 0


async def test_published_late_is_late(api: Api, world: World, clock: FakeClock):
    report = await world.report(Status.RESULT_SUBMITTED)
    clock.now = report.due_at + timedelta(seconds=1)
    result = await run(api, "publishResult", world, gid("Report", report.id), world.ioc.token)
    assert result["report"]["onTime"] is False
    # At the very last second it still counts as on time.
    other = await world.report(Status.RESULT_SUBMITTED)
    clock.now = other.due_at
    result = await run(api, "publishResult", world, gid("Report", other.id), world.ioc.token)
    assert result["report"]["onTime"] is True


async def test_publish_may_edit_the_result_text(api: Api, world: World):
    report = await world.report(Status.RESULT_SUBMITTED)
    data = await api.gql(
        "mutation($input: PublishResultInput!) { publishResult(input: $input) { "
        "report { result { text publishedAt } } errors { code } } }",
        {"input": {"id": gid("Report", report.id), "text": "Đã xử lý và vệ sinh khu vực."}},
        world.ioc.token,
    )
    result = data["publishResult"]["report"]["result"]
    assert result["text"] == "Đã xử lý và vệ sinh khu vực."
    assert result["publishedAt"] is not None


async def test_due_at_is_seven_working_days_through_the_api(api: Api, world: World,
                                                            clock: FakeClock):
    from datetime import datetime

    clock.now = datetime(2027, 2, 5, 9, 0, tzinfo=calendar.TZ)  # Tết eve, see test_calendar
    # The world's tokens expired by then (30 days); sign in afresh.
    citizen = await make_person(world.deps, Role.CITIZEN)
    data = await api.gql(SUBMIT, {"input": {"description": "Rác sau chợ Đông Ba"}},
                         citizen.token)
    assert data["submitReport"]["errors"] == []
    assert data["submitReport"]["report"]["dueAt"] == "2027-02-19T23:59:59+07:00"
    assert date(2027, 2, 19) == calendar.local_date(
        (await Report.first().only("due_at")).due_at  # type: ignore[union-attr]
    )
