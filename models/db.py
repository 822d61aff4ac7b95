"""Database set-up: the Tortoise configuration and the migration runner."""

from __future__ import annotations

import contextlib
import contextvars
import os
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor

from models import MODEL_MODULES
from models.orm import rows

APP = "models"


def _sqlite_text(value: datetime) -> str:
    return (value.astimezone(UTC) if value.tzinfo else value).isoformat(" ")


def _utc_on_sqlite() -> None:
    """SQLite has no time-zone type: Tortoise writes an aware datetime as text with its own
    offset and SQLite compares the texts. A deadline written as 23:59:59+07:00 then sorted after
    20:00:00+00:00 of the same day, and a day cut at local midnight fell at 07:00. Every aware
    datetime goes to SQLite in UTC instead (migration 0006 rewrote the ones already stored), so
    text order is time order. Tortoise registers its own adapter when its SQLite backend is
    imported: import it first, then replace it."""
    import tortoise.backends.sqlite.executor  # noqa: F401

    sqlite3.register_adapter(datetime, _sqlite_text)


_utc_on_sqlite()


async def _session_kept(_connection: Any) -> None:
    """asyncpg's reset on every release to the pool, minus the round trip: by default it also
    sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`, one more
    statement per query. The pool still rolls back an open transaction and drops listeners
    (Connection._reset); nothing here leaves anything else on a session: advisory locks are
    per transaction (the migration's own is released explicitly), and nothing LISTENs, SETs
    or DECLAREs outside a transaction."""


ENGINES = {"tortoise.backends.asyncpg": "models.engines.asyncpg",
           "tortoise.backends.sqlite": "models.engines.sqlite"}


def _connection(database_url: str) -> dict[str, Any]:
    """Tortoise's reading of the URL, on the engines that build instances straight from rows
    (models/orm/rows.py)."""
    from tortoise.backends.base.config_generator import expand_db_url

    expanded: dict[str, Any] = expand_db_url(database_url)
    expanded["engine"] = ENGINES.get(expanded["engine"], expanded["engine"])
    if expanded["engine"] == "models.engines.asyncpg":
        expanded["credentials"]["reset"] = _session_kept
    return expanded


PRIMARY = "default"  # name it in in_transaction(): with a replica there are two connections
REPLICA = "replica"
# Set (by the edge, web/replica.py) around work that may read from the replica: anonymous
# queries. Everything else, and anything that writes, reads the primary: its own writes.
reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_replica",
                                                                       default=False)


class ReplicaRouter:
    """Tortoise's router: reads go to the replica only where `reading_replica` is set."""

    def db_for_read(self, model: type) -> str | None:
        return REPLICA if reading_replica.get() else None

    def db_for_write(self, model: type) -> str | None:
        return None


def tortoise_config(database_url: str, replica_url: str = "") -> dict[str, Any]:
    connections: dict[str, Any] = {"default": _connection(database_url)}
    config: dict[str, Any] = {
        "connections": connections,
        "apps": {
            APP: {
                "models": MODEL_MODULES,
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }
    if replica_url:
        connections[REPLICA] = _connection(replica_url)
        config["routers"] = [ReplicaRouter]
    return config


def unavailable(error: BaseException | None) -> bool:
    """True when the failure is the database being away (restarting, unreachable, connection
    cut), as opposed to a bug: the request may simply be retried."""
    from tortoise.exceptions import DBConnectionError

    kinds: list[type[BaseException]] = [OSError, TimeoutError, DBConnectionError]
    with contextlib.suppress(ImportError):  # asyncpg is there only for PostgreSQL
        import asyncpg

        # InternalClientError: the driver found a connection in a state the server's shutdown
        # left it in ("cannot switch to state ...; another operation is in progress").
        kinds += [asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
                  asyncpg.CannotConnectNowError, asyncpg.OperatorInterventionError,
                  asyncpg.exceptions._base.InternalClientError]
    seen = 0
    while error is not None and seen < 10:  # the driver's error may be wrapped
        if isinstance(error, tuple(kinds)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _ensure_sqlite_dir(database_url: str) -> None:
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        Path(path).parent.mkdir(parents=True, exist_ok=True)


@contextlib.asynccontextmanager
async def database(
    database_url: str, *, global_fallback: bool = True, replica_url: str = ""
) -> AsyncIterator[TortoiseContext]:
    """Initialise Tortoise for the duration of the block. The global fallback lets request
    tasks, which do not inherit the lifespan task's context, find the connections."""
    _ensure_sqlite_dir(database_url)
    async with TortoiseContext() as ctx:
        config = tortoise_config(database_url, replica_url)
        await ctx.init(config=config, _enable_global_fallback=global_fallback)
        rows.forget()  # Tortoise classified the columns for this database
        yield ctx


async def migrate(database_url: str) -> None:
    """Apply pending migrations. On PostgreSQL an advisory lock serialises concurrent starters."""
    _ensure_sqlite_dir(database_url)
    async with TortoiseContext() as ctx:
        config = tortoise_config(database_url)
        await ctx.init(config=config)
        rows.forget()
        conn = ctx.db()
        is_postgres = conn.capabilities.dialect == "postgres"
        if is_postgres:
            await conn.execute_query("SELECT pg_advisory_lock(724201)")
        try:
            await MigrationExecutor(conn, config["apps"]).migrate()
        finally:
            if is_postgres:
                await conn.execute_query("SELECT pg_advisory_unlock(724201)")
        if not is_postgres:
            await planner_statistics(conn)


async def pending_migrations(conn: BaseDBAsyncClient) -> list[str]:
    """The migrations of this code that the database has not applied (readiness)."""
    plan = await MigrationExecutor(conn, tortoise_config("sqlite://:memory:")["apps"]).plan()
    return [f"{step.migration.app_label}.{step.migration.name}" for step in plan]


async def planner_statistics(conn: BaseDBAsyncClient) -> None:
    """SQLite plans without statistics until ANALYZE runs: it then reads the newest public
    reports through the status index and sorts every public report, where walking the
    submitted_at index stops after one page. A sampled ANALYZE (a thousand rows per index)
    costs milliseconds and runs at every start; PostgreSQL keeps its own (autovacuum)."""
    await conn.execute_script("PRAGMA analysis_limit = 1000; ANALYZE;")


# For Tortoise's own command line (`tortoise -c models.db.TORTOISE_ORM makemigrations`).
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "sqlite://:memory:"))
