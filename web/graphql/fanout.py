"""Groups of subscribers sharing one execution: each event's message is computed and encoded once
per group, then the same text goes to every member.

A group runs the stream of its first member on a live feed of the hub (realtime.hub.LiveFeed), which
says where it started and the `seq` of the event behind each result. Members join synchronously
and start at a mark: a member that joins a running group gets the events above the hub's mark at
that moment, a founding member everything the group produces. How a frame reaches a member, and
what happens to one that stops reading, is web/graphql/member.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any

import orjson
from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult, PreExecutionError

from models.messages import t
from realtime.hub import LiveFeed
from web.graphql.direct_frames import DirectFrames
from web.graphql.member import END, Frame, Member, Send

log = logging.getLogger(__name__)

# Given the group, the stream's results, computed over the group's feed.
OpenStream = Callable[["Group"], Awaitable[AsyncIterator[Any]]]
NewFeed = Callable[[], LiveFeed]


def next_payload(result: ExecutionResult) -> dict[str, Any]:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [e.formatted for e in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


def encode(value: object) -> str:
    return orjson.dumps(value).decode()


class Group:
    def __init__(self, fanout: FanOut, key: Hashable, feed: LiveFeed) -> None:
        self.fanout = fanout
        self.key = key
        self.feed = feed
        self.members: set[Member] = set()
        self.task: asyncio.Task[None] | None = None
        self.pending: list[Frame] = []  # frames of this turn of the event loop (_send)

    @property
    def started(self) -> asyncio.Future[int | None]:
        """The hub's mark when the group's stream registered (None: it never did)."""
        return self.feed.started

    async def run(self, open_stream: OpenStream) -> None:
        try:
            source = await open_stream(self)
            try:
                async for result in source:
                    if not self._forward(result):
                        return
            finally:
                aclose = getattr(source, "aclose", None)
                if aclose is not None:
                    await aclose()
        except Exception:
            log.exception("a shared subscription failed")
            self._close()
            error = GraphQLError(t("Unexpected error"), extensions={"code": "INTERNAL"})
            self._send(Frame(None, "next", encode({"data": None, "errors": [error.formatted]})))
        finally:
            self._close()
            if not self.started.done():
                self.started.set_result(None)
            self._flush()  # what the stream produced, before its end
            for member in self.members:
                member.push(END)

    def _forward(self, result: Any) -> bool:
        if isinstance(result, PreExecutionError):
            self._close()
            self._send(Frame(None, "error", encode([e.formatted for e in result.errors or []])))
            return False
        if not isinstance(result, ExecutionResult):  # @defer/@stream: not in this protocol
            self._close()
            error = GraphQLError(t("Incremental delivery is not supported here."))
            self._send(Frame(None, "error", encode([error.formatted])))
            return False
        if result.data is None:
            self._close()  # a failed stream: whoever subscribes next starts afresh
            self._send(Frame(None, "next", encode(next_payload(result))))
            return True
        self.fanout.executions += 1
        # graphql-core executes each event before it asks the feed for the next one.
        self._send(Frame(self.feed.seq, "next", encode(next_payload(result))))
        return True

    def _send(self, frame: Frame) -> None:
        """Frames go out at the end of the event loop's turn: the events a group computes
        without waiting (a batch the hub read at once, as when the process is behind) reach
        each member together, one socket write each rather than one per event."""
        self.pending.append(frame)
        if len(self.pending) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        frames, self.pending = self.pending, []
        if not frames:
            return
        if len(frames) == 1:  # the usual turn: one event, straight to each member's push
            frame = frames[0]
            gone = [member for member in list(self.members) if not member.push(frame)]
        else:
            gone = [member for member in list(self.members) if not member.push_all(frames)]
        for member in gone:
            self.members.discard(member)
            self.fanout.dropped += 1

    def _close(self) -> None:
        """No one joins from now on."""
        if self.fanout.groups.get(self.key) is self:
            del self.fanout.groups[self.key]

    def leave(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members and self.task is not None and not self.task.done():
            self._close()
            self.task.cancel()


class FanOut:
    """One per process."""

    def __init__(self, new_feed: NewFeed, queue_size: int = 1000) -> None:
        self.new_feed = new_feed
        self.queue_size = queue_size
        self.groups: dict[Hashable, Group] = {}
        self.executions = 0  # messages computed by groups
        self.dropped = 0

    def join(self, key: Hashable, open_stream: OpenStream, hwm: int, send: Send | None = None,
             operation_id: str = "", direct: DirectFrames | None = None) -> tuple[Group, Member]:
        """Synchronous, so that nothing is dispatched between reading `hwm` and joining."""
        member = Member(self.queue_size, send, operation_id, direct)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(self, key, self.new_feed())
            group.task = asyncio.create_task(group.run(open_stream))
        elif group.started.done():
            member.mark = hwm
        group.members.add(member)
        return group, member

    async def stop(self) -> None:
        tasks = [g.task for g in self.groups.values() if g.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
