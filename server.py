"""The ASGI application: settings, lifespan (database + event bus), routes.

Run `python server.py --help` for the command line (serve, migrate, seed-demo, create-user, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl

import orjson
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

import logs
from asgi_json import send_json
from auth_header import bearer_token
from body_limit import BodyLimit, BodyTooLarge
from exports.routes import reports_csv, reports_geojson
from media.http import UploadRequestAdapter, is_multipart, preflighted, serve_media
from media.service import MediaService, MediaSettings, clean_forever
from media.storage import LocalStorage
from models.actions import accounts
from models.actions.changes import MAX_MEDIA_PER_REPORT
from models.actions.reminders import remind_forever
from models.db import database, unavailable
from models.deps import Deps, utc_now
from models.rules.calendar import vietnam
from models.throttle import Throttle
from open311.routes import open311_routes
from realtime.bus import EventBus
from realtime.fanout import FanOut
from realtime.hub import Hub
from realtime.live_figures import LiveFigures
from realtime.memo import Memo
from realtime.sharing import Planner
from realtime.transport import SharingTransportWS, TextWebSocketAdapter
from request_limit import RequestLimit
from resolvers.context import Context
from response_cache import Operation, ResponseCache, classify
from schema.build import UNAVAILABLE_MESSAGE, build_schema
from settings import Settings
from wall.routes import wall_mount

log = logging.getLogger("hien_truong")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


UPLOAD_OVERHEAD_BYTES = 1024 * 1024  # the operation, the map and multipart framing


def media_service(settings: Settings) -> MediaService:
    root = Path(settings.media_dir)
    return MediaService(LocalStorage(root), root / ".incoming", MediaSettings(
        image_max_bytes=settings.media_image_max_bytes,
        image_max_pixels=settings.media_image_max_pixels,
        video_max_bytes=settings.media_video_max_bytes,
        max_files=MAX_MEDIA_PER_REPORT,
        max_field_bytes=settings.max_body_bytes,
        unattached=timedelta(hours=settings.media_unattached_hours),
        ffmpeg=settings.ffmpeg,
    ))


def make_deps(settings: Settings, bus: EventBus, clock: Callable[[], datetime] | None) -> Deps:
    return Deps(
        calendar=vietnam(settings.extra_days_off, settings.extra_working_days),
        publish=bus.publish,
        clock=clock or utc_now,
        secret_key=settings.secret_key,
        token_ttl_days=settings.token_ttl_days,
        comment_interval_seconds=settings.comment_interval_seconds,
        throttle=Throttle(settings.rate_limit_storage_uri, dict(settings.rate_limits)),
    )


class GraphQLApp(GraphQL[Context, None]):
    request_adapter_class = UploadRequestAdapter
    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = SharingTransportWS

    def __init__(self, deps: Deps, settings: Settings, hub: Hub, figures: LiveFigures,
                 cache: ResponseCache, memo: Memo, media: MediaService) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
            allowed_origins=settings.allowed_origins,
            multipart_uploads_enabled=True,  # uploadMedia; CSRF rule in _uploads
        )
        self.deps = deps
        self.media = media
        self.hub = hub
        self.figures = figures
        self.cache = cache
        self.memo = memo
        self.settings = settings
        self.planner = Planner(cast("strawberry.Schema", self.schema)._schema)
        self.fanout = FanOut(queue_size=settings.ws_queue_size)
        self.sockets_per_ip: Counter[str] = Counter()
        self.sockets_per_user: Counter[int] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
            return
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        ip = (scope.get("client") or ("unknown", 0))[0]
        if self.sockets_per_ip[ip] >= self.settings.ws_max_connections_per_ip:
            await send({"type": "websocket.close", "code": 4429})  # refused before accepting
            return
        self.sockets_per_ip[ip] += 1
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.sockets_per_ip[ip] -= 1
            user = scope.get("state", {}).get("user_id")
            if user is not None:
                self.sockets_per_user[user] -= 1

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Anonymous queries may be answered from the response cache; failures outside GraphQL
        execution (signing the caller in needs the database) get the same masked JSON shape as
        errors inside it: 503 when the database is away, 500 otherwise, never a bare
        "Internal Server Error"."""
        if is_multipart(scope):
            await self._uploads(scope, receive, send)
            return
        operation, receive = await self._classify(scope, receive)
        cacheable = self.cache.enabled and operation.key is not None and not any(
            name == b"authorization" for name, _ in scope["headers"])
        if cacheable:
            assert operation.key is not None
            hit = self.cache.get(operation.key) or await self.cache.shared(operation.key)
            if hit is not None:
                await send_json(send, 200, hit, [(b"x-cache", b"HIT")])
                return
            flight = self.cache.begin(operation.key)
        generation = self.cache.generation
        answer: bytes | None = None
        started = False
        status = 0
        chunks: list[bytes] = []

        async def tracking_send(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                if cacheable:
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"x-cache", b"MISS")]}
            elif cacheable and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await super().__call__(scope, receive, tracking_send)
        except BodyTooLarge:
            raise  # BodyLimit answers 413
        except Exception as error:
            if started:
                raise
            await self._failed(send, error)
            return
        else:
            if cacheable and status == 200:
                body = b"".join(chunks)
                if not orjson.loads(body).get("errors"):
                    assert operation.key is not None
                    self.cache.put(operation.key, body, generation)
                    answer = body if generation == self.cache.generation else None
        finally:
            if operation.is_mutation:  # this process's readers see the change at once
                self.cache.invalidate()
                self.memo.invalidate()
            if cacheable:
                assert operation.key is not None
                self.cache.end(operation.key, flight, answer)

    async def _uploads(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Multipart requests carry uploads: refused before the body is read unless they
        forced a CORS preflight (else any web page could make a signed-in browser upload) and
        carry a token; never cached; their temporary files removed whatever happens."""
        if not preflighted(scope):
            await send_json(send, 400, orjson.dumps({"errors": [{
                "message": "Uploads need a header that forces a CORS preflight, e.g. "
                           "'Apollo-Require-Preflight: true' (CSRF protection).",
                "extensions": {"code": "VALIDATION"}}]}))
            return
        if not any(name == b"authorization" for name, _ in scope["headers"]):
            await send_json(send, 401, orjson.dumps({"errors": [{
                "message": "Sign in to upload.", "extensions": {"code": "UNAUTHENTICATED"}}]}))
            return
        state = scope.setdefault("state", {})
        try:
            await super().__call__(scope, receive, send)
        except BodyTooLarge:
            raise
        except Exception as error:
            await self._failed(send, error)
        finally:
            for file in state.pop("uploads", []):
                file.discard()
            self.cache.invalidate()
            self.memo.invalidate()

    async def _classify(self, scope: Scope, receive: Receive) -> tuple[Operation, Receive]:
        """Read the operation (and, for POST, the body, handed on unchanged)."""
        if scope["method"] == "GET":
            params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            try:
                variables = orjson.loads(params["variables"]) if "variables" in params else None
            except orjson.JSONDecodeError:
                return Operation(None, False), receive
            return classify({"query": params.get("query"), "variables": variables,
                             "operationName": params.get("operationName")}), receive
        if scope["method"] != "POST":
            return Operation(None, False), receive
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # wait for the disconnect, as a live body would
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = None  # strawberry answers it (multipart, bad JSON)
        return classify(payload), replay

    async def _failed(self, send: Send, error: Exception) -> None:
        request_id = logs.request_id.get() or uuid.uuid4().hex
        away = unavailable(error)
        log.error("request failed before execution request_id=%s", request_id, exc_info=error)
        status, code, message = (503, "UNAVAILABLE", UNAVAILABLE_MESSAGE) if away else (
            500, "INTERNAL", "Unexpected error")
        body = orjson.dumps({"data": None, "errors": [
            {"message": message, "extensions": {"code": code, "requestId": request_id}}]})
        headers = [(b"x-request-id", request_id.encode())]
        if away:
            headers.append((b"retry-after", b"1"))
        await send_json(send, status, body, headers)

    def encode_json(self, data: object) -> bytes:
        # orjson: faster, and Vietnamese text goes out as UTF-8 rather than \u escapes.
        return orjson.dumps(data)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        logs.request_id.set(request_id)  # every log line of this request carries it
        token = bearer_token(request.headers.get("authorization"))
        viewer = await accounts.viewer_for_token(token, self.deps)
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = request_id
        return Context(
            request=request, response=response, viewer=viewer, deps=self.deps,
            request_id=request_id, token=token, hub=self.hub, figures=self.figures,
            memo=self.memo, media=self.media,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Sign-in over WebSocket: connection_init's payload carries the bearer token. A token
        that is given but not valid closes the socket with 4403; no token is anonymous."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        if raw is None:
            return None  # anonymous: public streams only
        token = bearer_token(raw) if isinstance(raw, str) else None
        viewer = await accounts.viewer_for_token(token, self.deps)
        if not viewer.signed_in or viewer.user_id is None:
            raise ConnectionRejectionError({"message": "Invalid or expired token."})
        if self.sockets_per_user[viewer.user_id] >= self.settings.ws_max_connections_per_user:
            raise ConnectionRejectionError({"message": "Too many connections for this account."})
        self.sockets_per_user[viewer.user_id] += 1
        context.request.scope.setdefault("state", {})["user_id"] = viewer.user_id
        context.viewer, context.token = viewer, token
        context.refresh_loaders(context.loaders)
        return None


async def healthz(request: Request) -> JSONResponse:
    state: Any = request.app.state
    checks: dict[str, str] = {}
    try:
        await state.db.db().execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        log.warning("health check: database unreachable", exc_info=True)
        checks["database"] = "unreachable"
    bus: EventBus = state.bus
    if not bus.url.startswith("memory://"):
        checks["broadcast"] = "ok" if bus.healthy else "unreachable"
    healthy = all(v == "ok" for v in checks.values())
    if healthy:
        return JSONResponse({"status": "ok", **checks})
    # Without the bus the process still answers queries and mutations ("degraded"); without the
    # database it cannot do anything ("unavailable").
    status = "degraded" if checks["database"] == "ok" else "unavailable"
    return JSONResponse({"status": status, **checks}, status_code=503)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None
) -> Starlette:
    """Build the app. `clock` lets tests fix the time the domain sees."""
    settings = settings or Settings.from_env()
    settings.check()
    hub = Hub(poll_seconds=settings.event_poll_seconds, queue_size=settings.ws_queue_size,
              token_recheck_seconds=settings.ws_token_recheck_seconds)
    figures = LiveFigures(min_interval=1.0)
    hub.on_batch.append(figures.changed)
    bus = EventBus(settings.broadcast_url, on_notice=hub.wake)
    deps = make_deps(settings, bus, clock)
    cache = ResponseCache(max_age=settings.response_cache_seconds)
    memo = Memo(max_age=settings.figures_cache_seconds)
    # Any process's change, once this process's hub has read its event from the database.
    hub.on_batch += [cache.invalidate, memo.invalidate]
    media = media_service(settings)
    graphql = GraphQLApp(deps, settings, hub, figures, cache, memo, media)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with database(settings.database_url) as db:
            app.state.db = db
            await hub.start()
            figures.start()
            await bus.connect()
            jobs = []
            if settings.reminder_interval_seconds > 0:
                jobs.append(asyncio.create_task(
                    remind_forever(deps, settings.reminder_interval_seconds)
                ))
            if settings.media_cleanup_interval_seconds > 0:
                jobs.append(asyncio.create_task(
                    clean_forever(media, deps, settings.media_cleanup_interval_seconds)
                ))
            try:
                yield
            finally:
                for job in jobs:
                    job.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await job
                await bus.disconnect()
                await deps.throttle.close()
                await figures.stop()
                await graphql.fanout.stop()
                await hub.stop()

    app = Starlette(
        middleware=[
            Middleware(RequestLimit, throttle=deps.throttle,
                       paths=("/graphql", "/export/reports.geojson", "/export/reports.csv"),
                       prefixes=("/open311/",)),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       upload_max_bytes=settings.media_video_max_bytes + UPLOAD_OVERHEAD_BYTES),
        ],
        routes=[
            Route("/healthz", healthz),
            Route("/media/{key:path}", serve_media, methods=["GET", "HEAD"]),
            Route("/export/reports.geojson", reports_geojson),
            Route("/export/reports.csv", reports_csv),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *open311_routes(),
            wall_mount(),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.deps = deps
    app.state.bus = bus
    app.state.hub = hub
    app.state.figures = figures
    app.state.cache = cache
    app.state.memo = memo
    app.state.fanout = graphql.fanout
    app.state.media = media
    return app


if __name__ == "__main__":
    from cli import main

    main()
