"""One subscriber of a shared group: where the group's frames go.

The common case costs less than a bare WebSocket server: the group's task writes the frame to
the connection itself, as prepared bytes when the server allows it (web/graphql/direct_frames.py:
built once per event and operation id, shared by every member with that id). A socket write
only suspends when the client's buffers are full; then the member turns "busy", the suspended
write is handed to the member's own task to finish, and frames queue behind it (bounded: a
member that stops reading is cut off alone). Its task also sends what must wait (replayed
events, errors, the end) and owns every other await.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from web.graphql.direct_frames import DirectFrames, text_frame

Send = Callable[[str], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Frame:
    seq: int | None  # the event behind a `next` message; None for a final error
    kind: str  # "next", "error" or "complete"
    payload: str  # already encoded JSON
    # The whole WebSocket frame by the member's message head (which holds the operation id).
    wire: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


END = Frame(None, "complete", "")


class _Resume:
    """Awaiting this finishes a coroutine that was started by hand and suspended on `pending`:
    the awaiting task waits on what the coroutine waits on and passes every result (or
    exception, such as a cancellation) back into it."""

    def __init__(self, coro: Coroutine[Any, Any, None], pending: Any) -> None:
        self.coro, self.pending = coro, pending

    def __await__(self) -> Generator[Any, Any, None]:
        pending = self.pending
        while True:
            try:
                value = yield pending
            except BaseException as exc:
                try:
                    pending = self.coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                pending = self.coro.send(value)
            except StopIteration:
                return


class Member:
    __slots__ = ("busy", "direct", "dropped", "failed", "head", "limit", "mark", "queue", "send",
                 "suspended", "waiter")

    def __init__(self, limit: int, send: Send | None = None, operation_id: str = "",
                 direct: DirectFrames | None = None) -> None:
        self.limit = limit
        self.send = send
        self.direct = direct
        self.head = '{"id":' + orjson.dumps(operation_id).decode() + ',"type":"next","payload":'
        self.mark: int | None = None  # None: from the group's start
        self.queue: deque[Frame] = deque()
        self.busy = True  # until its task has replayed what it missed and waits for news
        self.suspended: tuple[Coroutine[Any, Any, None], Any] | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.failed: BaseException | None = None
        self.dropped = False

    def push(self, frame: Frame) -> bool:
        """Never blocks. False when the member overflowed and must go."""
        if self.busy or frame.kind != "next" or self.send is None:
            return self._enqueue(frame)
        # `due` and `_wire`, written out: this runs once per member and event (thousands of
        # times an event), where two method calls were a noticeable part of a delivery.
        seq = frame.seq
        if seq is not None:
            mark = self.mark
            if mark is not None and seq <= mark:
                return True
            self.mark = seq
        direct = self.direct
        if direct is not None:
            wire = frame.wire.get(self.head)
            if wire is None:
                wire = self._wire(frame)
            if direct.write(wire):
                return True
        coro = self.send(self.head + frame.payload + "}")
        try:
            pending = coro.send(None)
        except StopIteration:
            return True  # written: the usual case
        except Exception as exc:
            self.failed = exc
        else:
            self.suspended = (coro, pending)
        self.busy = True
        self._wake()
        return True

    def push_all(self, frames: Sequence[Frame]) -> bool:
        """Several events' frames, in order: one socket write when they can all go at once.
        Same as pushing each, which is what happens otherwise."""
        if len(frames) == 1:
            return self.push(frames[0])
        if (len(frames) > 1 and not self.busy and self.send is not None
                and self.direct is not None and all(f.kind == "next" for f in frames)):
            mark = self.mark  # frames come in seq order: those above the mark are due
            due = [f for f in frames if f.seq is None or mark is None or f.seq > mark]
            if not due:
                return True
            if self.direct.write(b"".join(self._wire(f) for f in due), len(due)):
                seqs = [f.seq for f in due if f.seq is not None]
                if seqs:
                    self.mark = seqs[-1]
                return True
        return all(self.push(frame) for frame in frames)

    def _wire(self, frame: Frame) -> bytes:
        """The whole WebSocket frame for this member's operation id, built once per id."""
        wire = frame.wire.get(self.head)
        if wire is None:
            wire = frame.wire[self.head] = text_frame((self.head + frame.payload + "}").encode())
        return wire

    def _enqueue(self, frame: Frame) -> bool:
        if len(self.queue) >= self.limit:
            self.dropped = True
            self.queue.clear()  # free the memory now, then tell the reader
            self.queue.append(END)
            self.busy = True
            self._wake()
            return False
        self.queue.append(frame)
        self.busy = True
        self._wake()
        return True

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def serve(self) -> Frame:
        """The member's task: sends whatever could not be written at once, until the end or an
        error frame, which it returns for the caller to send."""
        assert self.send is not None
        while True:
            if self.suspended is not None:
                coro, pending = self.suspended
                self.suspended = None
                await _Resume(coro, pending)
            if self.failed is not None:
                raise self.failed
            while self.queue:
                frame = self.queue.popleft()
                if frame.kind != "next":
                    return frame
                if self.due(frame):
                    await self.send(self.head + frame.payload + "}")
            self.busy = False
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter

    def due(self, frame: Frame) -> bool:
        """Frames at or below the mark were already replayed, or predate joining."""
        if frame.seq is None or self.mark is None or frame.seq > self.mark:
            if frame.seq is not None:
                self.mark = frame.seq
            return True
        return False
