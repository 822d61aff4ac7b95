"""The wiring: settings → services → middleware → routes, and one lifespan.

Everything it assembles lives in its own room (README, "Layout"): the domain in `models/`, live
events in `realtime/`, the GraphQL layer in `schema/` and `resolvers/`, the edge in `web/`.
Run `python server.py --help` for the command line (serve, migrate, seed-demo, create-user, ...).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from realtime.bus import EventBus
from realtime.cache import Cache
from realtime.hub import Hub
from realtime.invalidation import Invalidation
from realtime.live_figures import LiveFigures
from realtime.notifications import NotificationWorker
from realtime.session_watch import SessionWatch
from realtime.webhooks import WebhookWorker
from resolvers.build import build_schema
from web import metrics
from web.auth import Authenticator
from web.exports.routes import reports_csv, reports_geojson
from web.exports.xlsx import reports_xlsx
from web.graphiql.routes import graphiql_mount
from web.graphql.app import GraphQLApp
from web.graphql.direct_frames import DirectSockets
from web.graphql.persisted import Mode, PersistedDocuments
from web.health import healthz, livez, readyz
from web.icons import icon_routes
from web.lifespan import Services, lifespan
from web.media import serve_media
from web.middleware.body_limit import BodyLimit
from web.middleware.cors import cors
from web.middleware.refresh import Refresher
from web.middleware.request_context import RequestContext
from web.middleware.request_limit import RequestLimit
from web.middleware.response_cache import ResponseCache, response_store
from web.notification_links import notification_routes
from web.open311.routes import open311_mount
from web.services import (
    flood_counter,
    make_deps,
    media_service,
    outbox_senders,
    schema_options,
    upload_max_bytes,
)
from web.settings import Settings
from web.tracing import Tracing
from web.wall.routes import wall_routes


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None,
    span_exporter: Any = None,
) -> Starlette:
    """Build the app. `clock` lets tests fix the time the domain sees; `span_exporter` where
    spans go with TRACING (tests: in memory; otherwise OTLP)."""
    settings = settings or Settings.from_env()
    settings.check()

    # Services: the event hub and bus, the domain's dependencies, caches emptied by events.
    hub = Hub(poll_seconds=settings.event_poll_seconds, queue_size=settings.ws_queue_size)
    bus = EventBus(settings.broadcast_url, on_notice=hub.wake)
    figures = LiveFigures(min_interval=1.0)
    responses = response_store(settings.response_cache_seconds)
    memo: Cache[Hashable, Any] = Cache(max_age=settings.figures_cache_seconds,
                                      max_entries=256)

    refresher = Refresher()
    if settings.response_cache_tags:  # popular answers recomputed once, in the background
        responses.on_drop = refresher.dropped
    invalidation = Invalidation(responses, memo, bus, by_tags=settings.response_cache_tags)
    deps = make_deps(settings, invalidation.publish, clock, invalidation.changed)
    # Any process's change, once this process's hub has read its event from the database.
    hub.on_batch += [figures.changed, invalidation.batch_read]
    media = media_service(settings)
    flood = flood_counter(settings, deps.throttle)
    auth = Authenticator(deps)
    senders = [sender for sender in outbox_senders(settings, deps) if sender is not None]
    for sender in senders:  # new events: their deliveries and notifications are due now
        hub.on_batch.append(sender.wake)
    watch = SessionWatch(auth.problems, settings.ws_token_recheck_seconds)
    persisted = PersistedDocuments(Mode(settings.persisted_queries))
    tracing = Tracing(span_exporter) if settings.tracing else None
    options = schema_options(settings)
    if tracing is not None:
        options = dataclasses.replace(options, tracer_provider=tracing.provider)
    graphql = GraphQLApp(build_schema(options), settings, deps=deps,
                         auth=auth, hub=hub, figures=figures, memo=memo, media=media,
                         persisted=persisted, sessions=watch)

    # Routes: the public API (rate-limited per IP), then the rest.
    api = [
        Route("/graphql", graphql, methods=None),  # others: 405 with Allow, as JSON
        WebSocketRoute("/graphql", graphql),
        Route("/export/reports.geojson", reports_geojson),
        Route("/export/reports.csv", reports_csv),
        Route("/export/reports.xlsx", reports_xlsx),
        open311_mount(),
    ]
    sampler: list[metrics.Sampler] = []  # made once the app (and its state) exists
    routes = [
        Route("/healthz", healthz),
        Route("/livez", livez),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint(settings.metrics_token,
                                           lambda: sampler[0] if sampler else None)),
        Route("/media/{key:path}", serve_media, methods=["GET", "HEAD"]),
        *api,
        *wall_routes(),
        *notification_routes(),
        *icon_routes(),
        graphiql_mount(),
    ]
    middleware = [
        Middleware(DirectSockets),  # outermost: it needs the server's own WebSocket send
        *([Middleware(tracing.middleware)] if tracing is not None else []),
        *([Middleware(metrics.Metrics)] if settings.metrics_token else []),
        cors(settings.allowed_origins),
        Middleware(RequestLimit, flood=flood, routes=api),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                   upload_max_bytes=upload_max_bytes(settings)),
        Middleware(ResponseCache, cache=responses, path="/graphql", resolve=persisted.known,
                   http_max_age=settings.response_cache_seconds,
                   per_host=not settings.public_url, refresher=refresher),
        Middleware(RequestContext, auth=auth, own_authorization=frozenset({"/metrics"})),
    ]

    services = Services(settings=settings, deps=deps, hub=hub, bus=bus, figures=figures,
                        watch=watch, flood=flood, senders=senders, media=media,
                        graphql=graphql, refresher=refresher, persisted=persisted,
                        tracing=tracing, sampler=sampler)
    app = Starlette(middleware=middleware, routes=routes, lifespan=lifespan(services))
    if settings.metrics_token:
        metrics.watch_collector()
        sampler.append(metrics.Sampler(app.state, settings.metrics_sample_seconds))
        hub.on_batch.append(metrics.delivered)
    app.state.settings = settings
    app.state.deps = deps
    app.state.auth = auth
    app.state.bus = bus
    app.state.hub = hub
    app.state.sessions = watch
    app.state.figures = figures
    app.state.cache = responses
    app.state.refresher = refresher
    app.state.memo = memo
    app.state.schema = graphql.schema
    app.state.graphql = graphql
    app.state.webhooks = next((e for e in senders if isinstance(e, WebhookWorker)), None)
    app.state.notifications = next((e for e in senders if isinstance(e, NotificationWorker)),
                                   None)
    app.state.fanout = graphql.fanout
    app.state.media = media
    app.state.flood = flood
    app.state.persisted = persisted
    return app


if __name__ == "__main__":
    from web.cli import main

    main()
