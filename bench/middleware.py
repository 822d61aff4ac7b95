"""What each always-on middleware costs per request, in this process, without a network.

The production stack (the `Middleware` list `create_app` builds, with its settings) is taken
apart and each layer is timed around a trivial ASGI app answering 200, for an anonymous POST to
/graphql from one of 1,000 addresses; the bare trivial app is subtracted. The per-IP limiter is
also timed the way it was counted before (the `limits` moving window through models/throttle.py,
two storage calls per request), as its baseline.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.tools import Figure, Report
from models.throttle import Throttle

REQUESTS = 20_000
ADDRESSES = 1_000
BODY = b'{"query": "{ categories { id } }"}'


async def trivial(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"data": {}}'})


def scope_for(i: int) -> Scope:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
            "query_string": b"", "root_path": "", "server": ("bench", 80),
            "client": (f"10.{i % ADDRESSES // 250}.0.{i % 250}", 40000),
            "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(BODY)).encode())]}


async def per_request_us(app: ASGIApp, vary_body: bool = False) -> float:
    async def send(_: Message) -> None:
        return None

    best = float("inf")
    for _ in range(3):  # the best of three rounds: the least disturbed by the rest of the machine
        started = time.perf_counter()
        for i in range(REQUESTS):
            body = BODY[:-1] + f', "variables": {{"n": {i}}}}}'.encode() if vary_body else BODY

            async def receive(body: bytes = body) -> Message:
                return {"type": "http.request", "body": body, "more_body": False}

            await app(scope_for(i), receive, send)
        best = min(best, (time.perf_counter() - started) / REQUESTS * 1e6)
    return best


async def limits_us(throttle: Throttle) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for i in range(REQUESTS):
            await throttle.hit("requests_ip", f"10.{i % ADDRESSES // 250}.0.{i % 250}")
        best = min(best, (time.perf_counter() - started) / REQUESTS * 1e6)
    return best


async def bench_middleware(report: Report) -> None:
    from server import create_app
    from web.settings import Settings

    workdir = Path(tempfile.mkdtemp(prefix="hien-truong-mw-"))
    generous = (("requests_ip", "100000000/minute"),)  # counted, never refused
    app = create_app(Settings(database_url=f"sqlite://{workdir / 'mw.sqlite3'}",
                              media_dir=str(workdir / "media"), rate_limits=generous,
                              allowed_origins=("https://portal.example.vn",)))
    bare = await per_request_us(trivial, vary_body=True)
    total = 0.0
    for layer in app.user_middleware:
        cls: Callable[..., ASGIApp] = layer.cls
        wrapped = cls(trivial, *layer.args, **layer.kwargs)
        cost = await per_request_us(wrapped, vary_body=True) - bare
        total += cost
        name = getattr(cls, "__name__", str(cls))
        if name == "RequestLimit":
            old = Throttle("async+memory://", dict(generous))
            report.add(Figure("middleware: RequestLimit (per-IP flood limit) per request", cost,
                              "µs", "the limits moving window (before)", await limits_us(old),
                              "≤ 5 µs", cost <= 5))
        else:
            report.add(Figure(f"middleware: {name} per request", cost, "µs"))
    report.add(Figure("middleware: the whole stack per request (POST /graphql, cache miss)",
                      total, "µs", "the trivial app alone", bare))
