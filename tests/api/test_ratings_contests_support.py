"""Ratings, contests, reopening and "me too" support."""

from __future__ import annotations

from typing import Any

from bench.world import World, gid
from models.actions import handling, review
from models.enums import Status
from models.orm.participation import Rating, Support
from models.orm.reports import Report
from tests.support.api import Api
from tests.support.clock import FakeClock

RATE = """mutation($input: RateReportInput!) { rateReport(input: $input) {
  report { rating { satisfaction note } } errors { code field } } }"""
CONTEST = """mutation($input: ContestResultInput!) { contestResult(input: $input) {
  report { contested status } errors { code field } } }"""
REOPEN = """mutation($input: ReopenReportInput!) { reopenReport(input: $input) {
  report { status reopenCount contested dueAt agency { name } result { text } }
  errors { code field } } }"""
DISMISS = """mutation($input: DismissContestInput!) { dismissContest(input: $input) {
  report { contested status } errors { code field } } }"""
SUPPORT = """mutation($input: ReportIdInput!) { supportReport(input: $input) {
  report { supportCount viewerHasSupported } errors { code field } } }"""
WITHDRAW = """mutation($input: ReportIdInput!) { withdrawSupport(input: $input) {
  report { supportCount viewerHasSupported } errors { code } } }"""
STEP = """mutation($id: ID!) {
  accept: acceptReport(input: {id: $id}) { errors { code } } }"""


async def rate(api: Api, token: str, report_id: int, satisfaction: str,
               note: str | None = None) -> dict[str, Any]:
    variables = {"input": {"id": gid("Report", report_id), "satisfaction": satisfaction,
                           "note": note}}
    payload: dict[str, Any] = (await api.gql(RATE, variables, token))["rateReport"]
    return payload


async def test_only_the_reporter_rates_a_resolved_report_and_can_change_it(
    api: Api, world: World
):
    report = await world.report(Status.RESOLVED)
    for who in (world.other_citizen, world.ioc, world.staff_a):
        assert (await rate(api, who.token, report.id, "SATISFIED"))["errors"][0]["code"] == (
            "FORBIDDEN")
    open_report = await world.report(Status.RESULT_SUBMITTED)
    result = await rate(api, world.citizen.token, open_report.id, "SATISFIED")
    assert result["errors"][0]["code"] == "INVALID_TRANSITION"
    first = await rate(api, world.citizen.token, report.id, "UNSATISFIED", "Chưa sạch")
    assert first["report"]["rating"] == {"satisfaction": "UNSATISFIED", "note": "Chưa sạch"}
    second = await rate(api, world.citizen.token, report.id, "ACCEPTABLE")
    assert second["report"]["rating"] == {"satisfaction": "ACCEPTABLE", "note": None}
    assert await Rating.filter(report_id=report.id).count() == 1
    # The rating is public; the reporter's note is not.
    public = await api.gql("query($id: ID!) { report(id: $id) { rating { satisfaction note } } }",
                           {"id": gid("Report", report.id)})
    assert public["report"]["rating"] == {"satisfaction": "ACCEPTABLE", "note": None}


async def test_contest_reopen_republish_rerate(api: Api, world: World, clock: FakeClock):
    report = await world.report(Status.RESOLVED)
    rid = gid("Report", report.id)
    await rate(api, world.citizen.token, report.id, "UNSATISFIED")
    refused = await api.gql(CONTEST, {"input": {"id": rid, "reason": "Chưa xử lý"}},
                            world.other_citizen.token)
    assert refused["contestResult"]["errors"][0]["code"] == "FORBIDDEN"
    contested = await api.gql(CONTEST, {"input": {"id": rid, "reason": "Rác vẫn còn nguyên"}},
                              world.citizen.token)
    assert contested["contestResult"]["report"] == {"contested": True, "status": "RESOLVED"}
    twice = await api.gql(CONTEST, {"input": {"id": rid, "reason": "Lại"}}, world.citizen.token)
    assert twice["contestResult"]["errors"][0]["code"] == "INVALID_TRANSITION"
    queue = await api.gql("{ reviewQueue(first: 10) { nodes { id contested } } }",
                          token=world.ioc.token)
    assert {"id": rid, "contested": True} in queue["reviewQueue"]["nodes"]

    clock.advance(days=3)
    reopened = (await api.gql(REOPEN, {"input": {
        "id": rid, "reason": "Người dân phản ánh chưa xử lý xong",
        "agencyId": gid("Agency", world.agency_b.id)}}, world.ioc.token))["reopenReport"]
    assert reopened["errors"] == []
    r = reopened["report"]
    assert (r["status"], r["reopenCount"], r["contested"], r["result"]) == (
        "ASSIGNED", 1, False, None)
    assert r["agency"]["name"] == world.agency_b.name
    fresh = await Report.get(id=report.id)
    assert fresh.due_at > report.due_at
    # The new agency handles it; the old one no longer can.
    old = await api.gql(STEP, {"id": rid}, world.staff_a.token)
    assert old["accept"]["errors"][0]["code"] == "FORBIDDEN"
    new = await api.gql(STEP, {"id": rid}, world.staff_b.token)
    assert new["accept"]["errors"] == []
    d = world.deps
    await handling.submit_result(d, world.staff_b.viewer, report.id, "Đã xử lý lại triệt để.")
    await review.publish_result(d, world.ioc.viewer, report.id)
    second = await rate(api, world.citizen.token, report.id, "SATISFIED")
    assert second["report"]["rating"]["satisfaction"] == "SATISFIED"
    cycles = await Rating.filter(report_id=report.id).order_by("cycle").values_list(
        "cycle", "satisfaction")
    assert [(c, s.value) for c, s in cycles] == [(0, "UNSATISFIED"), (1, "SATISFIED")]
    timeline = await api.gql("query($id: ID!) { report(id: $id) { timeline { kind note } } }",
                             {"id": rid})
    kinds = [e["kind"] for e in timeline["report"]["timeline"]]
    assert kinds.count("PUBLISHED") == 2
    assert kinds.count("CONTESTED") == 1
    assert kinds.count("REOPENED") == 1
    published = [e["note"] for e in timeline["report"]["timeline"] if e["kind"] == "PUBLISHED"]
    assert published[-1] == "Đã xử lý lại triệt để."


async def test_dismiss_contest(api: Api, world: World):
    report = await world.report(Status.RESOLVED)
    rid = gid("Report", report.id)
    not_contested = await api.gql(DISMISS, {"input": {"id": rid, "note": "Không"}},
                                  world.ioc.token)
    assert not_contested["dismissContest"]["errors"][0]["code"] == "INVALID_TRANSITION"
    await api.gql(CONTEST, {"input": {"id": rid, "reason": "Chưa xong"}}, world.citizen.token)
    refused = await api.gql(DISMISS, {"input": {"id": rid, "note": "Không"}}, world.staff_a.token)
    assert refused["dismissContest"]["errors"][0]["code"] == "FORBIDDEN"
    done = await api.gql(DISMISS, {"input": {"id": rid, "note": "Đã kiểm tra hiện trường"}},
                         world.ioc.token)
    assert done["dismissContest"]["report"] == {"contested": False, "status": "RESOLVED"}
    reopen_resolved_only = await world.report(Status.IN_PROGRESS)
    refused = await api.gql(REOPEN, {"input": {"id": gid("Report", reopen_resolved_only.id),
                                               "reason": "x"}}, world.ioc.token)
    assert refused["reopenReport"]["errors"][0]["code"] == "INVALID_TRANSITION"


async def test_support_once_per_user(api: Api, world: World, clock: FakeClock):
    report = await world.report(Status.ASSIGNED)
    rid = {"input": {"id": gid("Report", report.id)}}
    first = await api.gql(SUPPORT, rid, world.other_citizen.token)
    assert first["supportReport"]["report"] == {"supportCount": 1, "viewerHasSupported": True}
    again = await api.gql(SUPPORT, rid, world.other_citizen.token)
    assert again["supportReport"]["report"]["supportCount"] == 1
    staff = await api.gql(SUPPORT, rid, world.staff_b.token)
    assert staff["supportReport"]["report"]["supportCount"] == 2
    own = await api.gql(SUPPORT, rid, world.citizen.token)
    assert own["supportReport"]["errors"][0]["code"] == "FORBIDDEN"
    anonymous = await api.gql(SUPPORT, rid)
    assert anonymous["supportReport"]["errors"][0]["code"] == "UNAUTHENTICATED"
    withdrawn = await api.gql(WITHDRAW, rid, world.other_citizen.token)
    assert withdrawn["withdrawSupport"]["report"] == {"supportCount": 1,
                                                      "viewerHasSupported": False}
    assert await Support.filter(report_id=report.id).count() == 1
    pending = await world.report(Status.PENDING_REVIEW)
    hidden = await api.gql(SUPPORT, {"input": {"id": gid("Report", pending.id)}},
                           world.other_citizen.token)
    assert hidden["supportReport"]["errors"][0]["code"] == "NOT_FOUND"
    # Most supported first.
    clock.advance(minutes=1)
    newer = await world.report(Status.ASSIGNED)
    data = await api.gql("{ reports(first: 5, orderBy: SUPPORT) { nodes { id supportCount } } }")
    assert [n["id"] for n in data["reports"]["nodes"]] == [gid("Report", report.id),
                                                           gid("Report", newer.id)]
