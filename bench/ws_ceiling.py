"""The fan-out ceiling: a bare Starlette WebSocket route that holds connections and, per event,
sends one prepared text frame to each of them. No GraphQL, no database, no bus: what delivering
the same frames costs at the very least on this machine.

    uvicorn bench.ws_ceiling:app   (POST /publish with the frame as body; GET /count)
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

sockets: set[WebSocket] = set()


async def hold(websocket: WebSocket) -> None:
    await websocket.accept()
    sockets.add(websocket)
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        sockets.discard(websocket)


async def publish(request: Request) -> PlainTextResponse:
    frame = (await request.body()).decode()
    for websocket in list(sockets):
        await websocket.send_text(frame)
    return PlainTextResponse(str(len(sockets)))


async def count(_: Request) -> PlainTextResponse:
    return PlainTextResponse(str(len(sockets)))


app = Starlette(routes=[
    WebSocketRoute("/ws", hold),
    Route("/publish", publish, methods=["POST"]),
    Route("/count", count, methods=["GET", "POST"]),
])
