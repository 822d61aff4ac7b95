"""SQLite, as `tortoise.backends.sqlite`, with `RowsExecutor`."""

from __future__ import annotations

from typing import Any

from tortoise.backends.sqlite.client import SqliteClient, SqliteClientWithRegexpSupport
from tortoise.backends.sqlite.executor import SqliteExecutor

from models.orm.rows import RowsExecutor


class Executor(RowsExecutor, SqliteExecutor):
    pass


class Client(SqliteClient):
    executor_class = Executor


class ClientWithRegexp(SqliteClientWithRegexpSupport):
    executor_class = Executor


client_class = Client


def get_client_class(db_info: dict[str, Any]) -> type[SqliteClient]:
    if db_info.get("credentials", {}).get("install_regexp_functions"):
        return ClientWithRegexp
    return Client
