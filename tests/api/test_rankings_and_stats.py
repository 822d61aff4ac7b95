"""Rankings and statistics through the API, against figures worked out by hand for a small
fixed data set (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bench.world import Person, World, gid, make_agency, make_person
from models.actions import handling, participation, review, submission
from models.enums import AgencyKind, AgencyLevel, Role, Satisfaction, Status
from models.orm.directory import Agency
from models.rules import calendar
from tests.support.api import Api, count_queries
from tests.support.clock import FakeClock

TZ = calendar.TZ
RANKINGS = """query($q: String, $kind: AgencyKind, $min: Int!, $cat: ID) {
  agencyRankings(quarter: $q, kind: $kind, minReceived: $min, categoryId: $cat) {
    rank agency { name } received resolved onTime late overdueOpen satisfied acceptable
    unsatisfied rated resolutionRate onTimeRate satisfactionRate averageWorkingDays score } }"""
STATS = """query($q: String, $from: Date, $to: Date) { stats(quarter: $q, from: $from, to: $to) {
  period received processed processedRate onTime late onTimeRate lateRate satisfied acceptable
  unsatisfied satisfiedRate acceptableRate unsatisfiedRate averageWorkingDays
  byStatus { status count } byCategory { category { code } count } } }"""

MON_6_JUL = datetime(2026, 7, 6, 9, tzinfo=TZ)  # due Wed 15 Jul (7 working days)
NOW = datetime(2026, 10, 5, 9, tzinfo=TZ)


@dataclass
class Story:
    """One report's life, in local times."""

    agency: Agency
    staff: Person
    submitted: datetime = MON_6_JUL
    published: datetime | None = None  # None: left in progress
    extended: bool = False
    rating: Satisfaction | None = None
    reopened: datetime | None = None


async def live(world: World, clock: FakeClock, story: Story) -> int:
    d, ioc, staff = world.deps, world.ioc.viewer, story.staff.viewer
    clock.now = story.submitted
    r = await submission.submit_report(d, world.citizen.viewer, submission.NewReport(
        description="Phản ánh trong bộ dữ liệu xếp hạng", category_id=world.category.id))
    clock.advance(hours=1)
    await review.assign_report(d, ioc, r.id, story.agency.id)
    await handling.accept_report(d, staff, r.id)
    if story.extended:
        _, req = await handling.request_extension(d, staff, r.id, r.due_at.date()
                                                  + timedelta(days=10), "Chờ vật tư")
        await review.decide_extension(d, ioc, req.id, True, "Đồng ý")
    if story.published is None:
        return r.id
    clock.now = story.published - timedelta(hours=1)
    await handling.submit_result(d, staff, r.id, "Đã xử lý")
    clock.now = story.published
    await review.publish_result(d, ioc, r.id)
    if story.rating is not None:
        await participation.rate_report(d, world.citizen.viewer, r.id, story.rating, None)
    if story.reopened is not None:
        clock.now = story.reopened
        await review.reopen_report(d, ioc, r.id, "Người dân phản ánh lại")
    return r.id


@pytest.fixture
async def dataset(world: World, clock: FakeClock) -> dict[str, Agency]:
    a = await make_agency("Sở Xây dựng")
    b = await make_agency("Công ty Cổ phần Cấp nước Huế", AgencyKind.BUSINESS)
    c = await make_agency("UBND phường Vĩnh Ninh", level=AgencyLevel.COMMUNE)
    d = await make_agency("Đội quản lý trật tự đô thị")
    staff = {x.id: await make_person(world.deps, Role.AGENCY_STAFF, x) for x in (a, b, c, d)}
    on_time = MON_6_JUL + timedelta(days=2)  # Wed 8 Jul: 2 working days
    late = datetime(2026, 7, 20, 9, tzinfo=TZ)  # after Wed 15 Jul
    stories = [
        # Sở Xây dựng: 6 received, 4 resolved (2 on time, 2 late: one published late, one
        # extended), 1 overdue, 1 reopened (its first-cycle rating still counts).
        Story(a, staff[a.id], published=on_time, rating=Satisfaction.SATISFIED),
        Story(a, staff[a.id], published=on_time, rating=Satisfaction.ACCEPTABLE),
        Story(a, staff[a.id], published=on_time, extended=True, rating=Satisfaction.UNSATISFIED),
        Story(a, staff[a.id], published=late),
        Story(a, staff[a.id]),
        Story(a, staff[a.id], published=on_time, rating=Satisfaction.SATISFIED,
              reopened=NOW - timedelta(days=1)),
        # Cấp nước and Vĩnh Ninh: 5 each, all on time, no rating: 70.00 each, a shared rank.
        *[Story(b, staff[b.id], published=on_time) for _ in range(5)],
        *[Story(c, staff[c.id], published=on_time) for _ in range(5)],
        # Đội quản lý: perfect but only 2 reports: no rank.
        *[Story(d, staff[d.id], published=on_time, rating=Satisfaction.SATISFIED)
          for _ in range(2)],
        # Outside the quarter: not counted.
        Story(a, staff[a.id], submitted=datetime(2026, 6, 29, 9, tzinfo=TZ),
              published=datetime(2026, 7, 1, 9, tzinfo=TZ)),
    ]
    ids = [await live(world, clock, story) for story in stories]
    # Rejected and merged reports of the quarter: in byStatus, never in received.
    clock.now = MON_6_JUL
    await world.report(Status.REJECTED)
    duplicate = await world.report(Status.PENDING_REVIEW)
    await review.merge_report(world.deps, world.ioc.viewer, duplicate.id, ids[-2])
    clock.now = NOW
    return {"a": a, "b": b, "c": c, "d": d}


async def test_rankings_by_hand(api: Api, dataset: dict[str, Agency]):
    rows = (await api.gql(RANKINGS, {"q": "2026-Q3", "min": 5}))["agencyRankings"]
    by_name = {r["agency"]["name"]: r for r in rows}
    assert [(r["rank"], r["agency"]["name"]) for r in rows] == [
        (1, "Công ty Cổ phần Cấp nước Huế"),
        (1, "UBND phường Vĩnh Ninh"),
        (3, "Sở Xây dựng"),
        (None, "Đội quản lý trật tự đô thị"),
    ]
    a = by_name["Sở Xây dựng"]
    assert {k: a[k] for k in ("received", "resolved", "onTime", "late", "overdueOpen",
                              "satisfied", "acceptable", "unsatisfied", "rated")} == {
        "received": 6, "resolved": 4, "onTime": 2, "late": 2, "overdueOpen": 1,
        "satisfied": 2, "acceptable": 1, "unsatisfied": 1, "rated": 4}
    assert a["resolutionRate"] == pytest.approx(4 / 6)
    assert a["onTimeRate"] == 0.5
    assert a["satisfactionRate"] == 0.75
    assert a["score"] == 58.75  # 100 * (0.3 * 4/6 + 0.4 * 2/4 + 0.3 * 2.5/4)
    b = by_name["Công ty Cổ phần Cấp nước Huế"]
    assert (b["score"], b["rated"], b["satisfactionRate"]) == (70.0, 0, 0.0)
    assert b["averageWorkingDays"] == 2.0  # Mon 6 -> Wed 8 Jul
    tiny = by_name["Đội quản lý trật tự đô thị"]
    assert (tiny["rank"], tiny["score"]) == (None, 100.0)


async def test_ranking_filters(api: Api, dataset: dict[str, Agency], world: World):
    business = (await api.gql(RANKINGS, {"q": "2026-Q3", "min": 5, "kind": "BUSINESS"}))
    assert [r["agency"]["name"] for r in business["agencyRankings"]] == [
        "Công ty Cổ phần Cấp nước Huế"]
    everyone = await api.gql(RANKINGS, {"q": "2026-Q3", "min": 0})
    assert [r["rank"] for r in everyone["agencyRankings"]] == [1, 2, 2, 4]  # 100, 70, 70, 58.75
    other_category = await api.gql(RANKINGS, {"q": "2026-Q3", "min": 0,
                                              "cat": gid("Category", 1)})
    assert other_category["agencyRankings"] == []  # category 1 is a standard one, unused here
    empty = await api.gql(RANKINGS, {"q": "2026-Q1", "min": 5})
    assert empty["agencyRankings"] == []
    errors = await api.errors(RANKINGS, {"q": "2026-Q9", "min": 5})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "quarter"}


async def test_stats_by_hand(api: Api, dataset: dict[str, Agency], world: World):
    s = (await api.gql(STATS, {"q": "2026-Q3"}))["stats"]
    # Received: 6 + 5 + 5 + 2 = 18; processed 4 + 5 + 5 + 2 = 16; on time 2 + 5 + 5 + 2 = 14.
    # Ratings: satisfied 2 + 2 = 4, acceptable 1, unsatisfied 1.
    assert (s["received"], s["processed"], s["onTime"], s["late"]) == (18, 16, 14, 2)
    assert s["processedRate"] == pytest.approx(16 / 18)
    assert s["onTimeRate"] == pytest.approx(14 / 16)
    assert s["lateRate"] == pytest.approx(2 / 16)
    assert (s["satisfied"], s["acceptable"], s["unsatisfied"]) == (4, 1, 1)
    assert s["satisfiedRate"] == pytest.approx(4 / 6)
    by_status = {x["status"]: x["count"] for x in s["byStatus"]}
    assert by_status == {"REJECTED": 1, "MERGED": 1, "IN_PROGRESS": 1, "ASSIGNED": 1,
                         "RESOLVED": 16}
    assert s["byCategory"] == [{"category": {"code": world.category.code}, "count": 18}]
    july = (await api.gql(STATS, {"from": "2026-07-01", "to": "2026-07-31"}))["stats"]
    assert july["received"] == 18
    nothing = (await api.gql(STATS, {"q": "2025-Q1"}))["stats"]
    assert (nothing["received"], nothing["processedRate"], nothing["satisfiedRate"]) == (0, 0, 0)
    everything = (await api.gql(STATS, {}))["stats"]
    assert everything["period"] == "all"
    assert everything["received"] == 19  # the June report too


async def test_rankings_and_stats_are_sql_aggregates(api: Api, dataset: dict[str, Agency]):
    """A handful of queries whatever the number of reports: no report is loaded into Python, and
    only the open reports past their deadline (which depend on the clock) are counted from the
    report table; everything else comes from the daily aggregates."""
    with count_queries() as statements:
        await api.gql(RANKINGS, {"q": "2026-Q3", "min": 5})
    assert len(statements) <= 4, statements
    assert all("GROUP BY" in s.upper() or 'FROM "agency"' in s for s in statements)
    assert any('FROM "daily_figures"' in s for s in statements)
    from_reports = [s for s in statements if 'FROM "report"' in s]
    assert len(from_reports) == 1, from_reports
    assert '"due_at"<' in from_reports[0], from_reports
    with count_queries() as statements:
        await api.gql(STATS, {"q": "2026-Q3"})
    assert len(statements) <= 4, statements
    assert not [s for s in statements if 'FROM "report"' in s], statements


DAILY = """query($q: String, $from: Date, $to: Date) {
  stats(quarter: $q, from: $from, to: $to) { daily { date received resolved } } }"""


async def test_daily_counts_by_hand(api: Api, dataset: dict[str, Agency]):
    days = (await api.gql(DAILY, {"from": "2026-06-29", "to": "2026-07-21"}))["stats"]["daily"]
    assert [days[0]["date"], days[-1]["date"], len(days)] == ["2026-06-29", "2026-07-21", 23]
    busy = {d["date"]: (d["received"], d["resolved"])
            for d in days if d["received"] or d["resolved"]}
    # Received: the June report, then the 18 of Mon 6 Jul (rejected and merged left out).
    # Resolved (still standing): the June one on 1 Jul; 3 + 5 + 5 + 2 on 8 Jul (the reopened
    # one no longer counts); the late one on 20 Jul.
    assert busy == {"2026-06-29": (1, 0), "2026-07-01": (0, 1), "2026-07-06": (18, 0),
                    "2026-07-08": (0, 15), "2026-07-20": (0, 1)}
    quarter = (await api.gql(DAILY, {"q": "2026-Q3"}))["stats"]["daily"]
    assert (len(quarter), sum(d["received"] for d in quarter)) == (92, 18)


async def test_daily_counts_need_a_short_bounded_period(api: Api):
    for variables in ({}, {"from": "2026-01-01", "to": "2026-06-30"}):
        errors = await api.errors(DAILY, variables)
        assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "daily"}, variables
