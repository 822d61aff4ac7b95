"""Publishing events after commit, through broadcaster (memory:// or redis://)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from broadcaster import Broadcast

from models.report import ReportEvent
from realtime.events import REPORT_EVENTS, encode

log = logging.getLogger(__name__)


class EventBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self.broadcast = Broadcast(url)
        self.published = 0
        self.failed = 0

    async def connect(self) -> None:
        await self.broadcast.connect()

    async def disconnect(self) -> None:
        await self.broadcast.disconnect()

    async def publish(self, events: Sequence[ReportEvent]) -> None:
        """Called after the transaction committed. A failure here never undoes the change:
        the events are in the database and subscribers catch up from there."""
        for event in events:
            try:
                await self.broadcast.publish(channel=REPORT_EVENTS, message=encode(event))
                self.published += 1
            except Exception:
                self.failed += 1
                log.warning("could not publish event seq=%s", event.id, exc_info=True)
