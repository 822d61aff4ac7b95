"""Front-end conventions: apps with the settings a test needs, on the suite's databases."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bench.world import World, make_world
from server import create_app
from tests.conftest import forget_dialect_caches
from tests.live.conftest import Live, live, live_settings  # noqa: F401  (fixtures)
from tests.support.clock import FakeClock
from web.settings import Settings

AppMaker = Callable[..., contextlib.AbstractAsyncContextManager[Starlette]]


@pytest.fixture
def make_app(settings: Settings, clock: FakeClock, tmp_path: Path) -> AppMaker:
    """`async with make_app(public_url=...) as app:` an app (lifespan running) whose settings
    differ from the suite's in what is given."""

    @contextlib.asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[Starlette]:
        forget_dialect_caches()
        app = create_app(dataclasses.replace(settings, **overrides), clock=clock)
        async with app.router.lifespan_context(app):
            yield app

    return make


@pytest.fixture
async def live_world(live: Live) -> World:  # noqa: F811
    """The live server's world (its own app and database)."""
    return await make_world(live.app.state.deps)


def http(app: Starlette) -> httpx.AsyncClient:
    """A client of `app` in process, reading English like the rest of the suite."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test",
                             headers={"Accept-Language": "en"})
