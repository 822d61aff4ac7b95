"""Turning domain errors into payload errors, shared by every mutation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from models.errors import DomainError
from models.report import Report as ReportRow
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


def report_result(row: ReportRow) -> dict[str, Any]:
    return {"report": Report.from_row(row)}
