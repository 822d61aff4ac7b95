"""Keeping long-lived connection state out of Python's full garbage collections.

Every open subscription holds hundreds of objects for hours. A full (generation 2) collection
walks all of them while the event loop stands still: at 8,000 connections a process, 1.5 s
(the distinct-subscription benchmark, timed with gc.callbacks), long enough to be the p99 of
every delivery in the run. What has lived for `interval` seconds is frozen (`gc.freeze()`:
moved where collections never look, in constant time), so full collections walk only what
is younger. Frozen objects that later become cyclic garbage (a closed connection's protocol
and transport refer to each other) cannot be reclaimed while frozen, so every `thaw_after`
freezes everything is thawed: the next full collection reclaims them, one long pause instead
of one every few minutes. Off by default (`GC_FREEZE_SECONDS=0`); for processes holding
thousands of subscribers. `hien_truong_gc_pause_seconds` shows what it changes.
"""

from __future__ import annotations

import asyncio
import gc
import logging

log = logging.getLogger(__name__)


class CollectorSteward:
    def __init__(self, interval: float, thaw_after: int) -> None:
        self.interval = interval
        self.thaw_after = max(1, thaw_after)
        self.freezes = 0  # since the last thaw

    def tick(self) -> None:
        if self.freezes >= self.thaw_after:
            gc.unfreeze()
            self.freezes = 0
            return
        gc.freeze()
        self.freezes += 1

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.tick()
            except Exception:  # never let the steward end: collections would grow again
                log.exception("garbage collector steward failed")
