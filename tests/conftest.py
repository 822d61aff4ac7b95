"""Fixtures: throwaway databases (SQLite and a real PostgreSQL), the app, a fixed clock."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from bench.servers import Server
from bench.world import World, make_world
from models.actions import accounts
from models.db import migrate
from server import create_app
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.servers import start_postgres, start_redis
from web.settings import Settings

accounts.use_cheap_password_hashing()

# Monday 23 November 2026, 10:00 in Huế: a working day (24/11 is a public holiday).
DEFAULT_NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
TEMPLATE_DB = "app_template"
T = TypeVar("T")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def forget_dialect_caches() -> None:
    """Tortoise caches INSERT statements per (connection name, table), not per dialect: one
    process that alternates SQLite and PostgreSQL must drop them before switching."""
    EXECUTOR_CACHE.clear()


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a private loop: session fixtures may be set up from
    inside a test's running loop, where asyncio.run() is not allowed."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def pg_admin(server: Server, *statements: str) -> None:
    conn = await asyncpg.connect(f"{server.url}/postgres")
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_template(pg_server: Server) -> str:
    """A database migrated once; each test gets a fresh copy (CREATE DATABASE ... TEMPLATE)."""
    run_blocking(pg_admin(pg_server, f"CREATE DATABASE {TEMPLATE_DB}"))
    forget_dialect_caches()
    run_blocking(migrate(f"{pg_server.url}/{TEMPLATE_DB}"))
    return TEMPLATE_DB


@pytest.fixture
async def pg_url(pg_server: Server, pg_template: str) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database for tests that run the server as a process."""
    name = f"proc_{uuid.uuid4().hex[:10]}"
    await pg_admin(pg_server, f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield f"{pg_server.url}/{name}"
    await pg_admin(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    forget_dialect_caches()
    run_blocking(migrate(f"sqlite://{path}"))
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "test.sqlite3")
        yield f"sqlite://{tmp_path / 'test.sqlite3'}"
        return
    server: Server = request.getfixturevalue("pg_server")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"test_{uuid.uuid4().hex[:12]}"
    await pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {template_name}")
    yield f"{server.url}/{name}"
    await pg_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DEFAULT_NOW)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The reminder job is driven by hand in tests (models.reminders.raise_reminders). Tests
    # change data through the use cases directly too, which no cache would notice in time:
    # the response cache has tests of its own (tests/api/test_response_cache.py), and so have
    # the memos of sessions and of the directory (test_session_memo.py, test_directory_memo.py).
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=0, figures_cache_seconds=0,
                    directory_cache_seconds=0, session_cache_seconds=0,
                    media_dir=str(tmp_path / "media"), media_cleanup_interval_seconds=0)


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[Starlette]:
    forget_dialect_caches()
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[Api]:
    client = Api(app)
    yield client
    await client.client.aclose()


@pytest.fixture
async def world(app: Starlette) -> World:
    return await make_world(app.state.deps)
