from __future__ import annotations

from models.enums import EventKind, Role, Status
from models.rules.policy import (
    ANONYMOUS,
    ReportFacts,
    Viewer,
    can_see_event_note,
    can_see_personal_data,
    can_see_report,
    can_see_unpublished_result,
)

REPORTER = Viewer(user_id=1, role=Role.CITIZEN)
OTHER = Viewer(user_id=2, role=Role.CITIZEN)
IOC = Viewer(user_id=3, role=Role.IOC_OPERATOR)
ADMIN = Viewer(user_id=4, role=Role.ADMIN)
STAFF = Viewer(user_id=5, role=Role.AGENCY_STAFF, agency_id=10)
OTHER_STAFF = Viewer(user_id=6, role=Role.AGENCY_STAFF, agency_id=11)


def facts(status: Status) -> ReportFacts:
    return ReportFacts(status=status, reporter_id=1, agency_id=10)


def test_unpublished_reports_only_for_reporter_and_center():
    for status in (Status.PENDING_REVIEW, Status.REJECTED, Status.MERGED):
        seen = {v for v in (ANONYMOUS, REPORTER, OTHER, IOC, ADMIN, STAFF, OTHER_STAFF)
                if can_see_report(v, facts(status))}
        assert seen == {REPORTER, IOC, ADMIN}


def test_public_reports_for_everyone():
    for v in (ANONYMOUS, REPORTER, OTHER, IOC, ADMIN, STAFF, OTHER_STAFF):
        assert can_see_report(v, facts(Status.ASSIGNED))


def test_personal_data_never_to_public_or_agencies():
    for status in Status:
        seen = {v for v in (ANONYMOUS, REPORTER, OTHER, IOC, ADMIN, STAFF, OTHER_STAFF)
                if can_see_personal_data(v, facts(status))}
        assert seen == {REPORTER, IOC, ADMIN}


def test_unpublished_result_for_center_and_assigned_agency_only():
    seen = {v for v in (ANONYMOUS, REPORTER, OTHER, IOC, ADMIN, STAFF, OTHER_STAFF)
            if can_see_unpublished_result(v, facts(Status.RESULT_SUBMITTED))}
    assert seen == {IOC, ADMIN, STAFF}


def test_the_public_reads_only_the_result_and_the_reopening_reason():
    """The contract: the public sees the notes of PUBLISHED and REOPENED only; every other
    note is for the reporter, the IOC and the assigned agency (a comment's moderation reason
    for the IOC alone, as Comment.hiddenReason)."""
    f = facts(Status.IN_PROGRESS)
    everyone = [ANONYMOUS, REPORTER, OTHER, IOC, ADMIN, STAFF, OTHER_STAFF]
    for kind in EventKind:
        seen = {v for v in everyone if can_see_event_note(v, kind, f)}
        if kind in (EventKind.PUBLISHED, EventKind.REOPENED):
            assert seen == set(everyone), kind
        elif kind is EventKind.COMMENT_HIDDEN:
            assert seen == {IOC, ADMIN}, kind
        else:
            assert seen == {REPORTER, IOC, ADMIN, STAFF}, kind
