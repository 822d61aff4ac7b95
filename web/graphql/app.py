"""The GraphQL endpoint at /graphql, over HTTP and WebSocket: strawberry's ASGI view with our
context, the upload rules, WebSocket connection limits and sign-in by `connection_init`."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Hashable
from datetime import timedelta
from typing import Any, cast

import orjson
import strawberry
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from media.service import MediaService
from models.deps import Deps
from models.messages import _, language, negotiate_language, t
from models.rules.policy import ANONYMOUS
from realtime.cache import Cache
from realtime.hub import Hub, LiveFeed
from realtime.live_figures import LiveFigures
from realtime.session_watch import SessionWatch
from schema.context import Context
from schema.projected_lists import RawJSON
from web import metrics
from web.auth import Authenticator, signed_of
from web.graphiql.page import graphiql_page
from web.graphql import uploads
from web.graphql.fanout import FanOut
from web.graphql.http import (
    GRAPHQL_RESPONSE,
    JSON,
    RequestRefused,
    content_type,
    negotiate_media,
    refusal_response,
    strawberry_refusal,
)
from web.graphql.page_documents import PageDocuments
from web.graphql.persisted import NotPersisted, PersistedDocuments
from web.graphql.sharing import Planner
from web.graphql.transport import SharingTransportWS, TextWebSocketAdapter
from web.middleware.response_cache import operation_of, parsed_body
from web.replica import ReplicaReads
from web.responses import error_body
from web.settings import Settings
from web.urls import base_url


def _raw(value: object) -> orjson.Fragment:
    """A page PostgreSQL wrote (schema/projected_lists.py), written as it is."""
    if isinstance(value, RawJSON):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _parsed(value: object) -> object:
    """The same for the stdlib's encoder."""
    if isinstance(value, RawJSON):
        return json.loads(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON")

class Answer(Response):
    """strawberry's sub-response, carrying what the answer's headers depend on."""

    media: str = JSON
    drop_data: bool = False  # an operation that never ran has no `data` (graphql-response+json)


class GraphQLApp(GraphQL[Context, None]):
    request_adapter_class = uploads.UploadRequestAdapter
    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = SharingTransportWS

    def __init__(self, schema: strawberry.Schema, settings: Settings, *, deps: Deps,
                 auth: Authenticator, hub: Hub, figures: LiveFigures,
                 memo: Cache[Hashable, Any], media: MediaService,
                 persisted: PersistedDocuments, sessions: SessionWatch | None = None) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
            allowed_origins=settings.allowed_origins,
            multipart_uploads_enabled=True,  # uploadMedia; CSRF rule in uploads.refused
        )
        self.settings = settings
        self.ws_max_message_bytes = settings.ws_max_message_bytes
        self.max_response_bytes = settings.max_response_bytes
        self.deps = deps
        self.auth = auth
        self.hub = hub
        self.sessions = sessions
        self.figures = figures
        self.memo = memo
        self.media = media
        self.persisted = persisted
        self.pages = PageDocuments(schema)
        self.replica: ReplicaReads | None = None  # set at start-up with DATABASE_REPLICA_URL
        # Which subscriptions share one execution: declared on their fields, read here.
        self.planner = (Planner(schema._schema, max_tokens=settings.max_tokens)
                        if settings.ws_share_subscriptions else None)
        self.fanout = FanOut(lambda: LiveFeed(hub), queue_size=settings.ws_queue_size)
        self.sockets_per_ip: Counter[str] = Counter()
        self.sockets_per_user: Counter[int] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and uploads.is_multipart(scope):
            await self._upload(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's view, with every refusal of the request itself as a JSON body."""
        request = Request(scope, receive)
        media = negotiate_media(request.headers.get("accept"))
        request.state.media = media
        request.state.remember = None
        try:
            response = await self.run(request)
        except RequestRefused as refused:
            response = refusal_response(refused, media)
        except HTTPException as error:
            response = refusal_response(strawberry_refusal(error), media)
        except NotPersisted as missing:  # HTTP 200: Apollo's clients then send the text
            response = Response(error_body(missing.message, missing.code), status_code=200,
                                media_type=content_type(media or JSON))
        await response(scope, receive, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Never cached; their temporary files removed whatever happens."""
        if await uploads.refused(scope, send):
            return
        state = scope.setdefault("state", {})
        try:
            await self._http(scope, receive, send)
        finally:
            for file in state.pop("uploads", []):
                file.discard()

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        ip = (scope.get("client") or ("unknown", 0))[0]
        if self.sockets_per_ip[ip] >= self.settings.ws_max_connections_per_ip:
            await send({"type": "websocket.close", "code": 4429})  # refused before accepting
            return
        self.sockets_per_ip[ip] += 1
        metrics.WEBSOCKETS.inc()  # as it happens: a scrape of another worker sees it at once
        try:
            await super().__call__(scope, receive, send)
        finally:
            metrics.WEBSOCKETS.dec()
            self.sockets_per_ip[ip] -= 1
            user = scope.get("state", {}).get("user_id")
            if user is not None:
                self.sockets_per_user[user] -= 1

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        answer = Answer()
        answer.status_code = None  # type: ignore[assignment]
        del answer.headers["content-length"]
        answer.media = request.scope.get("state", {}).get("media") or JSON
        return answer

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page()  # served from this server's own files (web/graphiql/)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A persisted query over GET has no `query` either: it is not a browser's visit.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request)

    async def parse_http_body(self, request_adapter: Any) -> Any:
        if request_adapter.request.state.media is None:
            raise RequestRefused(406, _("Ask for application/graphql-response+json or "
                                        "application/json."), "NOT_ACCEPTABLE")
        data = await super().parse_http_body(request_adapter)
        if isinstance(data, list):
            raise RequestRefused(400, _("Send one operation per request (batching is off)."))
        if data.operation_name is not None and not isinstance(data.operation_name, str):
            raise RequestRefused(400, _("operationName must be a string or null."),
                                 field="operationName")
        resolved = await self.persisted.resolve(data.query, data.extensions)
        request_adapter.request.state.remember = resolved.remember
        data.query = resolved.query
        if data.query is None:
            raise RequestRefused(400, _("Send a GraphQL document in `query`, or the hash of "
                                        "a persisted one in `extensions`."), field="query")
        return data

    async def execute_single(
        self, request: Request, request_adapter: Any, sub_response: Response,
        context: Context, root_value: None, request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Subscriptions live on the WebSocket: over HTTP they are refused plainly (400,
        VALIDATION) rather than run halfway; mutations are not run by GET (405)."""
        kind, name = operation_of(request_data.query, request_data.operation_name)
        if kind == "subscription":
            sub_response.status_code = 400
            return ExecutionResult(data=None, errors=[GraphQLError(t(
                "Subscriptions run over a WebSocket at /graphql (graphql-transport-ws), not "
                "over HTTP."), extensions={"code": "VALIDATION"})])
        if kind == "mutation" and request.method == "GET":
            raise RequestRefused(405, _("Mutations are sent with POST."), "METHOD_NOT_ALLOWED",
                                 headers={"Allow": "POST"})
        replica = self.replica
        with replica.reading(context.viewer, kind) if replica else contextlib.nullcontext():
            result = await self._page_document(context, request_data)
            if result is None:
                result = await super().execute_single(request, request_adapter, sub_response,
                                                      context, root_value, request_data)
                if kind == "query" and context.executed and not result.errors \
                        and context.viewer == ANONYMOUS and request_data.query:
                    self.pages.learn(request_data.query, request_data.operation_name)
        cost = ((result.extensions or {}).get("cost") or {}).get("requestedNodes")
        metrics.record_graphql(request.scope, kind, name, result.errors,
                               cost if isinstance(cost, int) else None)
        remember = request.state.remember
        if remember and context.executed and request_data.query:
            self.persisted.remember(remember, request_data.query)
        answer = cast(Answer, sub_response)
        if answer.media == GRAPHQL_RESPONSE and not context.executed and result.errors:
            answer.status_code = answer.status_code or 400
            answer.drop_data = True
        return result

    async def _page_document(self, context: Context,
                             request_data: GraphQLRequestData) -> ExecutionResult | None:
        """A public page's document, answered by its plan (web/graphql/page_documents.py)."""
        if not self.settings.page_documents or self.settings.tracing:  # tracing: its spans
            return None
        plan = self.pages.plan(request_data.query, request_data.operation_name)
        if plan is None:
            return None
        return await self.pages.answer(plan, context, request_data.variables)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        answer = cast(Answer, sub_response)
        if answer.drop_data and isinstance(response_data, dict):
            response_data.pop("data", None)
        response = Response(self.encode_json(response_data),
                            status_code=sub_response.status_code or 200,
                            media_type=content_type(answer.media))
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response

    def decode_json(self, data: str | bytes) -> object:
        # The response-cache middleware parsed this very body already (with orjson, which
        # refuses what strawberry's own parser takes, such as 1e999: that one is parsed here).
        parsed = parsed_body.get()
        if parsed is not None and parsed[0] == data:
            return parsed[1]
        return super().decode_json(data)

    def encode_json(self, data: object) -> bytes | str:
        # orjson: faster, and Vietnamese text goes out as UTF-8 rather than \u escapes. A lone
        # surrogate echoed back in a validation message is not UTF-8: stdlib json escapes it.
        try:
            body: bytes | str = orjson.dumps(data, default=_raw)
        except TypeError:
            body = json.dumps(data, ensure_ascii=True, default=_parsed)
        if len(body) > self.max_response_bytes:
            return error_body(t("The answer is over {count} bytes; ask for smaller pages or "
                                "fewer fields.", count=self.max_response_bytes),
                              "RESPONSE_TOO_LARGE", data_null=True)
        return body

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        signed = signed_of(request)  # web/middleware/request_context.py signed it in
        return Context(
            request=request, response=response, viewer=signed.viewer, deps=self.deps,
            request_id=request.scope.get("state", {}).get("request_id", ""),
            token=signed.token, events=self.hub, sessions=self.sessions, figures=self.figures,
            memo=self.memo,
            media=self.media, base_url=base_url(request, self.settings.public_url),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Sign-in over WebSocket: connection_init's payload carries the bearer token. A token
        that is given but not valid closes the socket with 4403; no token is anonymous."""
        params = context.connection_params or {}
        wanted = params.get("language") or params.get("acceptLanguage")
        if isinstance(wanted, str):
            language.set(negotiate_language(wanted))
        signed = await self.auth.connection_params(params)
        if signed.problem is not None:
            # graphql-transport-ws closes with 4403; the reason says which problem
            context.request.scope.setdefault("state", {})["close_reason"] = signed.problem.value
            raise ConnectionRejectionError({"reason": signed.problem.value})
        viewer = signed.viewer
        if viewer.user_id is None:
            return None  # anonymous: public streams only
        if self.sockets_per_user[viewer.user_id] >= self.settings.ws_max_connections_per_user:
            raise ConnectionRejectionError({"message": "Too many connections for this account."})
        self.sockets_per_user[viewer.user_id] += 1
        context.request.scope.setdefault("state", {})["user_id"] = viewer.user_id
        context.viewer, context.token = viewer, signed.token
        context.refresh_loaders(context.loaders)
        return None
