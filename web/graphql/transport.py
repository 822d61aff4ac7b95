"""graphql-transport-ws with shared execution of event streams (web/graphql/fanout.py), and text
frames: browsers hand binary frames to JavaScript as Blobs, which graphql-ws cannot parse.

A shared subscription runs in two parts, each the ordinary subscription resolver over another
event source in its context: the group's execution reads a live feed of the hub, and each
member first replays on its own what it missed, up to the mark where the group took over."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from json import JSONDecodeError
from typing import Any, Protocol

from graphql import GraphQLError, parse, validate
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    NextMessage,
    NextMessagePayload,
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from models.messages import language, t
from realtime.hub import Hub, Replay
from schema.context import Context
from web.graphql.direct_frames import direct_frames
from web.graphql.fanout import FanOut, Group, encode
from web.graphql.http import RequestRefused
from web.graphql.member import Member
from web.graphql.persisted import NotPersisted, PersistedDocuments
from web.graphql.sharing import Plan, Planner


class SharingView(Protocol):
    """What the transport needs of the view that runs it (web/graphql/app.py)."""

    planner: Planner | None
    hub: Hub
    fanout: FanOut
    ws_max_message_bytes: int
    persisted: PersistedDocuments


TOO_LARGE = 4400  # graphql-transport-ws: a message the server will not take; no retry helps


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        """Messages over the limit (`WS_MAX_MESSAGE_BYTES`) end the connection before anything
        of them is parsed or kept: a subscription keeps its document for hours."""
        view: SharingView = self.view  # type: ignore[assignment]
        limit = view.ws_max_message_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    text = await self.ws.receive_text()
                    if len(text) > limit // 4 and len(text.encode()) > limit:
                        await self.close(TOO_LARGE, f"Message over {limit} bytes")
                        return
                    yield self.view.decode_json(text)
                except JSONDecodeError as e:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from e
        except KeyError as e:
            raise NonTextMessageReceived from e
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Mapping[str, object]) -> None:
        await self.send_text(encode(message))

    async def close(self, code: int, reason: str) -> None:
        # A refused sign-in closes with 4403 "Forbidden"; the reason then names the problem
        # (TOKEN_EXPIRED...), as the 401 over HTTP does.
        state = self.ws.scope.get("state", {})
        await super().close(code, state.pop("close_reason", reason) if code == 4403 else reason)

    async def send_text(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError) as exc:
            raise WebSocketDisconnected from exc


def _valid(schema: Any, query: str) -> bool:
    """Only a document that validates is kept for its hash (as over HTTP, where it must run)."""
    try:
        return not validate(schema._schema, parse(query))
    except GraphQLError:
        return False


class SharingTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_init_received:
            # Cancelled by now, and otherwise held (with its frame) for the connection's life.
            self.connection_init_timeout_task = None

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Persisted documents over the socket too: a hash in `extensions` names the document,
        and with PERSISTED_QUERIES=trusted only registered ones run, as over HTTP."""
        view: SharingView = self.view  # type: ignore[assignment]
        payload = message.get("payload")
        if isinstance(payload, dict) and self.connection_acknowledged:
            try:
                resolved = await view.persisted.resolve(payload.get("query"),
                                                        payload.get("extensions"))
            except (RequestRefused, NotPersisted) as refused:
                await self.send_message({"id": message["id"], "type": "error", "payload": [
                    {"message": refused.message, "extensions": {"code": refused.code}}]})
                return
            if resolved.query is not None:
                message = {**message, "payload": {**payload, "query": resolved.query}}
                if resolved.remember and _valid(self.schema, resolved.query):
                    view.persisted.remember(resolved.remember, resolved.query)
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        view: SharingView = self.view  # type: ignore[assignment]
        plan = None
        if view.planner is not None:
            plan = view.planner.plan(operation.query, operation.variables,
                                     operation.operation_name, self.context.token,
                                     base_url=self.context.base_url, language=language.get())
        if plan is None:
            await super().run_operation(operation)
            return
        with contextlib.suppress(WebSocketDisconnected):
            await self._run_shared(view, operation, plan)

    async def _run_shared(self, view: SharingView, operation: Operation[Context, None],
                          plan: Plan) -> None:
        async def open_stream(group: Group) -> AsyncIterator[Any]:
            context = dataclasses.replace(self.context, events=group.feed)
            source: AsyncIterator[Any] = await self._stream(operation, context)
            return source

        websocket: TextWebSocketAdapter = self.websocket  # type: ignore[assignment]
        # Starlette's own send: one layer less on the path taken when a frame cannot be
        # written directly (web/graphql/direct_frames.py).
        group, member = view.fanout.join(plan.key, open_stream, view.hub.hwm,
                                         websocket.ws.send_text, operation.id,
                                         direct_frames(websocket.ws.scope))
        try:
            start = await group.started
            if member.mark is None:
                member.mark = start or 0
            if plan.after is not None:
                if not await self._replay(operation, member.mark):
                    return
                if isinstance(plan.after, str) and plan.after.isdigit():
                    member.mark = max(member.mark, int(plan.after))
            else:
                member.mark = max(member.mark, await view.hub.newest())
            await self._relay(operation, member)
        finally:
            group.leave(member)

    async def _relay(self, operation: Operation[Context, None], member: Member) -> None:
        websocket: TextWebSocketAdapter = self.websocket  # type: ignore[assignment]
        frame = await member.serve()
        if frame.kind == "error":  # before execution: ends the operation, no "complete"
            operation.completed = True
            self.forget_id(operation.id)
            await websocket.send_text(
                '{"id":' + encode(operation.id) + ',"type":"error","payload":' + frame.payload
                + "}")
            return
        if member.dropped:
            await operation.send_operation_message(NextMessage(
                id=operation.id, type="next", payload=_too_slow()))
        await operation.send_operation_message({"id": operation.id, "type": "complete"})

    async def _replay(self, operation: Operation[Context, None], until: int) -> bool:
        """This member's missed events up to its mark. False when that ended the operation."""
        context = dataclasses.replace(self.context, events=Replay(until))
        source = await self._stream(operation, context)
        try:
            async for result in source:
                if isinstance(result, PreExecutionError) or not isinstance(
                        result, ExecutionResult):
                    errors = getattr(result, "errors", None) or [
                        GraphQLError(t("Incremental delivery is not supported here."))]
                    await operation.send_initial_errors(list(errors))
                    return False
                await operation.send_next(result)
                if result.data is None:  # the cursor was refused
                    await operation.send_operation_message(
                        {"id": operation.id, "type": "complete"})
                    return False
        finally:
            await source.aclose()
        return True

    async def _stream(self, operation: Operation[Context, None], context: Context
                      ) -> Any:
        return await self.schema.stream(
            operation.query, variable_values=operation.variables, context_value=context,
            root_value=self.root_value, operation_name=operation.operation_name)


def _too_slow() -> NextMessagePayload:
    return {"data": None, "errors": [{
        "message": "Disconnected: this subscription fell too far behind.",
        "extensions": {"code": "TOO_SLOW"}}]}
