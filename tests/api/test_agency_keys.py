"""An agency's own system acting through GraphQL with an agency key (models/actions/partners.py):
issued by an admin for the agency's service account, sent as a Bearer token; it accepts,
asks for an extension and returns a result, each on the timeline as that agency; it can do
nothing else; it is rate-limited, revocable at once (open subscriptions end), and a key of the
other kind works nowhere it does not belong."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette

from bench.world import World, gid, make_person
from models.actions import review
from models.enums import Role, Status
from models.orm.reports import ReportEvent
from models.rules import calendar
from tests.api.test_open311 import ISSUE, REVOKE, V2
from tests.support.api import Api
from web.settings import Settings

ACCEPT = """mutation($id: ID!) { acceptReport(input: {id: $id}) {
  report { status } errors { code message } } }"""
EXTEND = """mutation($id: ID!, $until: Date!) { requestExtension(input: {id: $id, until: $until,
  reason: "Chờ vật tư thay thế"}) { extensionRequest { status } errors { code } } }"""
RESULT = """mutation($id: ID!) { submitResult(input: {id: $id,
  text: "Đã thay bóng đèn"}) { report { status } errors { code } } }"""
INBOX = "{ agencyInbox(first: 10) { nodes { id status } } }"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=0, figures_cache_seconds=0,
                    media_dir=str(tmp_path / "media"), media_cleanup_interval_seconds=0,
                    rate_limits=(("agencyKey", "5/minute"),))


async def issue(api: Api, world: World, user_id: int) -> dict[str, object]:
    data = await api.gql(ISSUE, {"input": {"userId": gid("User", user_id),
                                           "name": "Hệ thống điều hành của công ty"}},
                         world.admin.token)
    payload: dict[str, object] = data["issueApiKey"]
    return payload


async def test_an_agency_system_does_its_work_with_its_key(app: Starlette, api: Api,
                                                           world: World):
    system = await make_person(world.deps, Role.AGENCY_STAFF, world.agency_a,
                               name="Hệ thống EVN Huế")
    issued = await issue(api, world, system.id)
    key = str(issued["key"])
    assert key.startswith("agk_")
    report = await world.report(Status.ASSIGNED)
    rid = gid("Report", report.id)

    inbox = await api.gql(INBOX, token=key)
    assert rid in [n["id"] for n in inbox["agencyInbox"]["nodes"]]
    accepted = await api.gql(ACCEPT, {"id": rid}, key)
    assert accepted["acceptReport"] == {"report": {"status": "IN_PROGRESS"}, "errors": []}
    until = calendar.local_date(report.due_at) + timedelta(days=5)
    extended = await api.gql(EXTEND, {"id": rid, "until": until.isoformat()}, key)
    assert extended["requestExtension"]["errors"] == []
    done = await api.gql(RESULT, {"id": rid}, key)
    assert done["submitResult"]["report"]["status"] == "RESULT_SUBMITTED"
    # On the timeline as that agency's account.
    steps = await ReportEvent.filter(report_id=report.id, actor_id=system.id).order_by("id")
    assert [e.kind.value for e in steps] == ["ACCEPTED", "EXTENSION_REQUESTED",
                                             "RESULT_SUBMITTED"]
    assert {(e.actor_role, e.agency_id) for e in steps} == {(Role.AGENCY_STAFF,
                                                             world.agency_a.id)}

    # Nothing a person does: commenting, signing out, renewing.
    comment = await api.gql("""mutation($id: ID!) { addComment(input: {reportId: $id,
      body: "Máy bình luận"}) { errors { code } } }""", {"id": rid}, key)
    assert comment["addComment"]["errors"][0]["code"] == "FORBIDDEN"
    logout = await api.gql("mutation { logout { errors { code } } }", token=key)
    assert logout["logout"]["errors"][0]["code"] == "FORBIDDEN"
    # Another agency's report is refused as it is to that agency's staff.
    pending = await world.report(Status.PENDING_REVIEW)
    await review.assign_report(world.deps, world.ioc.viewer, pending.id, world.agency_b.id)
    theirs = await api.gql(ACCEPT, {"id": gid("Report", pending.id)}, key)
    assert theirs["acceptReport"]["errors"][0]["code"] == "FORBIDDEN"

async def test_keys_are_limited_revocable_and_of_one_kind(app: Starlette, api: Api,
                                                          world: World):
    system = await make_person(world.deps, Role.AGENCY_STAFF, world.agency_a)
    issued = await issue(api, world, system.id)
    key = str(issued["key"])
    reports = [await world.report(Status.ASSIGNED) for _ in range(6)]
    answers = [await api.gql(ACCEPT, {"id": gid("Report", r.id)}, key) for r in reports]
    codes = [a["acceptReport"]["errors"][0]["code"] if a["acceptReport"]["errors"] else "OK"
             for a in answers]
    assert codes == ["OK"] * 5 + ["RATE_LIMITED"]  # agencyKey=5/minute here

    # An Open311 partner's key is not a Bearer token; an agency key is not an Open311 key.
    citizen_key = str((await issue(api, world, world.other_citizen.id))["key"])
    assert citizen_key.startswith("o311_")
    assert await api.token_refused(citizen_key) == "TOKEN_INVALID"
    form = {"api_key": key, "service_code": world.category.code, "lat": "16.46",
            "long": "107.59", "description": "Đèn đường hỏng"}
    assert (await api.client.post(f"{V2}/requests.json", data=form)).status_code == 403

    # Revoked: refused at once.
    api_key_id = issued["apiKey"]["id"]  # type: ignore[index]
    revoked = await api.gql(REVOKE, {"id": api_key_id}, world.admin.token)
    assert revoked["revokeApiKey"]["errors"] == []
    assert await api.token_refused(key) == "TOKEN_REVOKED"
    assert await app.state.auth.problems([key]) == {key: "TOKEN_REVOKED"}


async def test_keys_are_not_issued_for_the_ioc(api: Api, world: World):
    refused = await issue(api, world, world.ioc.id)
    assert refused["errors"][0]["code"] == "VALIDATION"  # type: ignore[index]
