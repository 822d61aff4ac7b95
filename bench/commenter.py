"""The distinct-subscription benchmark's comments, from a process of their own, as a citizen's
phone would make them: on the clock (whether or not the previous one was answered), each
stamped with the moment it was asked for. In the process that also reads 16,000 WebSocket
connections, a comment waited behind the frames read before it (hundreds of milliseconds in a
burst) and that wait was counted as the servers' latency. The comments go to the URLs given
in turn: the first server process only (the benchmark's default, `--comments-to first`), or
every process, as a load balancer would spread them (`--comments-to all`).

    python -m bench.commenter PLAN.json OUT.json

PLAN: {"urls": [one per server process], "token", "rate", "reports": [report id per comment,
in order]}.
OUT: {"sent": [time.time() when asked, per comment], "ms": [answer time, per comment]}.
Exits non-zero when a comment is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.load import steady_clock_hand
from bench.world import gid

COMMENT = """mutation($id: ID!, $b: String!) { addComment(input: {reportId: $id, body: $b}) {
  errors { code message } } }"""


BODY = "Ý kiến đo"


def body_of(number: int) -> str:
    """The comment's text carries its number: the benchmark finds each event's comment by it."""
    return f"{BODY} {number}"


async def comment_all(plan: dict[str, Any]) -> dict[str, list[float]]:
    reports: list[int] = plan["reports"]
    rate: float = plan["rate"]
    sent = [0.0] * len(reports)
    ms = [0.0] * len(reports)
    # Idle connections are let go before uvicorn's own 5 s keep-alive closes them: with
    # httpx's default (also 5 s), a comment now and then went out on a connection the server
    # was closing at that moment (httpx.ReadError, twice in nine runs).
    async with contextlib.AsyncExitStack() as stack:
        https = [await stack.enter_async_context(httpx.AsyncClient(
            base_url=url, timeout=60, limits=httpx.Limits(keepalive_expiry=2)))
            for url in plan["urls"]]

        async def comment(number: int, report: int) -> None:
            http = https[number % len(https)]
            asked = time.perf_counter()
            sent[number] = time.time()  # the clock arrivals are stamped with
            response = await http.post("/graphql", headers={
                "Authorization": f"Bearer {plan['token']}"}, json={
                "query": COMMENT, "variables": {"id": gid("Report", report),
                                                "b": body_of(number)}})
            ms[number] = (time.perf_counter() - asked) * 1000
            body = response.json()
            if body.get("errors") or body["data"]["addComment"]["errors"]:
                raise RuntimeError(f"could not comment: {body}")

        started = time.perf_counter()
        tasks = []
        for number, report in enumerate(reports):
            await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(comment(number, report)))
        await asyncio.gather(*tasks)
    return {"sent": sent, "ms": ms}


def main() -> None:
    plan_file, out_file = sys.argv[1:3]
    plan = orjson.loads(Path(plan_file).read_bytes())
    with steady_clock_hand():
        out = asyncio.run(comment_all(plan))
    Path(out_file).write_bytes(orjson.dumps(out))


if __name__ == "__main__":
    main()
