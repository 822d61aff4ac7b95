"""Waiting in tests for something another task or process does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def until(condition: Callable[[], Awaitable[bool]], what: str, seconds: float = 10,
                step: float = 0.05) -> None:
    """Poll `condition` until it holds; fail naming `what` after `seconds`."""
    for _ in range(int(seconds / step)):
        if await condition():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"waited {seconds:g} s in vain for {what}")
