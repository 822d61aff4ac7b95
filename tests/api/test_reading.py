"""Reading: keyset pages, filters, diacritic-blind search, inbox and review queue, directory."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bench.world import World, gid
from models.actions import handling, review, submission
from models.enums import Status
from tests.support.api import Api, count_queries
from tests.support.clock import FakeClock

PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $filter: ReportFilter,
  $orderBy: ReportOrder) {
  reports(first: $first, after: $after, last: $last, before: $before, filter: $filter,
          orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title status } }
  } }"""

IDS = """query($filter: ReportFilter) { reports(first: 100, filter: $filter) {
  totalCount nodes { id } } }"""


async def ids(api: Api, filter: dict[str, Any], token: str | None = None) -> set[str]:
    data = await api.gql(IDS, {"filter": filter}, token)
    nodes = data["reports"]["nodes"]
    assert data["reports"]["totalCount"] == len(nodes)
    return {n["id"] for n in nodes}


async def public_reports(world: World, clock: FakeClock, n: int) -> list[str]:
    made = []
    for i in range(n):
        clock.advance(minutes=1)
        r = await world.report(Status.ASSIGNED, description=f"Phản ánh số {i}")
        made.append(gid("Report", r.id))
    return made


async def test_pages_have_no_gap_or_duplicate_while_reports_arrive(
    api: Api, world: World, clock: FakeClock
):
    made = await public_reports(world, clock, 7)
    seen: list[str] = []
    after = None
    while True:
        data = (await api.gql(PAGE, {"first": 3, "after": after}))["reports"]
        seen += [e["node"]["id"] for e in data["edges"]]
        # New reports arrive between pages: they are newer, so they never shift later pages.
        clock.advance(minutes=1)
        await world.report(Status.ASSIGNED, description="Phản ánh mới trong lúc đọc")
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == list(reversed(made))
    assert len(set(seen)) == len(seen)


async def test_backward_pages_and_page_info(api: Api, world: World, clock: FakeClock):
    made = list(reversed(await public_reports(world, clock, 5)))  # newest first
    first = (await api.gql(PAGE, {"first": 2}))["reports"]
    assert [e["node"]["id"] for e in first["edges"]] == made[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["totalCount"] == 5
    last = (await api.gql(PAGE, {"last": 2}))["reports"]
    assert [e["node"]["id"] for e in last["edges"]] == made[-2:]
    assert last["pageInfo"]["hasPreviousPage"] is True
    before = (await api.gql(PAGE, {"last": 2, "before": last["pageInfo"]["startCursor"]}))
    assert [e["node"]["id"] for e in before["reports"]["edges"]] == made[1:3]


async def test_orderings(api: Api, world: World, clock: FakeClock):
    made = await public_reports(world, clock, 3)
    oldest = await api.gql(PAGE, {"first": 10, "orderBy": "OLDEST"})
    assert [e["node"]["id"] for e in oldest["reports"]["edges"]] == made
    due = await api.gql(PAGE, {"first": 10, "orderBy": "DUE_SOON"})
    assert [e["node"]["id"] for e in due["reports"]["edges"]] == made
    # A cursor from one ordering is refused by another.
    cursor = oldest["reports"]["pageInfo"]["endCursor"]
    errors = await api.errors(PAGE, {"first": 10, "after": cursor, "orderBy": "NEWEST"})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "after"}


@pytest.mark.parametrize("first", [0, -1, 101, 100000])
async def test_first_out_of_range(api: Api, first: int):
    errors = await api.errors(PAGE, {"first": first})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "first"}
    assert "between 1 and 100" in errors[0]["message"]


@pytest.mark.parametrize("cursor", ["nonsense", "", "W10", "WyJORVdFU1QiLCAxLCAieCJd"])
async def test_malformed_cursor(api: Api, cursor: str):
    errors = await api.errors(PAGE, {"first": 5, "after": cursor})
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert errors[0]["extensions"]["field"] == "after"


async def test_text_search_ignores_diacritics_and_case(api: Api, world: World):
    road = await world.report(Status.ASSIGNED, title="Ổ gà trên Đường Trần Hưng Đạo",
                              description="Mặt đường hư hỏng nặng")
    other = await world.report(Status.ASSIGNED, title="Mất nước sinh hoạt",
                               description="Khu vực Kim Long mất nước")
    road_id, other_id = gid("Report", road.id), gid("Report", other.id)
    # Both have the address "đường Lê Lợi"; only one has "Đường Trần Hưng Đạo".
    assert await ids(api, {"text": "duong"}) == {road_id, other_id}
    assert await ids(api, {"text": "ĐƯỜNG trần"}) == {road_id}
    assert await ids(api, {"text": "hu hong"}) == {road_id}
    assert await ids(api, {"text": "tran hung dao"}) == {road_id}
    assert await ids(api, {"text": "hung dao  o ga"}) == {road_id}  # words in any order
    assert await ids(api, {"text": "nuoc"}) == {other_id}
    assert await ids(api, {"text": "le loi"}) == {road_id, other_id}  # the address
    assert await ids(api, {"text": "100%_"}) == set()  # LIKE wildcards are literal


async def test_filters(api: Api, world: World, clock: FakeClock):
    a = await world.report(Status.ASSIGNED)
    clock.advance(days=3)
    b = await world.report(Status.IN_PROGRESS)
    c = await submission.submit_report(world.deps, world.citizen.viewer, submission.NewReport(
        description="Rác ngoài vùng", location=submission.Location(10.77, 106.70)))
    await review.assign_report(world.deps, world.ioc.viewer, c.id, world.agency_b.id)
    ga, gb, gc = (gid("Report", r.id) for r in (a, b, c))
    assert await ids(api, {"statuses": ["IN_PROGRESS"]}) == {gb}
    assert await ids(api, {"agencyIds": [gid("Agency", world.agency_b.id)]}) == {gc}
    assert await ids(api, {"categoryIds": [gid("Category", world.category.id)]}) == {ga, gb}
    hue = {"south": 16.3, "west": 107.4, "north": 16.6, "east": 107.8}
    assert await ids(api, {"bbox": hue}) == {ga, gb}
    cutoff = (a.submitted_at + timedelta(hours=1)).isoformat()
    assert await ids(api, {"submittedAfter": cutoff}) == {gb, gc}
    assert await ids(api, {"submittedBefore": cutoff}) == {ga}
    assert await ids(api, {"overdue": True}) == set()
    assert a.due_at < b.due_at
    clock.now = a.due_at + timedelta(seconds=1)
    assert await ids(api, {"overdue": True}) == {ga}
    assert await ids(api, {"overdue": False}) == {gb, gc}
    data = await api.gql("query($id: ID!) { report(id: $id) { overdue } }", {"id": ga})
    assert data["report"]["overdue"] is True


async def test_bad_filters_name_the_field(api: Api):
    bad_box = {"south": 17, "west": 107, "north": 16, "east": 108}
    errors = await api.errors(IDS, {"filter": {"bbox": bad_box}})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "filter.bbox"}
    errors = await api.errors(IDS, {"filter": {"agencyIds": ["not-an-id"]}})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "filter.agencyIds"}
    errors = await api.errors(IDS, {"filter": {"text": "a\u0000b"}})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "filter.text"}


async def test_my_reports_inbox_and_review_queue(api: Api, world: World):
    mine = await world.report(Status.PENDING_REVIEW)
    theirs = await world.report(Status.ASSIGNED, by=world.other_citizen)
    working = await world.report(Status.IN_PROGRESS)
    waiting = await world.report(Status.RESULT_SUBMITTED)
    done = await world.report(Status.RESOLVED)
    assert {n["id"] for n in (await api.gql("{ myReports(first: 50) { nodes { id } } }",
                                            token=world.citizen.token))["myReports"]["nodes"]} == {
        gid("Report", r.id) for r in (mine, working, waiting, done)}
    inbox = await api.gql("{ agencyInbox(first: 50) { nodes { id } } }", token=world.staff_a.token)
    assert {n["id"] for n in inbox["agencyInbox"]["nodes"]} == {
        gid("Report", r.id) for r in (theirs, working, waiting)}
    other_inbox = await api.gql("{ agencyInbox(first: 50) { nodes { id } } }",
                                token=world.staff_b.token)
    assert other_inbox["agencyInbox"]["nodes"] == []
    queue = await api.gql("{ reviewQueue(first: 50) { nodes { id status } } }",
                          token=world.ioc.token)
    assert {n["id"] for n in queue["reviewQueue"]["nodes"]} == {
        gid("Report", r.id) for r in (mine, waiting)}
    # An open extension request puts a report in the queue too.
    await handling.request_extension(world.deps, world.staff_a.viewer, working.id,
                                     working.due_at.date() + timedelta(days=5), "Chờ vật tư")
    queue = await api.gql("{ reviewQueue(first: 50) { totalCount } }", token=world.ioc.token)
    assert queue["reviewQueue"]["totalCount"] == 3
    for who, query, code in [
        (None, "{ myReports(first: 5) { totalCount } }", "UNAUTHENTICATED"),
        (world.citizen, "{ agencyInbox(first: 5) { totalCount } }", "FORBIDDEN"),
        (world.staff_a, "{ reviewQueue(first: 5) { totalCount } }", "FORBIDDEN"),
    ]:
        errors = await api.errors(query, token=who.token if who else None)
        assert errors[0]["extensions"]["code"] == code


async def test_directory_and_nodes(api: Api, world: World):
    data = await api.gql("""{ categories { id code name } agencies { id name kind level }
      business: agencies(kind: BUSINESS) { name } }""")
    # The standard categories come with the migrations, in Vietnamese.
    assert {c["code"]: c["name"] for c in data["categories"]}["TTHC"] == (
        "Thủ tục hành chính / thái độ cán bộ")
    assert len(data["categories"]) == 9  # 8 standard + the world's own
    assert {a["name"] for a in data["business"]} == {world.agency_a.name}
    agency_id = gid("Agency", world.agency_a.id)
    data = await api.gql("""query($id: ID!, $ids: [ID!]!) { agency(id: $id) { name kind }
      nodes(ids: $ids) { __typename id } }""",
                         {"id": agency_id, "ids": [agency_id, gid("Category", world.category.id),
                                                   gid("Report", 999999)]})
    assert data["agency"] == {"name": world.agency_a.name, "kind": "BUSINESS"}
    assert [n and n["__typename"] for n in data["nodes"]] == ["Agency", "Category", None]


async def test_report_by_code(api: Api, world: World):
    report = await world.report(Status.ASSIGNED)
    code = report.code
    assert code.startswith("PA-2026-")
    data = await api.gql("query($c: String!) { report(code: $c) { id code } }", {"c": code.lower()})
    assert data["report"] == {"id": gid("Report", report.id), "code": code}
    errors = await api.errors("{ report(code: \"PA-12\") { id } }")
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "code"}


LIST_EVERYTHING = """query($first: Int!) { reports(first: $first) { totalCount edges { node {
  id code title category { name } agency { name parent { name } } media { url }
  location { latitude } timeline { kind agency { name } } reporter { phone }
  result { text media { url } } extensionRequests { status } duplicateOf { id } } } } }"""


async def test_a_page_costs_the_same_number_of_queries_whatever_its_size(
    api: Api, world: World, clock: FakeClock
):
    for _ in range(12):
        clock.advance(minutes=1)
        await world.report(Status.RESOLVED)
    counts = {}
    for first in (1, 5, 12):
        with count_queries() as statements:
            data = await api.gql(LIST_EVERYTHING, {"first": first}, world.ioc.token)
        assert len(data["reports"]["edges"]) == first
        counts[first] = len(statements)
    assert counts[1] == counts[5] == counts[12], counts
    assert counts[12] <= 10, counts


INBOX = """query($first: Int!) { agencyInbox(first: $first) { totalCount nodes {
  id code title status dueAt overdue category { name } agency { name } timeline { kind }
  extensionRequests { status } reporter { phone } } } }"""


async def test_inbox_and_nodes_cost_a_constant_number_of_queries(
    api: Api, world: World, clock: FakeClock
):
    made = []
    for _ in range(10):
        clock.advance(minutes=1)
        made.append(gid("Report", (await world.report(Status.IN_PROGRESS)).id))
    counts = {}
    for first in (1, 10):
        with count_queries() as statements:
            data = await api.gql(INBOX, {"first": first}, world.staff_a.token)
        assert len(data["agencyInbox"]["nodes"]) == first
        counts[first] = len(statements)
    assert counts[1] == counts[10], counts
    node_counts = {}
    for n in (1, 10):
        with count_queries() as statements:
            data = await api.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                 {"ids": made[:n]})
        assert [x["id"] for x in data["nodes"]] == made[:n]
        node_counts[n] = len(statements)
    assert node_counts[1] == node_counts[10], node_counts


WALL = """query($first: Int!) { reports(first: $first) { edges { cursor node {
  id code title status submittedAt dueAt overdue category { name } agency { name }
  location { latitude longitude address } media { url kind } commentCount supportCount
  rating { satisfaction } lastEvent { seq kind at toStatus } } } } }"""
INBOX_LIGHT = """query($first: Int!) { agencyInbox(first: $first) { nodes {
  id code title status dueAt overdue category { name } lastEvent { kind at } } } }"""


async def test_the_wall_and_the_inbox_cost_at_most_five_queries_for_1_10_or_100_items(
    api: Api, world: World, clock: FakeClock
):
    for _ in range(100):
        clock.advance(minutes=1)
        await world.report(Status.IN_PROGRESS)
    wall, inbox = {}, {}
    for first in (1, 10, 100):
        with count_queries() as statements:
            data = await api.gql(WALL, {"first": first})
        assert len(data["reports"]["edges"]) == first
        assert data["reports"]["edges"][0]["node"]["lastEvent"]["kind"] == "ACCEPTED"
        wall[first] = len(statements)
        with count_queries() as statements:
            data = await api.gql(INBOX_LIGHT, {"first": first}, world.staff_a.token)
        assert len(data["agencyInbox"]["nodes"]) == first
        inbox[first] = len(statements)
    # Wall: page, category, agency, media, rating, last event.
    assert wall[1] == wall[10] == wall[100] <= 6, wall
    # Inbox: who is asking (token), page, category, last event.
    assert inbox[1] == inbox[10] == inbox[100] <= 5, inbox
