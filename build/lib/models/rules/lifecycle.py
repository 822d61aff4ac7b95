"""The report state machine: one table of (action -> allowed from-states, next state, who).

Pure: no database, no clock. Services ask `authorize()` before they change anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from models.enums import EventKind, Role, Status
from models.errors import Forbidden, InvalidTransition
from models.messages import _


@dataclass(frozen=True)
class StatusInfo:
    public: bool  # anyone may read the report
    open: bool  # still waiting for someone to act: counts for `overdue`
    with_agency: bool  # an agency is responsible for it now


STATUSES: dict[Status, StatusInfo] = {
    Status.PENDING_REVIEW: StatusInfo(public=False, open=True, with_agency=False),
    Status.REJECTED: StatusInfo(public=False, open=False, with_agency=False),
    Status.MERGED: StatusInfo(public=False, open=False, with_agency=False),
    Status.ASSIGNED: StatusInfo(public=True, open=True, with_agency=True),
    Status.IN_PROGRESS: StatusInfo(public=True, open=True, with_agency=True),
    Status.RESULT_SUBMITTED: StatusInfo(public=True, open=True, with_agency=True),
    Status.RESOLVED: StatusInfo(public=True, open=False, with_agency=False),
}

PUBLIC_STATUSES = frozenset(s for s, i in STATUSES.items() if i.public)
OPEN_STATUSES = frozenset(s for s, i in STATUSES.items() if i.open)
AGENCY_STATUSES = frozenset(s for s, i in STATUSES.items() if i.with_agency)


class Who(enum.Enum):
    SUBMITTER = "a citizen, or the IOC on a caller's behalf"
    IOC = "an IOC operator"
    ASSIGNED_AGENCY = "staff of the assigned agency"
    REPORTER = "the reporter"


class Action(enum.StrEnum):
    SUBMIT = "submitReport"
    REJECT = "rejectReport"
    MERGE = "mergeReport"
    ASSIGN = "assignReport"
    ACCEPT = "acceptReport"
    DECLINE = "declineReport"
    REQUEST_EXTENSION = "requestExtension"
    DECIDE_EXTENSION = "decideExtension"
    SUBMIT_RESULT = "submitResult"
    RETURN_RESULT = "returnResult"
    PUBLISH = "publishResult"
    RATE = "rateReport"
    CONTEST = "contestResult"
    REOPEN = "reopenReport"
    DISMISS_CONTEST = "dismissContest"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change
    who: Who
    event: EventKind


# Short names keep the table below readable in one screen.
P, A, R = Status.PENDING_REVIEW, Status.ASSIGNED, Status.RESULT_SUBMITTED
WIP, RESOLVED = Status.IN_PROGRESS, Status.RESOLVED


def _rule(sources: set[Status], target: Status | None, who: Who, event: EventKind) -> Rule:
    return Rule(frozenset(sources), target, who, event)


# fmt: off
# ruff: noqa: E501
TABLE: dict[Action, Rule] = {
    Action.SUBMIT:            _rule(set(),      P,        Who.SUBMITTER,       EventKind.SUBMITTED),
    Action.REJECT:            _rule({P},        Status.REJECTED, Who.IOC,      EventKind.REJECTED),
    Action.MERGE:             _rule({P},        Status.MERGED,   Who.IOC,      EventKind.MERGED),
    Action.ASSIGN:            _rule({P},        A,        Who.IOC,             EventKind.ASSIGNED),
    Action.ACCEPT:            _rule({A},        WIP,        Who.ASSIGNED_AGENCY, EventKind.ACCEPTED),
    Action.DECLINE:           _rule({A, WIP},     P,        Who.ASSIGNED_AGENCY, EventKind.DECLINED),
    Action.REQUEST_EXTENSION: _rule({A, WIP},     None,     Who.ASSIGNED_AGENCY, EventKind.EXTENSION_REQUESTED),
    Action.DECIDE_EXTENSION:  _rule({A, WIP, R},  None,     Who.IOC,             EventKind.EXTENSION_DECIDED),
    Action.SUBMIT_RESULT:     _rule({WIP},        R,        Who.ASSIGNED_AGENCY, EventKind.RESULT_SUBMITTED),
    Action.RETURN_RESULT:     _rule({R},        WIP,        Who.IOC,             EventKind.RESULT_RETURNED),
    Action.PUBLISH:           _rule({R},        RESOLVED, Who.IOC,             EventKind.PUBLISHED),
    Action.RATE:              _rule({RESOLVED}, None,     Who.REPORTER,        EventKind.RATED),
    Action.CONTEST:           _rule({RESOLVED}, None,     Who.REPORTER,        EventKind.CONTESTED),
    Action.REOPEN:            _rule({RESOLVED}, A,        Who.IOC,             EventKind.REOPENED),
    Action.DISMISS_CONTEST:   _rule({RESOLVED}, None,     Who.IOC,             EventKind.CONTEST_DISMISSED),
}
# fmt: on


@dataclass(frozen=True)
class ActorFacts:
    """What the state machine needs to know about who is acting on which report."""

    role: Role
    is_reporter: bool = False
    in_assigned_agency: bool = False


def may_act(who: Who, actor: ActorFacts) -> bool:
    if who is Who.SUBMITTER:
        return actor.role in (Role.CITIZEN, Role.IOC_OPERATOR)
    if who is Who.IOC:
        return actor.role is Role.IOC_OPERATOR
    if who is Who.ASSIGNED_AGENCY:
        return actor.role is Role.AGENCY_STAFF and actor.in_assigned_agency
    return actor.is_reporter


def authorize(action: Action, status: Status | None, actor: ActorFacts) -> Rule:
    """Return the rule for `action` if `actor` may apply it to a report in `status`.

    Permission is checked before state, so a caller learns nothing about a report's state from
    an action it may never take.
    """
    rule = TABLE[action]
    if not may_act(rule.who, actor):
        raise Forbidden(_("{action} can only be done by {who}."), action=action.value,
                        who=rule.who.value)
    if status is not None and status not in rule.sources:
        allowed = ", ".join(sorted(s.value for s in rule.sources))
        raise InvalidTransition(
            _("{action} is not possible while the report is {status} (allowed from: "
              "{allowed})."), action=action.value, status=status.value, allowed=allowed)
    return rule


def is_overdue(status: Status, due_at: datetime, now: datetime) -> bool:
    """Still waiting for someone and past its deadline."""
    return status in OPEN_STATUSES and now > due_at


def is_on_time(published_at: datetime, due: datetime, extended: bool) -> bool:
    """Frozen at publication. Reports whose deadline was extended count as late."""
    return published_at <= due and not extended
