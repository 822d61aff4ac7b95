"""Prometheus metrics at `GET /metrics`, for a city's operations team to graph and alert on.

Off unless `METRICS_TOKEN` is set; the scraper sends it as `Authorization: Bearer <token>`
(anything else is 404, so the endpoint does not advertise itself on the public path).

Two kinds of figures:
- observed as they happen: HTTP requests and their latency by route and GraphQL operation
  (`Metrics` middleware, with what web/graphql/app.py left in the request's state: the
  operation's type and name, its error codes, its cost), and each event's delay from its commit
  to this process's subscribers (the hub's batches);
- sampled from the objects that already count them (the response cache, the rate limits, the
  hub, the fan-out, the database pool) every `METRICS_SAMPLE_SECONDS` and at each scrape:
  nothing in the domain or realtime rooms imports Prometheus. With several workers, a scrape
  samples the worker it reaches; the others' sampled figures are at most that old.

With several worker processes (`serve --workers N`), web/cli.py points `PROMETHEUS_MULTIPROC_DIR`
at a fresh directory before the workers start; each writes its figures there and a scrape of any
one of them adds up all (prometheus-client's multiprocess mode; gauges as live sums).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from realtime import tasks
from realtime.hub import Batch, newest_seq
from web.graphql.direct_frames import DirectFrames

log = logging.getLogger("hien_truong")

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Labels are bounded: a route is its first path segment among the known ones, an operation
# name a well-formed one among the first MAX_OPERATIONS seen (clients choose names).
ROUTES = frozenset({"graphql", "media", "export", "open311", "wall", "healthz", "livez",
                    "readyz", "graphiql", "icons", "metrics"})
MAX_OPERATIONS = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

HTTP_REQUESTS = Counter(
    "hien_truong_http_requests_total", "HTTP requests answered.",
    ["route", "method", "status", "operation_type", "operation"])
HTTP_SECONDS = Histogram(
    "hien_truong_http_request_seconds", "Time from a request's arrival to its last byte.",
    ["route", "operation_type", "operation"], buckets=LATENCY_BUCKETS)
GRAPHQL_ERRORS = Counter(
    "hien_truong_graphql_errors_total", "Errors in GraphQL answers, by extensions.code.",
    ["code"])
QUERY_COST = Histogram(
    "hien_truong_graphql_query_cost", "Estimated nodes an operation asked for (schema/limits).",
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 10_000, 50_000))
CACHE = Counter(
    "hien_truong_response_cache_total", "Cacheable answers looked up, by result.", ["result"])
RATE_LIMITED = Counter(
    "hien_truong_rate_limit_refusals_total", "Requests refused by a rate limit, by rule.",
    ["rule"])
WEBSOCKETS = Gauge(
    "hien_truong_websocket_connections", "Open WebSocket connections.",
    multiprocess_mode="livesum")
SUBSCRIPTIONS = Gauge(
    "hien_truong_subscriptions", "Live event streams the hub feeds, by channel: report (one "
    "report's events), agency (an agency's feed), public (the wall), ioc. A shared group is "
    "one stream for all its sockets.", ["channel"], multiprocess_mode="livesum")
SHARED_GROUPS = Gauge(
    "hien_truong_shared_subscription_groups", "Subscriptions executed once for many sockets.",
    multiprocess_mode="livesum")
SHARED_MEMBERS = Gauge(
    "hien_truong_shared_subscribers", "Sockets' subscriptions served by a shared group.",
    multiprocess_mode="livesum")
DIRECT_FRAMES = Counter(
    "hien_truong_ws_direct_frames_total", "Shared subscription messages written to the socket "
    "as prepared frames (web/graphql/direct_frames.py), not through the ASGI send path.")
DROPPED = Counter(
    "hien_truong_subscribers_dropped_total", "Subscribers dropped for not reading fast enough.")
DELIVERY = Histogram(
    "hien_truong_event_delivery_seconds", "From an event's commit to its hand-off to this "
    "process's subscribers.", buckets=LATENCY_BUCKETS)
HUB_LAG = Gauge(
    "hien_truong_hub_lag_events", "Committed events this process's hub has not read yet.",
    multiprocess_mode="livemax")
DB_IN_USE = Gauge(
    "hien_truong_database_connections_in_use", "Database pool connections lent out.",
    multiprocess_mode="livesum")
REMINDER_RUNS = Counter(
    "hien_truong_reminder_runs_total", "Rounds of the deadline reminder job, by outcome.",
    ["outcome"])
REMINDERS = Counter(
    "hien_truong_reminders_raised_total", "Reminders raised, by kind.", ["kind"])
UPLOADS = Counter(
    "hien_truong_uploads_total", "Media uploads, by declared type and outcome.",
    ["type", "outcome"])


@dataclass
class Outcome:
    """What web/graphql/app.py leaves in a request's state for the metrics middleware."""

    operation_type: str = ""
    operation: str = ""
    codes: list[str] = field(default_factory=list)
    cost: int | None = None


_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name or not _NAME.fullmatch(name):
        return ""
    if name not in _operations:
        if len(_operations) >= MAX_OPERATIONS:
            return "other"
        _operations.add(name)
    return name


def record_graphql(scope: Scope, operation_type: str | None, name: str | None,
                   result_errors: Any, cost: int | None) -> None:
    codes = []
    for error in result_errors or ():
        extensions = getattr(error, "extensions", None) or {}
        code = extensions.get("code") if isinstance(extensions, Mapping) else None
        codes.append(code if isinstance(code, str) and _NAME.fullmatch(code) else "OTHER")
    scope.setdefault("state", {})["graphql"] = Outcome(
        operation_type or "", operation_label(name), codes, cost)


def _route(path: str) -> str:
    first = path.strip("/").split("/", 1)[0]
    return first if first in ROUTES else ("root" if not first else "other")


class Metrics:
    """Counts and times every HTTP request (outermost, so cached answers and refusals too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            outcome = scope.get("state", {}).get("graphql") or Outcome()
            route = _route(scope.get("path", ""))
            HTTP_REQUESTS.labels(route, scope.get("method", ""), str(status),
                                 outcome.operation_type, outcome.operation).inc()
            HTTP_SECONDS.labels(route, outcome.operation_type, outcome.operation).observe(
                time.perf_counter() - started)
            for code in outcome.codes:
                GRAPHQL_ERRORS.labels(code).inc()
            if outcome.cost is not None:
                QUERY_COST.observe(outcome.cost)


GC_PAUSES = Histogram(
    "hien_truong_gc_pause_seconds", "Python garbage collections, by generation: the event loop "
    "stands still meanwhile. A full (generation 2) collection walks every live object, and "
    "each subscriber's connection holds hundreds.", ["generation"], buckets=LATENCY_BUCKETS)
_collection_started = [0.0]


def _collector(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _collection_started[0] = time.perf_counter()
    else:
        GC_PAUSES.labels(str(info["generation"])).observe(
            time.perf_counter() - _collection_started[0])


def watch_collector() -> None:
    """Once per process (gc.callbacks is the interpreter's)."""
    if _collector not in gc.callbacks:
        gc.callbacks.append(_collector)


def delivered(batch: Batch) -> None:
    """A hub listener: each event's delay from its commit to this process's subscribers."""
    now = datetime.now(UTC)
    for event in batch.events:
        DELIVERY.observe(max(0.0, (now - event.at).total_seconds()))


def reminder_run(near: int, overdue: int, failed: bool) -> None:
    REMINDER_RUNS.labels("failed" if failed else "ok").inc()
    if near:
        REMINDERS.labels("DEADLINE_NEAR").inc(near)
    if overdue:
        REMINDERS.labels("OVERDUE").inc(overdue)


class Sampler:
    """Reads the counters the process keeps anyway into Prometheus: totals as increments
    since the last sample, levels as they are."""

    def __init__(self, state: Any, interval: float) -> None:
        self.state = state
        self.interval = interval
        self._seen: dict[Any, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def _add(self, counter: Any, key: Any, total: float) -> None:
        delta = total - self._seen.get(key, 0)
        if delta > 0:
            counter.inc(delta)
        self._seen[key] = total

    async def sample(self) -> None:
        async with self._lock:  # a scrape during the periodic sample would count twice
            await self._sample()

    async def _sample(self) -> None:
        state = self.state
        cache = state.cache
        self._add(CACHE.labels("hit"), "hit", cache.hits + cache.shared_hits)
        self._add(CACHE.labels("miss"), "miss", cache.misses)
        for rule, count in list(state.deps.throttle.refused.items()):
            self._add(RATE_LIMITED.labels(rule), ("rule", rule), count)
        if state.flood is not None:
            self._add(RATE_LIMITED.labels("requests_ip"), ("rule", "requests_ip"),
                      state.flood.refused)
        hub, fanout = state.hub, state.fanout
        self._add(DROPPED, "dropped", hub.dropped + fanout.dropped)
        self._add(DIRECT_FRAMES, "direct", DirectFrames.total)
        subscribers = hub.subscribers
        walls = sum(1 for sub in list(subscribers.everything) if sub.channel.public_only)
        SUBSCRIPTIONS.labels("report").set(sum(map(len, subscribers.by_report.values())))
        SUBSCRIPTIONS.labels("agency").set(sum(map(len, subscribers.by_agency.values())))
        SUBSCRIPTIONS.labels("public").set(walls)
        SUBSCRIPTIONS.labels("ioc").set(len(subscribers.everything) - walls)
        SHARED_GROUPS.set(len(fanout.groups))
        SHARED_MEMBERS.set(sum(len(group.members) for group in list(fanout.groups.values())))
        for (kind, outcome), count in list(state.media.uploads.items()):
            self._add(UPLOADS.labels(kind, outcome), ("upload", kind, outcome), count)
        pool = getattr(state.db.db(), "_pool", None)
        if pool is not None:
            DB_IN_USE.set(pool.get_size() - pool.get_idle_size())
        with contextlib.suppress(Exception):  # the database may be away: keep the last value
            HUB_LAG.set(max(0, await newest_seq() - hub.hwm))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sample()
            except Exception:
                log.warning("metrics sample failed", exc_info=True)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await tasks.stop(self._task)


def registry() -> CollectorRegistry | None:
    """The registry a scrape reads: every process's files in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
    return merged


def endpoint(token: str, sampler: Callable[[], Sampler | None]) -> Any:
    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "")
        if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response(status_code=404)
        current = sampler()
        if current is not None:
            await current.sample()
        merged = registry()
        body = generate_latest(merged) if merged is not None else generate_latest()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics


def process_ended() -> None:
    """Multiprocess mode: this worker's live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
