"""The Python cost of handing one event's frame to each member of a shared group, without the
socket: 5,000 members on connections whose transport only keeps what it is given, 20 events a
round, the best of 40 rounds (the least disturbed by anything else on the machine).

    python -m bench.members

Prints µs per delivery. A real delivery adds the socket write (most of the ~11 µs the
distinct-subscription benchmark measures per delivered message); this is the part our code
decides. Run it at two commits to compare them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from web.graphql.direct_frames import DirectFrames
from web.graphql.member import Frame, Member

MEMBERS, EVENTS, ROUNDS = 5000, 20, 40


class Kept(asyncio.WriteTransport):
    def __init__(self) -> None:
        super().__init__()
        self.data: list[Any] = []

    def write(self, data: Any) -> None:
        self.data.append(data)

    def is_closing(self) -> bool:
        return False


class Connection:
    """What uvicorn's WebSocketsSansIOProtocol exposes and DirectFrames reads."""

    def __init__(self) -> None:
        self.conn = ServerProtocol()
        self.conn.state = OPEN
        self.transport = Kept()
        self.writable = asyncio.Event()
        self.writable.set()
        self.close_sent = self.disconnected = False
        self.initial_response: Any = None

    async def send(self, message: Any) -> None:
        raise AssertionError("every frame here goes the direct way")


async def main(members_count: int = MEMBERS, events: int = EVENTS, rounds: int = ROUNDS
               ) -> float:
    connections = [Connection() for _ in range(members_count)]
    members = []
    for connection in connections:
        direct = DirectFrames.of(connection.send)
        assert direct is not None
        member = Member(10, connection.send, "1", direct)
        member.busy = False  # as a member whose task waits for news
        members.append(member)
    best = float("inf")
    for number in range(rounds):
        started = time.perf_counter()
        for seq in range(number * events + 1, (number + 1) * events + 1):
            frames = [Frame(seq, "next", f'{{"data":{{"publicFeed":{{"seq":{seq}}}}}}}')]
            for member in members:
                member.push_all(frames)
        best = min(best, (time.perf_counter() - started) / (events * members_count) * 1e6)
        for connection in connections:
            # Every member took every event, each as one write of the whole frame.
            if len(connection.transport.data) != events:
                raise RuntimeError("a member missed a frame")
            connection.transport.data.clear()
    return best


if __name__ == "__main__":
    print(f"{asyncio.run(main()):.2f} µs per delivery, best of {ROUNDS} rounds "
          f"({MEMBERS:,} members, {EVENTS} events a round, no socket)")
