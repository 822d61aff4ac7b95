"""An event empties only the cached answers it can change: proven by comparison, not by reading
the tags. After every step of a random walk through the lifecycle (assignments, results,
ratings, comments hidden and shown, support, merges, rejections), made here or by "another
process" whose events only reach this one through the hub, every public query's cached answer
must equal the same query computed afresh."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import random
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import pytest
from starlette.applications import Starlette

from bench.world import World, gid
from models.actions import handling, participation, review, submission
from models.deps import Deps
from models.enums import Satisfaction, Status
from models.errors import DomainError
from models.orm.reports import Report
from realtime import answer_tags
from tests.support.api import Api
from tests.support.clock import FakeClock
from web.settings import Settings

EVENT = "seq kind toStatus"
REPORT = f"""id code title status supportCount commentCount updatedAt onTime workingDays
  rating {{ satisfaction }} lastEvent {{ {EVENT} }} timeline {{ {EVENT} note }}
  comments(first: 20) {{ totalCount nodes {{ body hidden }} }} duplicateOf {{ id status }}
  agency {{ name }} category {{ name }} reporter {{ displayName }}"""
STEPS = 60


def queries(report_ids: list[int]) -> dict[str, str]:
    found = {
        "wall": f"{{ reports(first: 20) {{ totalCount nodes {{ {REPORT} }} }} }}",
        "support order": "{ reports(first: 5, orderBy: SUPPORT) { nodes { id supportCount } } }",
        "resolved only": '{ reports(first: 10, filter: {statuses: [RESOLVED]}) '
                         '{ totalCount nodes { id rating { satisfaction } } } }',
        "stats": "{ stats { received processed onTime late satisfied acceptable unsatisfied "
                 "averageWorkingDays byStatus { status count } } }",
        "rankings": "{ agencyRankings(minReceived: 0) { rank received resolved onTimeRate "
                    "agency { name } } }",
        "directory": "{ categories { name } agencies { name } }",
        "two roots": "{ me { id } reports(first: 3) { nodes { id status } } }",
    }
    for rid in report_ids:
        found[f"report {rid}"] = f'{{ report(id: "{gid("Report", rid)}") {{ {REPORT} }} }}'
        found[f"node {rid}"] = (f'{{ node(id: "{gid("Report", rid)}") '
                                f'{{ ... on Report {{ status supportCount }} }} }}')
    return found


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=600, figures_cache_seconds=600,
                    rate_limits=(("supportReport", "0"), ("withdrawSupport", "0"),
                                 ("rateReport", "0"), ("requests_ip", "0")),
                    comment_interval_seconds=0)


_fresh = itertools.count()


async def ask(api: Api, query: str, *, fresh: bool) -> tuple[str | None, Any]:
    """The cached answer, or one computed now (a new root alias makes a key never seen)."""
    text = query.replace("{", f"{{ fresh{next(_fresh)}: __typename ", 1) if fresh else query
    response = await api.client.post("/graphql", json={"query": text})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data = {k: v for k, v in body["data"].items() if not k.startswith("fresh")}
    return response.headers.get("x-cache"), data


Action = Callable[[Deps], Awaitable[Any]]
PUBLIC = {Status.ASSIGNED, Status.IN_PROGRESS, Status.RESULT_SUBMITTED, Status.RESOLVED}
ANY = set(Status)


def step_for(world: World, rng: random.Random, status_of: dict[int, Status],
             reports: list[int], comments: list[int]) -> tuple[str, Action, bool]:
    """A step the report's status allows (name, what it does, whether an event announces it),
    so that the walk really moves reports into, out of and within the lists."""
    ioc, staff = world.ioc.viewer, world.staff_a.viewer
    citizen = rng.choice([world.citizen, world.other_citizen])

    async def comment(d: Deps, rid: int) -> None:
        made = await participation.add_comment(d, citizen.viewer, rid, f"Ý kiến {rng.random()}")
        comments.append(made.id)

    async def hide(d: Deps, rid: int) -> None:
        if comments:
            await participation.hide_comment(d, ioc, rng.choice(comments), "Lời lẽ không phù hợp.")

    async def submit(d: Deps, rid: int) -> None:
        made = await submission.submit_report(d, citizen.viewer, submission.NewReport(
            description=f"Đèn đường hỏng số {rng.randrange(1000)}",
            category_id=world.category.id))
        reports.append(made.id)

    def into(rid: int) -> int:
        public = [r for r, s in status_of.items() if s in PUBLIC and r != rid]
        return rng.choice(public) if public else rid

    steps: list[tuple[str, set[Status], Callable[[Deps, int], Awaitable[Any]], bool]] = [
        ("assign", {Status.PENDING_REVIEW},
         lambda d, r: review.assign_report(d, ioc, r, world.agency_a.id), True),
        ("reject", {Status.PENDING_REVIEW},
         lambda d, r: review.reject_report(d, ioc, r, "Trùng lặp."), True),
        ("merge", {Status.PENDING_REVIEW},
         lambda d, r: review.merge_report(d, ioc, r, into(r)), True),
        ("accept", {Status.ASSIGNED}, lambda d, r: handling.accept_report(d, staff, r), True),
        ("result", {Status.IN_PROGRESS},
         lambda d, r: handling.submit_result(d, staff, r, "Đã xử lý xong."), True),
        ("publish", {Status.RESULT_SUBMITTED},
         lambda d, r: review.publish_result(d, ioc, r), True),
        ("rate", {Status.RESOLVED}, lambda d, r: participation.rate_report(
            d, world.citizen.viewer, r, rng.choice(list(Satisfaction)), None), True),
        ("contest", {Status.RESOLVED}, lambda d, r: participation.contest_result(
            d, world.citizen.viewer, r, "Chưa xử lý triệt để."), True),
        ("reopen", {Status.RESOLVED}, lambda d, r: review.reopen_report(d, ioc, r, "Làm lại."),
         True),
        ("support", PUBLIC, lambda d, r: participation.support_report(d, citizen.viewer, r),
         True),
        ("withdraw", PUBLIC, lambda d, r: participation.withdraw_support(d, citizen.viewer, r),
         False),
        ("comment", PUBLIC, comment, True),
        ("hide", ANY, hide, True),
        ("submit", ANY, submit, True),
    ]
    name, allowed, act, announced = rng.choice(steps)
    candidates = [r for r, s in status_of.items() if s in allowed] or reports
    rid = rng.choice(candidates)

    async def run(d: Deps) -> Any:
        return await act(d, rid)

    return name, run, announced


async def test_cached_answers_equal_fresh_ones_after_every_change(
    app: Starlette, api: Api, world: World, clock: FakeClock
):
    rng = random.Random(20261129)
    local: Deps = app.state.deps
    # Another process: same database, its events reach this one only through the hub.
    elsewhere = dataclasses.replace(local, publish=_nothing, changed=lambda: None)
    reports = [(await world.report(s)).id for s in (
        Status.PENDING_REVIEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESULT_SUBMITTED,
        Status.RESOLVED, Status.RESOLVED)]
    comments: list[int] = []
    await app.state.hub.catch_up()
    kept_through = compared = 0
    for step in range(STEPS):
        asked = queries(reports)
        for query in asked.values():
            await ask(api, query, fresh=False)  # kept, or computed and kept
        status_of = dict(await Report.filter(id__in=reports).values_list("id", "status"))
        name, act, announced = step_for(world, rng, status_of, reports, comments)
        here = not announced or rng.random() < 0.5
        clock.advance(seconds=90)
        with contextlib.suppress(DomainError):  # not allowed in this state: nothing changed
            await act(local if here else elsewhere)
        if not here:
            await app.state.hub.catch_up()
        await app.state.refresher.idle()
        cached = {label: await ask(api, query, fresh=False) for label, query in asked.items()}
        app.state.memo.invalidate()  # fresh means fresh: not even the figures memo
        for label, query in asked.items():
            state, answer = cached[label]
            _, fresh = await ask(api, query, fresh=True)
            assert answer == fresh, (step, name, "here" if here else "elsewhere", label)
            compared += 1
            kept_through += state == "HIT"
    # It compared many answers, and most of them really came from the cache: events that do
    # not concern an answer left it where it was.
    assert compared > 20 * STEPS
    assert kept_through > compared // 2, (kept_through, compared)


async def _nothing(*_: object) -> None:
    return None


def test_what_events_change():
    class E:
        def __init__(self, kind: str, report_id: int = 7, from_status: Status | None = None,
                     to_status: Status | None = None) -> None:
            from models.enums import EventKind
            self.kind, self.report_id = EventKind(kind), report_id
            self.from_status, self.to_status = from_status, to_status

    r7: Hashable = answer_tags.report(7)
    every, lists, figures = answer_tags.EVERY, answer_tags.LISTS, answer_tags.FIGURES

    def tags(*events: E) -> set[Hashable] | None:
        found = answer_tags.of_events(events)
        return None if found is None else set(found)

    assert tags(E("COMMENTED")) == {every, r7}
    assert tags(E("SUPPORTED")) == {every, r7, lists}
    assert tags(E("RATED")) == {every, r7, figures}
    # Not public yet: no public list moves.
    assert tags(E("SUBMITTED", to_status=Status.PENDING_REVIEW)) == {every, r7, figures}
    assigned = E("ASSIGNED", from_status=Status.PENDING_REVIEW, to_status=Status.ASSIGNED)
    assert lists in (tags(assigned) or ())
    assert tags(E("MERGED", to_status=Status.MERGED)) is None


async def test_popular_answers_are_recomputed_once_in_the_background(
    app: Starlette, api: Api, world: World
):
    report = await world.report(Status.ASSIGNED)
    await app.state.hub.catch_up()
    wall = "{ reports(first: 5) { nodes { id commentCount } } }"
    rare = "{ reports(first: 4) { nodes { id commentCount } } }"
    for _ in range(3):
        await ask(api, wall, fresh=False)  # read again and again: popular
    await ask(api, rare, fresh=False)  # computed once, never read again
    refresher = app.state.refresher
    before = refresher.recomputed
    await participation.add_comment(app.state.deps, world.citizen.viewer, report.id, "Đúng vậy.")
    await refresher.idle()
    assert refresher.recomputed == before + 1  # the popular one, once
    state, data = await ask(api, wall, fresh=False)
    assert state == "HIT"  # the next reader did not compute it
    assert data["reports"]["nodes"][0]["commentCount"] == 1  # and it is the new answer
    assert (await ask(api, rare, fresh=False))[0] == "MISS"
