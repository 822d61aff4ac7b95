"""The GraphQL endpoint at /graphql, over HTTP and WebSocket: strawberry's ASGI view with our
context, the upload rules, WebSocket connection limits and sign-in by `connection_init`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable
from datetime import timedelta
from typing import Any

import orjson
import strawberry
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
from realtime.cache import Cache
from realtime.hub import Hub, LiveFeed
from realtime.live_figures import LiveFigures
from schema.context import Context
from web.auth import Authenticator, signed_of
from web.graphql import uploads
from web.graphql.fanout import FanOut
from web.graphql.sharing import Planner
from web.graphql.transport import SharingTransportWS, TextWebSocketAdapter
from web.middleware.response_cache import operation_type, parsed_body
from web.responses import error_body
from web.settings import Settings


class GraphQLApp(GraphQL[Context, None]):
    request_adapter_class = uploads.UploadRequestAdapter
    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = SharingTransportWS

    def __init__(self, schema: strawberry.Schema, settings: Settings, *, deps: Deps,
                 auth: Authenticator, hub: Hub, figures: LiveFigures,
                 memo: Cache[Hashable, Any], media: MediaService) -> None:
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
        self.figures = figures
        self.memo = memo
        self.media = media
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
            await super().__call__(scope, receive, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Never cached; their temporary files removed whatever happens."""
        if await uploads.refused(scope, send):
            return
        state = scope.setdefault("state", {})
        try:
            await super().__call__(scope, receive, send)
        finally:
            for file in state.pop("uploads", []):
                file.discard()

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
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

    async def execute_single(
        self, request: Request, request_adapter: Any, sub_response: Response,
        context: Context, root_value: None, request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Subscriptions live on the WebSocket: over HTTP they are refused plainly (400,
        VALIDATION) rather than run halfway."""
        if operation_type(request_data.query, request_data.operation_name) == "subscription":
            sub_response.status_code = 400
            return ExecutionResult(data=None, errors=[GraphQLError(
                "Subscriptions run over a WebSocket at /graphql (graphql-transport-ws), not "
                "over HTTP.", extensions={"code": "VALIDATION"})])
        return await super().execute_single(request, request_adapter, sub_response, context,
                                            root_value, request_data)

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
            body: bytes | str = orjson.dumps(data)
        except TypeError:
            body = json.dumps(data, ensure_ascii=True)
        if len(body) > self.max_response_bytes:
            return error_body(f"The answer is over {self.max_response_bytes} bytes; ask for "
                              "smaller pages or fewer fields.", "RESPONSE_TOO_LARGE",
                              data_null=True)
        return body

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        signed = signed_of(request)  # web/middleware/request_context.py signed it in
        return Context(
            request=request, response=response, viewer=signed.viewer, deps=self.deps,
            request_id=request.scope.get("state", {}).get("request_id", ""),
            token=signed.token, events=self.hub, figures=self.figures, memo=self.memo,
            media=self.media,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Sign-in over WebSocket: connection_init's payload carries the bearer token. A token
        that is given but not valid closes the socket with 4403; no token is anonymous."""
        signed = await self.auth.connection_params(context.connection_params)
        if signed is None:
            raise ConnectionRejectionError({"message": "Invalid or expired token."})
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
