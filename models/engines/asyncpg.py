"""PostgreSQL through asyncpg, as `tortoise.backends.asyncpg`, with `RowsExecutor`."""

from __future__ import annotations

from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.asyncpg.executor import AsyncpgExecutor

from models.orm.rows import RowsExecutor


class Executor(RowsExecutor, AsyncpgExecutor):
    pass


class Client(AsyncpgDBClient):
    executor_class = Executor


client_class = Client
