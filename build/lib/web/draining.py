"""Knowing that the process is being stopped from the moment SIGTERM (or Ctrl+C) arrives.

uvicorn then stops accepting, closes WebSockets with 1012 ("service restart": a graphql-ws
client reconnects, to another process behind the balancer, and resumes with `after`), finishes
the requests in flight for at most GRACEFUL_SHUTDOWN_SECONDS, and only then runs the app's
shutdown. /readyz must say 503 before all that, so the balancer stops sending new requests at
once: the handler below runs first and hands on to uvicorn's, after SHUTDOWN_DELAY_SECONDS
(0 by default). Behind a balancer, set it to how long the balancer takes to notice a 503 (its
probe interval times its threshold): meanwhile the process still answers everything, so the
requests the balancer keeps sending until then are not cut at the close of the listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

log = logging.getLogger("hien_truong")
SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def on_termination(callback: Callable[[], None], delay: float = 0) -> Iterator[None]:
    """Call `callback` when a stop signal arrives, then, `delay` seconds later, whatever
    handled it before. Only in the main thread (where signals are delivered), in a running
    event loop; the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def hand_on(signum: int, frame: FrameType | None) -> None:
        before = previous.get(signum)
        if callable(before):
            before(signum, frame)
        elif before == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    def handler(signum: int, frame: FrameType | None) -> None:
        callback()
        if delay > 0:
            loop.call_soon_threadsafe(loop.call_later, delay, hand_on, signum, frame)
        else:
            hand_on(signum, frame)

    for each in SIGNALS:
        previous[each] = signal.getsignal(each)
        signal.signal(each, handler)
    try:
        yield
    finally:
        for number, before in previous.items():
            if signal.getsignal(number) is handler and before is not None:
                signal.signal(number, before)
