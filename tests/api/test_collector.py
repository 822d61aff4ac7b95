"""GC_FREEZE_SECONDS (web/collector.py): long-lived objects are frozen out of full collections,
and cyclic garbage frozen meanwhile is reclaimed after the thaw, not kept for ever."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

import pytest
from starlette.applications import Starlette

from web.collector import CollectorSteward
from web.settings import Settings


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_frozen_garbage_waits_for_the_thaw():
    gc.collect()
    steward = CollectorSteward(interval=1, thaw_after=2)
    node = Node()
    alive = weakref.ref(node)
    try:
        steward.tick()  # frozen while still in use
        del node
        gc.collect()
        assert alive() is not None  # frozen: no collection looks at it
        steward.tick()
        assert gc.get_freeze_count() > 0
        steward.tick()  # the thaw
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert alive() is None
    finally:
        gc.unfreeze()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    media_dir=str(tmp_path / "media"), media_cleanup_interval_seconds=0,
                    gc_freeze_seconds=0.02, gc_thaw_after=1)


async def test_the_server_runs_the_steward_when_asked(app: Starlette):
    # Start-up freezes what is loaded; a steward that thaws after every freeze is seen
    # running when, at some moment, nothing is frozen.
    try:
        for _ in range(200):
            if gc.get_freeze_count() == 0:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("nothing thawed: the steward is not running")
    finally:
        gc.unfreeze()
