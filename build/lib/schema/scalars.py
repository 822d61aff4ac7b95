"""Scalars as this API writes them: every instant in Huế's time, as on every other surface."""

from __future__ import annotations

from datetime import datetime

from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from models.rules.calendar import rfc3339


def _serialize(value: datetime) -> str:
    return rfc3339(value)


# Parsing stays strawberry's (any RFC 3339 offset is understood); only the writing changes.
DATETIME = ScalarDefinition(
    name="DateTime",
    description="An instant, RFC 3339 with the Asia/Ho_Chi_Minh offset to the second "
                "(2026-12-09T23:59:59+07:00). Any offset is accepted in input.",
    specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339",
    serialize=_serialize,
    parse_value=DateTimeDefinition.parse_value,
    parse_literal=None,
    origin=datetime,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: DATETIME}
