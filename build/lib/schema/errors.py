"""UserError: expected failures, returned in mutation payloads (never as top-level errors)."""

from __future__ import annotations

import strawberry

from models.errors import DomainError
from schema.enums import ErrorCode


@strawberry.type
class UserError:
    code: ErrorCode
    message: str
    field: str | None = None
    retry_after_seconds: int | None = None

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(
            code=error.code,
            message=error.message,
            field=error.field,
            retry_after_seconds=error.retry_after_seconds,
        )
