"""What a change empties in this process: the response cache (only the answers the events can
change, realtime/answer_tags.py) and the figures memo.

This process's own events empty them at once, when published, so its readers see their own
change before the hub reads it back; other processes' events once this process's hub has read
them from the database. Caches are emptied by real changes only: a mutation that fails or
changes nothing publishes nothing, so it is no lever to switch caching off for everyone.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from models.orm.reports import ReportEvent
from realtime import answer_tags
from realtime.bus import EventBus
from realtime.cache import Cache
from realtime.hub import Batch


class Invalidation:
    def __init__(self, responses: Cache[bytes, bytes], memo: Cache[Hashable, Any],
                 bus: EventBus, *, by_tags: bool) -> None:
        self.responses = responses
        self.memo = memo
        self.bus = bus
        self.by_tags = by_tags
        self._published_here: set[int] = set()

    def changed(self, *_: object) -> None:
        """A public change no event announces (a support withdrawn, an agency renamed)."""
        self.responses.invalidate()
        self.memo.invalidate()

    def _events_changed(self, events: Sequence[ReportEvent]) -> None:
        tags = answer_tags.of_events(events) if self.by_tags else None
        self.responses.invalidate_tags(tags)
        if tags is None or answer_tags.FIGURES in tags:
            self.memo.invalidate()

    async def publish(self, events: Sequence[ReportEvent]) -> None:
        """The domain's publisher (models/deps.py), called after the commit."""
        if events:
            self._events_changed(events)
            self._published_here.update(e.id for e in events)
        await self.bus.publish(events)

    def batch_read(self, batch: Batch) -> None:
        """Events from every process, once the hub read them; this process's own were
        handled when published."""
        news = [e for e in batch.events if e.id not in self._published_here]
        self._published_here.difference_update(e.id for e in batch.events)
        if news:
            self._events_changed(news)
