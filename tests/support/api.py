"""A small GraphQL client over the ASGI app, and a SQL query counter."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class Api:
    def __init__(self, app: Starlette) -> None:
        self.app = app
        # The suite reads messages in English; Vietnamese, the default, has tests of its own
        # (tests/frontend/test_messages.py).
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test",
            headers={"Accept-Language": "en"},
        )

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def token_refused(self, token: str) -> str:
        """The reason a token is refused with (HTTP 401): TOKEN_EXPIRED, TOKEN_REVOKED..."""
        response = await self.client.post("/graphql", json={"query": "{ serverTime }"},
                                          headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        reason: str = error["extensions"]["reason"]
        return reason

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Run an operation that must not produce top-level errors; return its data."""
        body = await self.post(query, variables, token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def errors(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Run an operation that must fail with top-level errors; return them."""
        body = await self.post(query, variables, token)
        assert body.get("errors"), body
        errors: list[dict[str, Any]] = body["errors"]
        return errors


# Only statements sent on behalf of the block being measured count: background work (the
# event hub's polling) runs in tasks that did not inherit this flag.
_measuring: contextvars.ContextVar[bool] = contextvars.ContextVar("measuring", default=False)


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().lstrip().upper()
        if _measuring.get() and text.startswith(SQL_VERBS):
            self.statements.append(record.getMessage())


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect every SQL statement Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    handler, old_level = _Counter(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    token = _measuring.set(True)
    try:
        yield handler.statements
    finally:
        _measuring.reset(token)
        logger.removeHandler(handler)
        logger.setLevel(old_level)
