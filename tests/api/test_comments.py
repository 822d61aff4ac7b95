"""Comments: who may write where, replies, the 60-second rule (also under a race), moderation."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bench.world import World, gid
from models.actions import participation
from models.enums import Status
from models.orm.participation import Comment
from models.orm.reports import Report, ReportEvent
from tests.support.api import Api
from tests.support.clock import FakeClock

ADD = """mutation($input: AddCommentInput!) { addComment(input: $input) {
  comment { id body author { displayName badge agency { name } } parent { id } }
  errors { code field message retryAfterSeconds } } }"""
HIDE = """mutation($input: HideCommentInput!) { hideComment(input: $input) {
  comment { id hidden body hiddenReason } errors { code field } } }"""
COMMENTS = """query($id: ID!, $first: Int, $after: String) { report(id: $id) { commentCount
  comments(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id body hidden hiddenNotice hiddenReason author { displayName badge } } } } }"""


async def add(api: Api, token: str | None, report_id: int, body: str,
              parent: str | None = None) -> dict[str, Any]:
    variables = {"input": {"reportId": gid("Report", report_id), "body": body, "parentId": parent}}
    payload: dict[str, Any] = (await api.gql(ADD, variables, token))["addComment"]
    return payload


async def test_comment_reply_badges_and_timeline(api: Api, world: World, clock: FakeClock):
    report = await world.report(Status.IN_PROGRESS)
    first = await add(api, world.other_citizen.token, report.id, "  Ở đây cũng vậy, rác nhiều!  ")
    assert first["errors"] == []
    assert first["comment"]["body"] == "Ở đây cũng vậy, rác nhiều!"
    assert first["comment"]["author"] == {"displayName": world.other_citizen.name,
                                          "badge": "CITIZEN", "agency": None}
    reply = await add(api, world.staff_a.token, report.id, "Đơn vị đang xử lý.",
                      first["comment"]["id"])
    assert reply["errors"] == []
    # Staff speak for their agency, not as themselves.
    assert reply["comment"]["author"] == {"displayName": world.agency_a.name, "badge": "AGENCY",
                                          "agency": {"name": world.agency_a.name}}
    assert reply["comment"]["parent"] == {"id": first["comment"]["id"]}
    ioc = await add(api, world.ioc.token, report.id, "IOC đã chuyển đơn vị xử lý.")
    assert ioc["comment"]["author"]["badge"] == "IOC"
    data = await api.gql(COMMENTS, {"id": gid("Report", report.id)})
    assert data["report"]["commentCount"] == 3
    assert [c["body"] for c in data["report"]["comments"]["nodes"]] == [
        "Ở đây cũng vậy, rác nhiều!", "Đơn vị đang xử lý.", "IOC đã chuyển đơn vị xử lý."]
    kinds = await ReportEvent.filter(report_id=report.id, kind="COMMENTED").count()
    assert kinds == 3


async def test_where_and_who_may_comment(api: Api, world: World):
    pending = await world.report(Status.PENDING_REVIEW)
    public = await world.report(Status.ASSIGNED)
    other = await world.report(Status.ASSIGNED)
    # Not on a report that is not public (even its own reporter), not anonymously.
    result = await add(api, world.citizen.token, pending.id, "Sao chưa xử lý?")
    assert [e["code"] for e in result["errors"]] == ["INVALID_TRANSITION"]
    result = await add(api, world.other_citizen.token, pending.id, "Xin chào")
    assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]
    result = await add(api, None, public.id, "Xin chào")
    assert [e["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
    # Replies stay within their report.
    parent = await add(api, world.citizen.token, other.id, "Bình luận ở báo cáo khác")
    result = await add(api, world.other_citizen.token, public.id, "Trả lời",
                       parent["comment"]["id"])
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_FOUND", "parentId")]
    for body in ("", "   ", "x" * 2001, "a\u0000b"):
        result = await add(api, world.other_citizen.token, public.id, body)
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("VALIDATION", "body")]
    assert await Comment.filter(report_id=public.id).count() == 0
    assert (await add(api, world.other_citizen.token, public.id, "x" * 2000))["errors"] == []


async def test_one_comment_per_minute(api: Api, world: World, clock: FakeClock):
    report = await world.report(Status.ASSIGNED)
    assert (await add(api, world.citizen.token, report.id, "Lần một"))["errors"] == []
    clock.advance(seconds=20)
    refused = await add(api, world.citizen.token, report.id, "Lần hai")
    assert [(e["code"], e["retryAfterSeconds"]) for e in refused["errors"]] == [
        ("RATE_LIMITED", 40)]
    # Someone else is not held back by it.
    assert (await add(api, world.other_citizen.token, report.id, "Tôi nữa"))["errors"] == []
    clock.advance(seconds=40)
    assert (await add(api, world.citizen.token, report.id, "Lần hai"))["errors"] == []
    assert await Comment.filter(author_id=world.citizen.id).count() == 2


async def test_an_interval_of_zero_is_no_limit(world: World):
    """COMMENT_INTERVAL_SECONDS=0 (benchmarks, imports): comments made at once through two
    processes all pass, although the second process's clock is a few ms behind the first's."""
    at = world.deps.now()

    def clock(skew: timedelta) -> Callable[[], datetime]:
        return lambda: at + skew

    ahead, behind = (dataclasses.replace(world.deps, comment_interval_seconds=0,
                                         clock=clock(skew))
                     for skew in (timedelta(milliseconds=5), timedelta(0)))
    report = await world.report(Status.ASSIGNED)
    await participation.add_comment(ahead, world.citizen.viewer, report.id, "Bên này")
    await participation.add_comment(behind, world.citizen.viewer, report.id, "Bên kia")
    assert (await Report.get(id=report.id)).comment_count == 2


async def test_two_comments_at_the_same_moment_only_one_passes(api: Api, world: World):
    report = await world.report(Status.ASSIGNED)
    results = await asyncio.gather(*(
        add(api, world.citizen.token, report.id, f"Cùng lúc {i}") for i in range(5)
    ))
    passed = [r for r in results if not r["errors"]]
    limited = [r for r in results if r["errors"]]
    assert len(passed) == 1, results
    assert all(r["errors"][0]["code"] == "RATE_LIMITED" for r in limited)
    assert await Comment.filter(report_id=report.id).count() == 1
    assert (await Report.get(id=report.id)).comment_count == 1


async def test_hidden_comments(api: Api, world: World, clock: FakeClock):
    report = await world.report(Status.ASSIGNED)
    bad = await add(api, world.other_citizen.token, report.id, "Nội dung xúc phạm")
    clock.advance(minutes=2)
    await add(api, world.other_citizen.token, report.id, "Nội dung bình thường")
    cid = bad["comment"]["id"]
    for who in (world.citizen, world.staff_a, world.admin):
        refused = await api.gql(HIDE, {"input": {"id": cid, "reason": "Xúc phạm"}}, who.token)
        assert refused["hideComment"]["errors"][0]["code"] == "FORBIDDEN"
    hidden = await api.gql(HIDE, {"input": {"id": cid, "reason": "Ngôn từ xúc phạm"}},
                           world.ioc.token)
    assert hidden["hideComment"]["comment"] == {"id": cid, "hidden": True,
                                                "body": "Nội dung xúc phạm",
                                                "hiddenReason": "Ngôn từ xúc phạm"}
    again = await api.gql(HIDE, {"input": {"id": cid, "reason": "Lại"}}, world.ioc.token)
    assert again["hideComment"]["errors"][0]["code"] == "INVALID_TRANSITION"
    public = (await api.gql(COMMENTS, {"id": gid("Report", report.id)}))["report"]
    assert public["commentCount"] == 1
    assert public["comments"]["totalCount"] == 2
    first = public["comments"]["nodes"][0]
    assert (first["body"], first["hidden"], first["hiddenReason"]) == (None, True, None)
    assert first["hiddenNotice"]
    ioc = (await api.gql(COMMENTS, {"id": gid("Report", report.id)}, world.ioc.token))["report"]
    assert ioc["comments"]["nodes"][0]["body"] == "Nội dung xúc phạm"
    assert await ReportEvent.filter(report_id=report.id, kind="COMMENT_HIDDEN").count() == 1


async def test_comment_pages(api: Api, world: World, clock: FakeClock):
    report = await world.report(Status.ASSIGNED)
    for i in range(5):
        clock.advance(minutes=1)
        await add(api, world.other_citizen.token, report.id, f"Bình luận {i}")
    seen, after = [], None
    while True:
        page = (await api.gql(COMMENTS, {"id": gid("Report", report.id), "first": 2,
                                         "after": after}))["report"]["comments"]
        seen += [n["body"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"Bình luận {i}" for i in range(5)]
