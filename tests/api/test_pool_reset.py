"""A query costs one statement on PostgreSQL, not two: the pool no longer sends asyncpg's
reset statement on every release (models/db.py), and still ends a transaction left open."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import connections

from models.db import database
from models.orm.directory import Category

pytestmark = pytest.mark.postgres


def _sent(pool: Any) -> int:
    """Statements sent so far over every connection the pool holds."""
    return sum(h._con._protocol.queries_count for h in pool._holders if h._con is not None)


async def test_one_query_is_one_statement(pg_url: str):
    async with database(pg_url, global_fallback=False):
        await Category.all().limit(1)  # the pool is open, the statement prepared
        pool = connections.get("default")._pool
        before = _sent(pool)
        await Category.all().limit(1)
        assert _sent(pool) - before == 1


async def test_a_transaction_left_open_is_rolled_back_on_release(pg_url: str):
    async with database(pg_url, global_fallback=False):
        await Category.all().limit(1)
        pool = connections.get("default")._pool
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("CREATE TEMP TABLE left_open (x int)")
            backend = await conn.fetchval("SELECT pg_backend_pid()")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") == backend  # the same one
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
