"""What the use cases need from the outside world: a clock, the calendar, an event publisher.

Passed in explicitly so tests can fix the time and watch what is published.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from models.enums import NotificationChannel
from models.memos import DirectoryMemo, SessionMemo
from models.orm.reports import ReportEvent
from models.rules.calendar import WorkingCalendar
from models.throttle import Throttle

Publisher = Callable[[Sequence[ReportEvent]], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _publish_nowhere(events: Sequence[ReportEvent]) -> None:
    return None


def _tell_nobody() -> None:
    return None


@dataclass(frozen=True)
class Deps:
    calendar: WorkingCalendar
    publish: Publisher = _publish_nowhere
    # A change the public can see that no event announces (a support withdrawn, an agency
    # renamed): what this process keeps of public answers must go.
    changed: Callable[[], None] = _tell_nobody
    clock: Callable[[], datetime] = utc_now
    secret_key: str = "dev-only-secret-change-me"
    token_ttl_days: int = 30
    comment_interval_seconds: int = 60
    throttle: Throttle = field(default_factory=Throttle)
    # Good sessions read lately (models/actions/sessions.py); off unless settings say.
    sessions: SessionMemo[Any] = field(default_factory=SessionMemo)
    # Agencies and categories read lately (schema/loaders.py); off unless settings say.
    directory: DirectoryMemo = field(default_factory=DirectoryMemo)
    # The notification channels this deployment can send on, and the key browsers subscribe
    # to Web Push with (realtime/notifications.py).
    notification_channels: tuple[NotificationChannel, ...] = ()
    vapid_public_key: str | None = None

    def now(self) -> datetime:
        return self.clock()
