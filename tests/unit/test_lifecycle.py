"""The transition table: every action from every state, for every kind of actor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.enums import Role, Status
from models.errors import Forbidden, InvalidTransition
from models.rules.lifecycle import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    TABLE,
    Action,
    ActorFacts,
    Who,
    authorize,
    is_overdue,
)

IOC = ActorFacts(Role.IOC_OPERATOR)
ADMIN = ActorFacts(Role.ADMIN)
CITIZEN = ActorFacts(Role.CITIZEN)
REPORTER = ActorFacts(Role.CITIZEN, is_reporter=True)
STAFF = ActorFacts(Role.AGENCY_STAFF, in_assigned_agency=True)
OTHER_STAFF = ActorFacts(Role.AGENCY_STAFF, in_assigned_agency=False)

RIGHT_ACTOR = {Who.IOC: IOC, Who.ASSIGNED_AGENCY: STAFF, Who.REPORTER: REPORTER,
               Who.SUBMITTER: CITIZEN}


def test_contract_transitions():
    expected = {
        Action.REJECT: ({Status.PENDING_REVIEW}, Status.REJECTED),
        Action.MERGE: ({Status.PENDING_REVIEW}, Status.MERGED),
        Action.ASSIGN: ({Status.PENDING_REVIEW}, Status.ASSIGNED),
        Action.ACCEPT: ({Status.ASSIGNED}, Status.IN_PROGRESS),
        Action.DECLINE: ({Status.ASSIGNED, Status.IN_PROGRESS}, Status.PENDING_REVIEW),
        Action.SUBMIT_RESULT: ({Status.IN_PROGRESS}, Status.RESULT_SUBMITTED),
        Action.RETURN_RESULT: ({Status.RESULT_SUBMITTED}, Status.IN_PROGRESS),
        Action.PUBLISH: ({Status.RESULT_SUBMITTED}, Status.RESOLVED),
        Action.REOPEN: ({Status.RESOLVED}, Status.ASSIGNED),
    }
    for action, (sources, target) in expected.items():
        assert TABLE[action].sources == sources, action
        assert TABLE[action].target is target, action


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.SUBMIT])
@pytest.mark.parametrize("status", list(Status))
def test_right_actor_in_every_state(action: Action, status: Status):
    rule = TABLE[action]
    actor = RIGHT_ACTOR[rule.who]
    if status in rule.sources:
        assert authorize(action, status, actor) is rule
    else:
        with pytest.raises(InvalidTransition):
            authorize(action, status, actor)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("actor", [IOC, ADMIN, CITIZEN, REPORTER, STAFF, OTHER_STAFF])
def test_wrong_actor_is_forbidden_before_state_is_checked(action: Action, actor: ActorFacts):
    rule = TABLE[action]
    allowed = {
        Who.IOC: actor is IOC,
        Who.ASSIGNED_AGENCY: actor is STAFF,
        Who.REPORTER: actor is REPORTER,
        Who.SUBMITTER: actor in (IOC, CITIZEN, REPORTER),
    }[rule.who]
    status = next(iter(rule.sources), None)
    if allowed:
        assert authorize(action, status, actor) is rule
    else:
        with pytest.raises(Forbidden):
            # A state the action could never apply to: Forbidden still wins.
            authorize(action, Status.MERGED, actor)


def test_visibility_and_openness_are_data():
    assert {Status.ASSIGNED, Status.IN_PROGRESS, Status.RESULT_SUBMITTED,
                               Status.RESOLVED} == PUBLIC_STATUSES
    assert {Status.PENDING_REVIEW, Status.ASSIGNED, Status.IN_PROGRESS,
                             Status.RESULT_SUBMITTED} == OPEN_STATUSES


def test_overdue():
    due = datetime(2026, 12, 3, 16, 59, 59, tzinfo=UTC)
    after = due + timedelta(seconds=1)
    assert is_overdue(Status.IN_PROGRESS, due, after)
    assert is_overdue(Status.PENDING_REVIEW, due, after)
    assert not is_overdue(Status.IN_PROGRESS, due, due)
    for closed in (Status.RESOLVED, Status.REJECTED, Status.MERGED):
        assert not is_overdue(closed, due, after)
