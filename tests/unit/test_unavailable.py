"""Telling "the database is away" (retry later, 503) from a bug (500)."""

from __future__ import annotations

import asyncpg
from tortoise.exceptions import DBConnectionError, OperationalError

from models.db import unavailable


def wrapped(inner: BaseException, outer: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as error:
            raise outer from error
    except BaseException as caught:
        return caught


def test_connection_failures_are_unavailable():
    assert unavailable(ConnectionRefusedError(111, "refused"))
    assert unavailable(DBConnectionError("cannot connect"))
    assert unavailable(asyncpg.ConnectionDoesNotExistError("connection was closed"))
    assert unavailable(asyncpg.CannotConnectNowError("the database system is starting up"))
    assert unavailable(asyncpg.AdminShutdownError("terminating connection"))
    # Seen in tests/faults/test_database_restart.py, the moment PostgreSQL went away.
    assert unavailable(asyncpg.exceptions._base.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"))
    assert unavailable(wrapped(ConnectionResetError(), OperationalError("wrapped")))


def test_bugs_are_not():
    assert not unavailable(ValueError("bad"))
    assert not unavailable(KeyError("missing"))
    assert not unavailable(OperationalError(asyncpg.UndefinedColumnError("no such column")))
    assert not unavailable(None)
