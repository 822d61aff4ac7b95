"""A real server on loopback (uvicorn, in the test's event loop) for WebSocket tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from bench.servers import free_port
from bench.world import World, make_world
from server import create_app
from tests.conftest import forget_dialect_caches
from tests.support.api import Api
from tests.support.clock import FakeClock
from web.settings import Settings


@dataclass
class Live:
    app: Starlette
    http: str
    ws: str
    api: Api


@pytest.fixture
def live_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    event_poll_seconds=0.5, ws_token_recheck_seconds=0.5,
                    media_dir=str(tmp_path / "media"))


@pytest.fixture
async def live(live_settings: Settings, clock: FakeClock) -> AsyncIterator[Live]:
    forget_dialect_caches()
    app = create_app(live_settings, clock=clock)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                           ws_max_size=live_settings.ws_max_size,
                                           # as web/cli.py serves (uvicorn's default is on)
                                           ws_per_message_deflate=(
                                               live_settings.ws_per_message_deflate),
                                           log_level="warning", ws_ping_interval=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    api = Api(app)
    yield Live(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/graphql", api)
    await api.client.aclose()
    server.should_exit = True
    await asyncio.wait_for(task, 15)


@pytest.fixture
async def world(live: Live) -> World:  # the live server's world (overrides the plain one)
    return await make_world(live.app.state.deps)
