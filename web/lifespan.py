"""A process's life: what starts, in which order, once the app is built (server.py), and how
it stops: draining first (/readyz 503, sockets closed with 1012), then every background task,
the senders and the hub last."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from media.service import MediaService, clean_forever
from models.actions.reminders import remind_forever
from models.db import database
from models.deps import Deps
from realtime.bus import EventBus
from realtime.hub import Hub
from realtime.live_figures import LiveFigures
from realtime.outbound import OutboxWorker
from realtime.session_watch import SessionWatch
from web import metrics
from web.collector import CollectorSteward
from web.draining import on_termination
from web.graphql.app import GraphQLApp
from web.graphql.persisted import Mode, PersistedDocuments
from web.middleware.flood import FloodCounter
from web.middleware.refresh import Refresher
from web.replica import ReplicaReads
from web.settings import Settings
from web.tracing import Tracing
from web.wall.routes import trust_wall_documents

log = logging.getLogger("hien_truong")


@dataclass
class Services:
    """The long-lived services of a process, as server.py built them."""

    settings: Settings
    deps: Deps
    hub: Hub
    bus: EventBus
    figures: LiveFigures
    watch: SessionWatch
    flood: FloodCounter | None
    senders: Sequence[OutboxWorker]
    media: MediaService
    graphql: GraphQLApp
    refresher: Refresher
    persisted: PersistedDocuments
    tracing: Tracing | None
    sampler: list[metrics.Sampler]  # made once the app (and its state) exists


def lifespan(services: Services) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        s = services
        settings = s.settings
        async with database(settings.database_url,
                            replica_url=settings.database_replica_url) as db:
            app.state.db = db
            if s.persisted.mode is Mode.TRUSTED:
                trust_wall_documents(s.persisted)
            if s.tracing is not None:
                s.tracing.instrument()
            await s.hub.start()
            replica = None
            if settings.database_replica_url:
                replica = app.state.replica = ReplicaReads(db, s.hub,
                                                           settings.replica_check_seconds)
                await replica.start()
                s.graphql.replica = replica
            s.figures.start()
            s.watch.start()
            if s.flood is not None:
                s.flood.start()
            for sender in s.senders:
                await sender.start()
            await s.bus.connect()
            jobs = _jobs(s)
            # What is loaded by now lives as long as the process: kept out of the garbage
            # collector's way, its full collections take a few ms instead of 100 ms or more
            # (measured: the longest pause of the event loop under heavy queries).
            gc.collect()
            gc.freeze()
            for each in s.sampler:
                each.start()

            def draining() -> None:
                app.state.draining = True  # /readyz: 503 from now on
                log.info("stop signal: draining (readyz 503, sockets close with 1012)")

            try:
                with on_termination(draining, settings.shutdown_delay_seconds):
                    yield
            finally:
                app.state.draining = True
                await _stop(s, replica, jobs)

    return run


def _jobs(s: Services) -> list[asyncio.Task[Any]]:
    settings = s.settings
    jobs = []
    if settings.reminder_interval_seconds > 0:
        jobs.append(asyncio.create_task(remind_forever(
            s.deps, settings.reminder_interval_seconds,
            metrics.reminder_run if settings.metrics_token else None)))
    if settings.media_cleanup_interval_seconds > 0:
        jobs.append(asyncio.create_task(
            clean_forever(s.media, s.deps, settings.media_cleanup_interval_seconds)))
    if settings.gc_freeze_seconds > 0:
        steward = CollectorSteward(settings.gc_freeze_seconds, settings.gc_thaw_after)
        jobs.append(asyncio.create_task(steward.run_forever()))
    return jobs


async def _stop(s: Services, replica: ReplicaReads | None, jobs: list[asyncio.Task[Any]]
                ) -> None:
    if replica is not None:
        await replica.stop()
    for each in s.sampler:
        await each.stop()
    metrics.process_ended()
    if s.tracing is not None:
        s.tracing.shutdown()
    for job in jobs:
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
    await s.bus.disconnect()
    await s.deps.throttle.close()
    if s.flood is not None:
        await s.flood.stop()
    await s.figures.stop()
    await s.watch.stop()
    await s.refresher.stop()
    await s.graphql.fanout.stop()
    for sender in s.senders:
        await sender.stop()
    await s.hub.stop()
