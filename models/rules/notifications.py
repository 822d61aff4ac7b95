"""Decisions about citizens' notifications, without I/O: which event tells whom what, when a
message may be sent (quiet hours), how often a failed one is tried again, and its words.

Who hears about an event: the reporter of their own report being accepted, extended (an
extension approved), published with its result (and asked to rate it) or reopened; the author
of a comment an agency's staff answered. Nobody hears about their own action, and a message
carries only what the public timeline shows (report code and title, the agency's name, the
deadline): never a name, phone or address of anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.enums import EventKind, ExtensionStatus, NotificationKind, Role
from models.messages import _, render
from models.rules.calendar import TZ

VERIFY_EMAIL = "VERIFY_EMAIL"  # the message that confirms an address, not an event's
# A push service or mail server that fails is tried again after these, then given up.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (30, 300, 1800, 7200))
MAX_PUSH_SUBSCRIPTIONS = 10  # browsers and phones per person
STALE_AFTER = timedelta(days=1)  # an event older than this when prepared tells nobody


@dataclass(frozen=True)
class Occasion:
    """An event that tells someone something: the kind, and who (None: decided by the comment
    it answers, `AGENCY_REPLIED`)."""
    kind: NotificationKind
    to_reporter: bool


def occasion(kind: EventKind, note: str | None, actor_role: Role | None) -> Occasion | None:
    if kind is EventKind.ACCEPTED:
        return Occasion(NotificationKind.ACCEPTED, True)
    if kind is EventKind.EXTENSION_DECIDED and (note or "").startswith(
            ExtensionStatus.APPROVED.value):  # "APPROVED (date)…" (actions/review.py)
        return Occasion(NotificationKind.EXTENDED, True)
    if kind is EventKind.PUBLISHED:
        return Occasion(NotificationKind.RESULT_PUBLISHED, True)
    if kind is EventKind.REOPENED:
        return Occasion(NotificationKind.REOPENED, True)
    if kind is EventKind.COMMENTED and actor_role is Role.AGENCY_STAFF:
        return Occasion(NotificationKind.AGENCY_REPLIED, False)
    return None


def check_quiet_hours(start: int | None, end: int | None) -> bool:
    """Both or neither, hours 0–23, not equal."""
    if start is None and end is None:
        return True
    return (start is not None and end is not None and 0 <= start <= 23 and 0 <= end <= 23
            and start != end)


def held_until(at: datetime, start: int | None, end: int | None) -> datetime:
    """`at`, or the end of the quiet hours (local time) it falls in; they may span midnight
    (22 → 7)."""
    if start is None or end is None:
        return at
    local = at.astimezone(TZ)
    quiet = start <= local.hour < end if start < end else (local.hour >= start
                                                         or local.hour < end)
    if not quiet:
        return at
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, end, tzinfo=TZ)


def next_delay(failures: int) -> timedelta | None:
    return RETRY_DELAYS[failures - 1] if failures <= len(RETRY_DELAYS) else None


SUBJECTS = {
    NotificationKind.ACCEPTED: _("Your report {code} was accepted"),
    NotificationKind.EXTENDED: _("Your report {code} has a new deadline"),
    NotificationKind.RESULT_PUBLISHED: _("Your report {code} has a result: please rate it"),
    NotificationKind.REOPENED: _("Your report {code} is being handled again"),
    NotificationKind.AGENCY_REPLIED: _("{agency} answered your comment on {code}"),
}
BODIES = {
    NotificationKind.ACCEPTED: _("{agency} accepted your report “{title}” and will handle it "
                                 "by {due}."),
    NotificationKind.EXTENDED: _("The deadline of your report “{title}” was extended to "
                                 "{due}."),
    NotificationKind.RESULT_PUBLISHED: _("{agency} handled your report “{title}”. See the "
                                         "result and tell us whether you are satisfied."),
    NotificationKind.REOPENED: _("Your report “{title}” was reopened and is being handled "
                                 "again."),
    NotificationKind.AGENCY_REPLIED: _("{agency} answered your comment on the report "
                                       "“{title}”."),
}


@dataclass(frozen=True)
class Words:
    title: str
    body: str


def words(kind: NotificationKind, *, lang: str, code: str, title: str, agency: str | None,
          due: date) -> Words:
    params = {"code": code, "title": title if len(title) <= 80 else title[:79] + "…",
              "agency": agency or render(_("The agency"), lang=lang),
              "due": due.strftime("%d/%m/%Y")}
    return Words(render(SUBJECTS[kind], params, lang=lang),
                 render(BODIES[kind], params, lang=lang))


def verification_words(lang: str) -> Words:
    return Words(render(_("Confirm your e-mail address"), lang=lang),
                 render(_("Open this link to receive news of your reports at this address. "
                          "If you did not ask for it, ignore this message."), lang=lang))
