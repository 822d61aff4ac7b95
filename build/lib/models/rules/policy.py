"""Who may see what. Pure predicates over small facts, used by the use cases, the queries, the
GraphQL types and every other surface (Open311, exports, media) alike."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from models.enums import EventKind, Role, Status
from models.rules.lifecycle import PUBLIC_STATUSES


@dataclass(frozen=True)
class Viewer:
    user_id: int | None = None
    role: Role | None = None
    agency_id: int | None = None
    display_name: str | None = None
    # A machine signed in with an issued key: a partner's Open311 client (a citizen account) or
    # an agency's system (its service account), which may use only the mutations marked for
    # machines (resolvers/mutations/base.py `mutation(machines=True)`).
    via_api_key: bool = False

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def is_center(self) -> bool:
        """IOC operators and admins see everything, personal data included."""
        return self.role in (Role.IOC_OPERATOR, Role.ADMIN)

    @property
    def is_staff(self) -> bool:
        return self.role is Role.AGENCY_STAFF and self.agency_id is not None


ANONYMOUS = Viewer()


@dataclass(frozen=True)
class ReportFacts:
    status: Status
    reporter_id: int | None
    agency_id: int | None


def can_see_report(viewer: Viewer, report: ReportFacts) -> bool:
    return (
        report.status in PUBLIC_STATUSES
        or viewer.is_center
        or (viewer.signed_in and viewer.user_id == report.reporter_id)
    )


def can_see_personal_data(viewer: Viewer, report: ReportFacts) -> bool:
    """Reporter identity, caller contact and the original text: never to the public or agencies."""
    return viewer.is_center or (viewer.signed_in and viewer.user_id == report.reporter_id)


def result_published(report: ReportFacts) -> bool:
    """The IOC approved the agency's result: its text and media are public. A reopened report's
    old result is not (it stays on the timeline, in the PUBLISHED event)."""
    return report.status is Status.RESOLVED


def media_is_public(report: ReportFacts | None, is_result: bool) -> bool:
    """Evidence of a public report, and a result once published: anyone may see it."""
    if report is None or report.status not in PUBLIC_STATUSES:
        return False
    return result_published(report) or not is_result


def can_see_media(viewer: Viewer, owner_id: int, report: ReportFacts | None,
                  is_result: bool) -> bool:
    if media_is_public(report, is_result) or viewer.is_center:
        return True
    if report is None:  # uploaded, not attached yet: its owner only
        return viewer.signed_in and viewer.user_id == owner_id
    if is_result and not result_published(report):
        return can_see_unpublished_result(viewer, report)
    return can_see_report(viewer, report)


def can_see_duplicate_hints(viewer: Viewer) -> bool:
    return viewer.is_center


def can_see_unpublished_result(viewer: Viewer, report: ReportFacts) -> bool:
    return viewer.is_center or (viewer.is_staff and viewer.agency_id == report.agency_id)


def can_see_extension_requests(viewer: Viewer, report: ReportFacts) -> bool:
    return viewer.is_center or (viewer.is_staff and viewer.agency_id == report.agency_id)


def can_see_hidden_comment(viewer: Viewer) -> bool:
    return viewer.is_center


def can_see_rating_note(viewer: Viewer, report: ReportFacts) -> bool:
    return can_see_personal_data(viewer, report) or (
        viewer.is_staff and viewer.agency_id == report.agency_id
    )


class Badge(enum.StrEnum):
    IOC = "IOC"
    AGENCY = "AGENCY"
    CITIZEN = "CITIZEN"


def badge_for(role: Role) -> Badge:
    """Comment authors show who they speak for, never more about themselves than a name."""
    if role in (Role.IOC_OPERATOR, Role.ADMIN):
        return Badge.IOC
    if role is Role.AGENCY_STAFF:
        return Badge.AGENCY
    return Badge.CITIZEN


class NoteAudience(enum.Enum):
    """Who may read the text of a timeline event (everyone sees its kind, status change and
    time): the contract's rule, one table."""

    PUBLIC = "public"  # the published result, the reason for reopening
    CONCERNED = "concerned"  # the reporter, the IOC, the assigned agency
    IOC = "ioc"  # the moderation of a comment, like Comment.hiddenReason


NOTE_AUDIENCE: dict[EventKind, NoteAudience] = {
    EventKind.PUBLISHED: NoteAudience.PUBLIC,
    EventKind.REOPENED: NoteAudience.PUBLIC,
    EventKind.COMMENT_HIDDEN: NoteAudience.IOC,
}  # every other kind: CONCERNED (rejection, decline, extension request and decision, returned
#    result, contest and its dismissal, rating, reminders, merge target), where reporters often
#    write their names and phone numbers.


def can_see_event_note(viewer: Viewer, kind: EventKind, report: ReportFacts) -> bool:
    audience = NOTE_AUDIENCE.get(kind, NoteAudience.CONCERNED)
    if audience is NoteAudience.PUBLIC or viewer.is_center:
        return True
    if audience is NoteAudience.IOC:
        return False
    return (viewer.signed_in and viewer.user_id == report.reporter_id) or (
        viewer.is_staff and viewer.agency_id == report.agency_id)


@dataclass(frozen=True)
class ReportScope:
    """Which reports a list query may return: everything, or public ones plus the viewer's own."""

    everything: bool
    own_user_id: int | None


def report_scope(viewer: Viewer) -> ReportScope:
    return ReportScope(everything=viewer.is_center, own_user_id=viewer.user_id)
