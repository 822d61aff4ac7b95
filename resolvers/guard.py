"""Turning domain errors into payload errors, shared by every mutation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.responses import Response

from models.errors import DomainError
from models.orm.reports import Report as ReportRow
from resolvers.context import Info
from schema.errors import UserError
from schema.report import Report

P = TypeVar("P")


async def guard(payload: type[P], work: Callable[[], Awaitable[dict[str, Any]]]) -> P:
    """Expected failures become `errors` in the payload; nothing was written, because every
    use case runs in one transaction."""
    try:
        return payload(**await work())
    except DomainError as error:
        return payload(errors=[UserError.from_domain(error)])  # type: ignore[call-arg]


async def limit(info: Info, rule: str, key: str) -> None:
    """Count one against a rate-limit rule and tell the client where it stands (GitHub-style
    headers); over the limit raises RateLimited, which `guard` turns into a payload error."""
    window = await info.context.deps.throttle.hit(rule, key)
    response = info.context.response
    if window is not None and isinstance(response, Response):
        response.headers["X-RateLimit-Limit"] = str(window.limit)
        response.headers["X-RateLimit-Remaining"] = str(window.remaining)
        response.headers["X-RateLimit-Reset"] = str(int(window.reset_at))


def client_ip(info: Info) -> str:
    client = info.context.request.client
    return client.host if client else "unknown"


def report_result(row: ReportRow) -> dict[str, Any]:
    return {"report": Report.from_row(row)}
