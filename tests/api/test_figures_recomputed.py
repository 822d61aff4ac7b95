"""Every published figure, recomputed independently and compared to the digit.

Hypothesis generates cities: reports submitted around local day and quarter boundaries, walked
through random lifecycles (declined and re-assigned, extensions approved or denied, results
returned, published late or on time, rated and re-rated, contested and reopened, with agencies
whose scores tie). The city is built through the real use cases; the API is then asked for
`agencyRankings` and `stats` (with `daily`) over several periods and filters.

The recomputation never calls the code under test: it reads the raw rows (timeline events and
their timestamps, extension requests, ratings, agencies, categories) and applies the contract's
definitions (../shared/API.md, "Rankings and statistics") with its own working-day count over
the `holidays` package and its own local dates.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.world import Person, gid, make_person
from models.actions import figures as daily_figures
from models.actions import handling, participation, review, submission
from models.enums import AgencyKind, AgencyLevel, Role, Satisfaction
from models.orm.directory import Agency, Category
from server import create_app
from tests.conftest import forget_dialect_caches, pg_admin
from tests.support.api import Api
from tests.support.clock import FakeClock
from web.settings import Settings

pytestmark = pytest.mark.slow

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 15, 3, 0, tzinfo=UTC)
EXAMPLES = {"sqlite": 30, "postgres": 25}
OPEN = {"PENDING_REVIEW", "ASSIGNED", "IN_PROGRESS", "RESULT_SUBMITTED"}
EXCLUDED = {"REJECTED", "MERGED"}
WORKING = holidays.country_holidays("VN")

# Names that tie once diacritics and case are set aside, and kinds of both sorts.
AGENCIES = [("Sở Y tế", AgencyKind.GOVERNMENT), ("Sở y tế", AgencyKind.GOVERNMENT),
            ("UBND phường An Cựu", AgencyKind.GOVERNMENT),
            ("Công ty Điện lực Huế", AgencyKind.BUSINESS)]
# Local instants on both sides of day and quarter boundaries.
EDGES = [datetime(2026, m, d, h, mi, tzinfo=HUE) for m, d, h, mi in [
    (3, 31, 23, 30), (4, 1, 0, 0), (4, 1, 2, 0), (4, 1, 6, 59), (6, 30, 23, 59), (7, 1, 0, 5),
    (9, 30, 23, 0), (10, 1, 1, 0), (11, 16, 3, 0), (11, 30, 2, 7), (12, 31, 23, 59)]]
PERIODS: list[dict[str, str]] = [
    {}, {"quarter": "2026-Q1"}, {"quarter": "2026-Q2"}, {"quarter": "2026-Q3"},
    {"quarter": "2026-Q4"}, {"from": "2026-03-31", "to": "2026-03-31"},
    {"from": "2026-04-01", "to": "2026-04-01"}, {"from": "2026-06-30", "to": "2026-07-01"},
    {"from": "2026-09-30", "to": "2026-09-30"}, {"from": "2026-10-01", "to": "2026-10-01"},
    {"from": "2026-11-30", "to": "2026-11-30"}, {"from": "2026-04-01", "to": "2026-06-30"},
]
DAILY = {"from": "2026-04-01", "to": "2026-06-30"}


# --- generated cities -----------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    submitted: datetime
    agency: int
    category: int
    fate: str  # how far it goes: PENDING REJECTED MERGED ASSIGNED IN_PROGRESS SUBMITTED RESOLVED
    declined_to: int | None  # first sent to the wrong agency, which gives it back
    extension: str | None  # APPROVED, DENIED or None
    extra_days: int
    returned: bool
    gaps: tuple[int, ...]  # hours between steps
    ratings: tuple[Satisfaction, ...]
    reopenings: tuple[int | None, ...]  # each a new cycle (maybe another agency)


def instants() -> st.SearchStrategy[datetime]:
    spread = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 14),
                          timezones=st.just(HUE))
    nudged = st.tuples(st.sampled_from(EDGES), st.integers(-90, 90)).map(
        lambda e: e[0] + timedelta(minutes=e[1]))
    return st.one_of(st.sampled_from(EDGES), nudged, spread)


plans = st.builds(
    Plan,
    submitted=instants(),
    agency=st.integers(0, len(AGENCIES) - 1),
    category=st.integers(0, 1),
    fate=st.sampled_from(["PENDING", "REJECTED", "MERGED", "ASSIGNED", "IN_PROGRESS",
                          "SUBMITTED", "RESOLVED", "RESOLVED", "RESOLVED"]),
    declined_to=st.one_of(st.none(), st.integers(0, len(AGENCIES) - 1)),
    extension=st.sampled_from([None, None, "APPROVED", "DENIED"]),
    extra_days=st.integers(1, 12),
    returned=st.booleans(),
    gaps=st.tuples(*[st.one_of(st.integers(1, 30), st.integers(1, 24 * 12))] * 6),
    ratings=st.lists(st.sampled_from(list(Satisfaction)), max_size=2).map(tuple),
    reopenings=st.lists(st.one_of(st.none(), st.integers(0, len(AGENCIES) - 1)),
                        max_size=2).map(tuple),
)
cities = st.lists(plans, min_size=1, max_size=18)


# --- building a city through the real use cases ---------------------------------------------

@dataclass
class Town:
    clock: FakeClock
    deps: Any
    ioc: Person
    citizen: Person
    staff: list[Person]
    agencies: list[Agency]
    categories: list[Category]
    public: list[int] = field(default_factory=list)


class Stop(Exception):
    """The next step would fall after NOW: the report stays where it is."""


async def live(town: Town, plan: Plan) -> None:
    gaps = itertools.cycle(plan.gaps)

    def step() -> Any:
        town.clock.now += timedelta(hours=next(gaps))
        if town.clock.now >= NOW - timedelta(minutes=1):
            raise Stop
        return town.deps

    ioc, me = town.ioc.viewer, town.citizen.viewer
    town.clock.now = plan.submitted.astimezone(UTC)
    report = await submission.submit_report(town.deps, me, submission.NewReport(
        description="Đèn đường không sáng trên đường Lê Lợi",
        category_id=town.categories[plan.category].id))
    rid = report.id
    if plan.fate == "PENDING":
        return
    if plan.fate == "REJECTED" or (plan.fate == "MERGED" and not town.public):
        await review.reject_report(step(), ioc, rid, "Không thuộc phạm vi.")
        return
    if plan.fate == "MERGED":
        await review.merge_report(step(), ioc, rid, town.public[-1])
        return
    agency = plan.agency
    if plan.declined_to is not None and plan.declined_to != agency:
        await review.assign_report(step(), ioc, rid, town.agencies[plan.declined_to].id)
        await handling.decline_report(step(), town.staff[plan.declined_to].viewer, rid, "Sai.")
    await review.assign_report(step(), ioc, rid, town.agencies[agency].id)
    town.public.append(rid)
    await handle(town, plan, rid, agency, step)
    if plan.fate != "RESOLVED":
        return
    for satisfaction in plan.ratings:
        await participation.rate_report(step(), me, rid, satisfaction, None)
    for again in plan.reopenings:
        if again is not None:
            agency = again
        await participation.contest_result(step(), me, rid, "Chưa xong.")
        await review.reopen_report(step(), ioc, rid, "Xử lý lại.", town.agencies[agency].id)
        await handle(town, plan, rid, agency, step)
        for satisfaction in plan.ratings[:1]:
            await participation.rate_report(step(), me, rid, satisfaction, None)


async def handle(town: Town, plan: Plan, rid: int, agency: int,
                 step: Callable[[], Any]) -> None:
    """One cycle with the agency, as far as the plan's fate goes."""
    staff, ioc = town.staff[agency].viewer, town.ioc.viewer
    if plan.fate == "ASSIGNED":
        return
    report = await handling.accept_report(step(), staff, rid)
    if plan.extension is not None:
        until = report.due_at.astimezone(HUE).date() + timedelta(days=plan.extra_days)
        _, request = await handling.request_extension(step(), staff, rid, until, "Cần thêm.")
        await review.decide_extension(step(), ioc, request.id, plan.extension == "APPROVED",
                                      None)
    if plan.fate == "IN_PROGRESS":
        return
    await handling.submit_result(step(), staff, rid, "Đã xử lý.")
    if plan.returned:
        await review.return_result(step(), ioc, rid, "Bổ sung ảnh.")
        await handling.submit_result(step(), staff, rid, "Đã xử lý, có ảnh.")
    if plan.fate == "RESOLVED":
        await review.publish_result(step(), ioc, rid)


async def build(deps: Any, clock: FakeClock, city: list[Plan]) -> Town:
    agencies = [await Agency.create(code=f"A{i}", name=name, kind=kind,
                                    level=AgencyLevel.PROVINCE)
                for i, (name, kind) in enumerate(AGENCIES)]
    categories = [await Category.create(code=f"K{i}", name=f"Loại {i}") for i in range(2)]
    town = Town(clock, deps, await make_person(deps, Role.IOC_OPERATOR),
                await make_person(deps, Role.CITIZEN),
                [await make_person(deps, Role.AGENCY_STAFF, a) for a in agencies],
                agencies, categories)
    for plan in city:
        with contextlib.suppress(Stop):
            await live(town, plan)
    clock.now = NOW
    return town


# --- the recomputation: raw rows and the contract, nothing else -----------------------------

def instant(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local(moment: datetime) -> date:
    return moment.astimezone(HUE).date()


def working_days(start: date, end: date) -> int:
    """Working days after `start`, up to `end` included."""
    return sum(1 for n in range(1, (end - start).days + 1)
               if WORKING.is_working_day(start + timedelta(days=n)))


def deadline(start: datetime) -> datetime:
    day, found = local(start), 0
    while found < 7:
        day += timedelta(days=1)
        found += WORKING.is_working_day(day)
    return datetime.combine(day, time(23, 59, 59), tzinfo=HUE)


def folded(name: str) -> str:
    name = name.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", name.lower())
                   if unicodedata.category(c) != "Mn")


def rate(a: float, b: float) -> float:
    return a / b if b else 0.0


@dataclass
class Fact:
    """One report as its rows tell it."""

    id: int
    category: int | None
    submitted: date
    status: str
    agency: int | None
    published: datetime | None
    on_time: bool | None
    working_days: int | None
    overdue: bool
    satisfaction: str | None
    reopened: bool = False
    extended: bool = False
    submitted_at: datetime | None = None


async def facts(conn: Any) -> tuple[list[Fact], dict[int, tuple[str, str]]]:
    def rows(sql: str) -> Any:
        return conn.execute_query_dict(sql)

    agencies = {r["id"]: (r["name"], r["kind"]) for r in await rows(
        "SELECT id, name, kind FROM agency")}
    categories = {r["id"]: r["category_id"] for r in await rows(
        "SELECT id, category_id FROM report")}
    events: dict[int, list[Any]] = defaultdict(list)
    for e in await rows("SELECT id, report_id, at, kind, to_status, agency_id "
                        "FROM report_event ORDER BY id"):
        events[e["report_id"]].append(e)
    extensions: dict[int, list[Any]] = defaultdict(list)
    for x in await rows("SELECT report_id, status, decided_at, until FROM extension_request "
                        "ORDER BY id"):
        extensions[x["report_id"]].append(x)
    latest: dict[int, tuple[datetime, str]] = {}  # the last rating given, whatever the cycle
    for r in await rows("SELECT report_id, satisfaction, rated_at FROM rating"):
        given = (instant(r["rated_at"]), r["satisfaction"])
        latest[r["report_id"]] = max(latest.get(r["report_id"], given), given)
    out = []
    for rid, timeline in events.items():
        status = agency = None
        published: datetime | None = None
        begun = submitted = instant(timeline[0]["at"])  # the SUBMITTED event comes first
        for e in timeline:
            at = instant(e["at"])
            if e["kind"] == "SUBMITTED":
                submitted = begun = at
            elif e["kind"] in ("ASSIGNED", "REOPENED"):
                agency = e["agency_id"]
            elif e["kind"] == "DECLINED":
                agency = None
            if e["kind"] == "REOPENED":
                begun, published = at, None
            elif e["kind"] == "PUBLISHED":
                published = at
            if e["to_status"] is not None:
                status = e["to_status"]
        assert status is not None
        approved = [x for x in extensions[rid] if x["status"] == "APPROVED"
                    and instant(x["decided_at"]) >= begun]
        due = deadline(begun)
        if approved:
            until = approved[-1]["until"]
            until = until if isinstance(until, date) else date.fromisoformat(until)
            due = datetime.combine(until, time(23, 59, 59), tzinfo=HUE)
        if status != "RESOLVED":
            published = None
        out.append(Fact(
            id=rid, category=categories[rid], submitted=local(submitted), status=status,
            agency=agency, published=published,
            on_time=None if published is None else (
                not approved and published <= deadline(begun)),
            working_days=None if published is None else working_days(local(begun),
                                                                     local(published)),
            overdue=status in OPEN and due < NOW,
            satisfaction=latest[rid][1] if rid in latest else None,
            reopened=begun != submitted, extended=bool(approved), submitted_at=submitted))
    return out, agencies


def in_period(f: Fact, period: dict[str, str]) -> bool:
    if "quarter" in period:
        year, q = int(period["quarter"][:4]), int(period["quarter"][-1])
        return f.submitted.year == year and (f.submitted.month - 1) // 3 + 1 == q
    if "from" in period:
        return date.fromisoformat(period["from"]) <= f.submitted <= date.fromisoformat(
            period["to"])
    return True


def counts(group: list[Fact]) -> dict[str, Any]:
    resolved = [f for f in group if f.status == "RESOLVED"]
    s = Counter(f.satisfaction for f in group if f.satisfaction)
    rated = s["SATISFIED"] + s["ACCEPTABLE"] + s["UNSATISFIED"]
    days = [f.working_days for f in resolved if f.working_days is not None]
    return {
        "received": len(group), "resolved": len(resolved),
        "onTime": sum(1 for f in resolved if f.on_time), "late": sum(
            1 for f in resolved if f.on_time is False),
        "satisfied": s["SATISFIED"], "acceptable": s["ACCEPTABLE"],
        "unsatisfied": s["UNSATISFIED"], "rated": rated,
        "averageWorkingDays": sum(days) / len(days) if days else None,
    }


def ranking(facts_: list[Fact], agencies: dict[int, tuple[str, str]], period: dict[str, str],
            min_received: int, kind: str | None = None,
            category: int | None = None) -> list[dict[str, Any]]:
    chosen = [f for f in facts_ if in_period(f, period) and f.status not in EXCLUDED
              and f.agency is not None and (kind is None or agencies[f.agency][1] == kind)
              and (category is None or f.category == category)]
    rows = []
    for agency in sorted({f.agency for f in chosen if f.agency is not None}):
        group = [f for f in chosen if f.agency == agency]
        c = counts(group)
        c["overdueOpen"] = sum(1 for f in group if f.overdue)
        c["resolutionRate"] = rate(c["resolved"], c["received"])
        c["onTimeRate"] = rate(c["onTime"], c["resolved"])
        c["satisfactionRate"] = rate(c["satisfied"] + c["acceptable"], c["rated"])
        score = 100 * (0.3 * c["resolutionRate"] + 0.4 * c["onTimeRate"] + 0.3 * rate(
            c["satisfied"] + 0.5 * c["acceptable"], c["rated"]))
        c["score"] = round(score, 2)
        c["name"] = agencies[agency][0]
        rows.append(c)
    ranked = sorted((r for r in rows if r["received"] >= min_received), key=lambda r: (
        -r["score"], -r["onTimeRate"], -r["resolved"], folded(r["name"]), r["name"]))
    for position, r in enumerate(ranked, start=1):
        shared = position > 1 and ranked[position - 2]["score"] == r["score"]
        r["rank"] = ranked[position - 2]["rank"] if shared else position
    unranked = sorted((r for r in rows if r["received"] < min_received),
                      key=lambda r: r["name"])
    for r in unranked:
        r["rank"] = None
    return ranked + unranked


def stats(facts_: list[Fact], period: dict[str, str], category: int | None = None,
          agency: int | None = None) -> dict[str, Any]:
    every = [f for f in facts_ if in_period(f, period)
             and (category is None or f.category == category)
             and (agency is None or f.agency == agency)]
    kept = [f for f in every if f.status not in EXCLUDED]
    c = counts(kept)
    return {
        "received": c["received"], "processed": c["resolved"],
        "processedRate": rate(c["resolved"], c["received"]),
        "onTimeRate": rate(c["onTime"], c["resolved"]), "lateRate": rate(c["late"],
                                                                        c["resolved"]),
        "satisfiedRate": rate(c["satisfied"], c["rated"]),
        "acceptableRate": rate(c["acceptable"], c["rated"]),
        "unsatisfiedRate": rate(c["unsatisfied"], c["rated"]),
        "averageWorkingDays": c["averageWorkingDays"],
        "byStatus": dict(Counter(f.status for f in every)),
        "byCategory": dict(Counter(f.category for f in kept)),
    }


def daily(facts_: list[Fact]) -> list[dict[str, Any]]:
    first, last = date.fromisoformat(DAILY["from"]), date.fromisoformat(DAILY["to"])
    kept = [f for f in facts_ if f.status not in EXCLUDED]
    return [{"date": (first + timedelta(days=n)).isoformat(),
             "received": sum(1 for f in kept if f.submitted == first + timedelta(days=n)),
             "resolved": sum(1 for f in kept if f.published is not None
                             and local(f.published) == first + timedelta(days=n))}
            for n in range((last - first).days + 1)]


# --- asking the API ------------------------------------------------------------------------

RANK_FIELDS = ("rank received resolved onTime late overdueOpen satisfied acceptable "
               "unsatisfied rated resolutionRate onTimeRate satisfactionRate "
               "averageWorkingDays score agency { name }")
STATS_FIELDS = ("received processed processedRate onTimeRate lateRate satisfiedRate "
                "acceptableRate unsatisfiedRate averageWorkingDays "
                "byStatus { status count } byCategory { count category { id } }")


def arguments(period: dict[str, str], **more: Any) -> str:
    values = {**period, **more}
    if not values:
        return ""
    return "(" + ", ".join(f"{k}: {v}" if k in ("minReceived", "kind") else f'{k}: "{v}"'
                           for k, v in values.items()) + ")"


def close(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, float) or isinstance(theirs, float):
        return ours is not None and theirs is not None and math.isclose(
            ours, theirs, rel_tol=1e-12, abs_tol=1e-12)
    return bool(ours == theirs)


def same(api: dict[str, Any], mine: dict[str, Any], where: str) -> None:
    for key, value in mine.items():
        assert close(api[key], value), (where, key, api[key], value)


def features(recomputed: list[Fact], ranked: list[dict[str, Any]]) -> set[str]:
    """What a city exercised, so the test can tell the generator covered the hard cases."""
    seen = set()
    for f in recomputed:
        hour = f.submitted_at.astimezone(HUE).hour if f.submitted_at else 12
        seen |= {name for name, hit in [
            ("resolved after a reopening", f.reopened and f.published is not None),
            ("late by extension", f.extended and f.published is not None),
            ("late past the deadline", f.on_time is False and not f.extended),
            ("on time", f.on_time is True), ("overdue and open", f.overdue),
            ("submitted between 00:00 and 07:00 local", hour < 7),
            ("rated", f.satisfaction is not None)] if hit}
    ranks = [r["rank"] for r in ranked if r["rank"] is not None]
    if len(ranks) != len(set(ranks)):
        seen.add("a shared rank")
    return seen


async def compare(client: Api, town: Town, conn: Any, seen: set[str]) -> int:
    recomputed, agencies = await facts(conn)
    seen |= features(recomputed, ranking(recomputed, agencies, {}, 0))
    ids = [a.id for a in town.agencies]
    cats = {gid("Category", c.id): c.id for c in town.categories}
    compared = 0
    for period in PERIODS:
        asks: dict[str, tuple[str, str, dict[str, Any]]] = {
            "r0": ("agencyRankings", arguments(period, minReceived=0), {"min_received": 0}),
            "r3": ("agencyRankings", arguments(period, minReceived=3), {"min_received": 3}),
            "r5": ("agencyRankings", arguments(period), {"min_received": 5}),
            "gov": ("agencyRankings", arguments(period, minReceived=0, kind="GOVERNMENT"),
                    {"min_received": 0, "kind": "GOVERNMENT"}),
            "biz": ("agencyRankings", arguments(period, minReceived=0, kind="BUSINESS"),
                    {"min_received": 0, "kind": "BUSINESS"}),
            "cat": ("agencyRankings", arguments(period, minReceived=0, categoryId=gid(
                "Category", town.categories[0].id)), {"min_received": 0,
                                                      "category": town.categories[0].id}),
        }
        document = f" all: stats{arguments(period)} {{ {STATS_FIELDS} }}"
        document += f" c0: stats{arguments(period, categoryId=gid('Category', town.categories[0].id))} {{ {STATS_FIELDS} }}"  # noqa: E501
        for i, agency in enumerate(ids):
            document += f" a{i}: stats{arguments(period, agencyId=gid('Agency', agency))} {{ {STATS_FIELDS} }}"  # noqa: E501
        if period == {}:
            document += f" d: stats{arguments(DAILY)} {{ daily {{ date received resolved }} }}"
        data = await client.gql("{ " + document + " }")
        # The rankings in two more requests: each may hold every agency (10,000 of them, the
        # cost says), and a request may cost 50,000.
        half = len(asks) // 2
        for part in (list(asks)[:half], list(asks)[half:]):
            wanted = " ".join(f"{alias}: {asks[alias][0]}{asks[alias][1]} {{ {RANK_FIELDS} }}"
                              for alias in part)
            data |= await client.gql("{ " + wanted + " }")
        for alias, (_, _, options) in asks.items():
            mine = ranking(recomputed, agencies, period, **options)
            theirs = data[alias]
            where = f"{period} {alias}"
            ranked = [r for r in theirs if r["rank"] is not None]
            assert [r["agency"]["name"] for r in ranked] == [
                r["name"] for r in mine if r["rank"] is not None], where
            assert sorted(r["agency"]["name"] for r in theirs if r["rank"] is None) == [
                r["name"] for r in mine if r["rank"] is None], where
            by_name = {r["agency"]["name"]: r for r in theirs}
            for row in mine:
                same(by_name[row["name"]], {k: v for k, v in row.items() if k != "name"},
                     where)
                compared += len(row) - 1
        for alias, expected in [("all", stats(recomputed, period)),
                                ("c0", stats(recomputed, period,
                                             category=town.categories[0].id)),
                                *[(f"a{i}", stats(recomputed, period, agency=a))
                                  for i, a in enumerate(ids)]]:
            got = dict(data[alias])
            got["byStatus"] = {s["status"]: s["count"] for s in got["byStatus"]}
            got["byCategory"] = {cats[c["category"]["id"]] if c["category"] else None:
                                 c["count"] for c in got["byCategory"]}
            same(got, expected, f"{period} {alias}")
            compared += len(expected)
        if period == {}:
            assert data["d"]["daily"] == daily(recomputed)
            compared += len(data["d"]["daily"]) * 2
    return compared


# --- the test -------------------------------------------------------------------------------

def fresh_database(backend: str, request: pytest.FixtureRequest,
                   tmp_path: Path) -> Callable[[], str]:
    """A new migrated database for each generated city."""
    if backend == "sqlite":
        import shutil

        template: Path = request.getfixturevalue("sqlite_template")

        def sqlite() -> str:
            path = tmp_path / f"{uuid.uuid4().hex}.sqlite3"
            shutil.copy(template, path)
            return f"sqlite://{path}"
        return sqlite
    server = request.getfixturevalue("pg_server")
    template_name = request.getfixturevalue("pg_template")

    def postgres() -> str:
        name = f"figures_{uuid.uuid4().hex[:10]}"
        asyncio.run(pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {template_name}"))
        return f"{server.url}/{name}"
    return postgres


async def verify(url: str, city: list[Plan], tmp_path: Path, seen: set[str]) -> int:
    forget_dialect_caches()
    clock = FakeClock(NOW)
    app = create_app(Settings(database_url=url, reminder_interval_seconds=0,
                              response_cache_seconds=0, figures_cache_seconds=0,
                              media_dir=str(tmp_path / "media"),
                              media_cleanup_interval_seconds=0), clock=clock)
    async with app.router.lifespan_context(app):
        town = await build(app.state.deps, clock, city)
        client = Api(app)
        try:
            compared = await compare(client, town, app.state.db.db(), seen)
            # The aggregates kept change by change equal those rebuilt from the reports.
            assert await daily_figures.stored() == await daily_figures.computed()
            return compared
        finally:
            await client.client.aclose()


def test_every_figure_equals_an_independent_recomputation(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
):
    fresh = fresh_database(backend, request, tmp_path)
    compared: list[int] = []
    seen: set[str] = set()

    @settings(max_examples=EXAMPLES[backend], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(cities)
    def check(city: list[Plan]) -> None:
        compared.append(asyncio.run(verify(fresh(), city, tmp_path, seen)))

    check()
    # It really compared figures, thousands of them, over cities with every hard case in them.
    assert len(compared) >= EXAMPLES[backend]
    assert sum(compared) > 1000 * EXAMPLES[backend]
    assert seen == {"resolved after a reopening", "late by extension", "late past the deadline",
                    "on time", "overdue and open", "submitted between 00:00 and 07:00 local",
                    "rated", "a shared rank"}
