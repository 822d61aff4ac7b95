"""Which events each live stream carries, decided again for every event with the report's
state at delivery time (a report rejected or re-assigned since subscribing drops out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from models.enums import EventKind
from models.orm.reports import Report, ReportEvent
from models.queries.reports import BBox
from models.rules import policy
from models.rules.lifecycle import PUBLIC_STATUSES
from models.rules.policy import Viewer

# What an agency must see: new work, what people say about it, decisions, deadlines.
AGENCY_KINDS = frozenset({
    EventKind.ASSIGNED, EventKind.REOPENED, EventKind.COMMENTED, EventKind.EXTENSION_DECIDED,
    EventKind.RESULT_RETURNED, EventKind.DEADLINE_NEAR, EventKind.OVERDUE,
})
# What the IOC must act on.
IOC_KINDS = frozenset({
    EventKind.SUBMITTED, EventKind.DECLINED, EventKind.EXTENSION_REQUESTED,
    EventKind.RESULT_SUBMITTED, EventKind.CONTESTED, EventKind.DEADLINE_NEAR, EventKind.OVERDUE,
})


@dataclass(frozen=True)
class Channel:
    """A subscriber's entitlement: `kinds` and `report_id` can be pushed down into SQL for
    replays; `admits` decides each event against the report's current state."""

    viewer: Viewer
    report_id: int | None = None
    kinds: frozenset[EventKind] | None = None
    agency_id: int | None = None
    public_only: bool = False
    category_ids: Sequence[int] = field(default_factory=tuple)
    bbox: BBox | None = None

    def admits(self, event: ReportEvent, report: Report | None) -> bool:
        if report is None:
            return False
        if self.report_id is not None and event.report_id != self.report_id:
            return False
        if self.kinds is not None and event.kind not in self.kinds:
            return False
        if self.public_only and not (
            report.status in PUBLIC_STATUSES
            and (event.to_status is None or event.to_status in PUBLIC_STATUSES)
        ):
            return False  # public now, and the event itself is a public step
        if not self.public_only and not policy.can_see_report(self.viewer, report.facts):
            return False
        if self.agency_id is not None and report.agency_id != self.agency_id:
            return False  # after re-assignment the old agency stops hearing about it
        if self.category_ids and report.category_id not in self.category_ids:
            return False
        return self.bbox is None or _inside(report, self.bbox)


def _inside(report: Report, box: BBox) -> bool:
    if report.latitude is None or report.longitude is None:
        return False
    if not box.south <= report.latitude <= box.north:
        return False
    if box.west <= box.east:
        return box.west <= report.longitude <= box.east
    return report.longitude >= box.west or report.longitude <= box.east


def report_events(viewer: Viewer, report_id: int) -> Channel:
    return Channel(viewer=viewer, report_id=report_id)


def public_feed(category_ids: Sequence[int] = (), bbox: BBox | None = None) -> Channel:
    # The public wall sees what an anonymous visitor sees, whoever is signed in.
    return Channel(viewer=policy.ANONYMOUS, public_only=True, category_ids=category_ids,
                   bbox=bbox)


def agency_feed(viewer: Viewer) -> Channel:
    return Channel(viewer=viewer, kinds=AGENCY_KINDS, agency_id=viewer.agency_id)


def ioc_feed(viewer: Viewer) -> Channel:
    return Channel(viewer=viewer, kinds=IOC_KINDS)
