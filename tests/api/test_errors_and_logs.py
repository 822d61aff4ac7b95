"""Unexpected failures are masked for the client and logged with the same request id."""

from __future__ import annotations

import logging

import orjson
import pytest

from bench.world import World
from resolvers import query
from tests.support.api import Api
from web import logs


async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    async def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"SELECT secret FROM user_account -- {world.citizen.phone}")

    monkeypatch.setattr(query, "paginate", explode)
    caplog.set_level(logging.ERROR, logger="hien_truong.graphql")
    response = await api.client.post(
        "/graphql", json={"query": "{ reports(first: 1) { totalCount } }"},
        headers={"X-Request-ID": "req-test-0001"})
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error"
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-test-0001"}
    assert "SELECT" not in response.text
    assert world.citizen.phone not in response.text
    assert response.headers["X-Request-ID"] == "req-test-0001"
    logged = [r for r in caplog.records if "req-test-0001" in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None  # the real cause is in the server log


def test_json_log_lines_carry_the_request_id():
    formatter = logs.JsonFormatter()
    token = logs.request_id.set("req-abc-123")
    try:
        record = logging.LogRecord("hien_truong", logging.ERROR, __file__, 1,
                                   "unexpected error %s", ("x",), None)
        line = orjson.loads(formatter.format(record))
    finally:
        logs.request_id.reset(token)
    assert line["request_id"] == "req-abc-123"
    assert line["message"] == "unexpected error x"
    assert line["level"] == "ERROR"
