"""Domain errors with stable codes, shared by the services and the GraphQL layer."""

from __future__ import annotations

import enum
from typing import Any

from models.messages import render


class ErrorCode(enum.Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    VALIDATION = "VALIDATION"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    TOO_SLOW = "TOO_SLOW"


class DomainError(Exception):
    """An expected failure: bad input, not allowed, wrong state. Shown to the caller in their
    language: `template` is an English message marked with `_()` (models/messages.py), filled
    in from `params` when it is shown; the exception itself (logs) keeps the English."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(
        self, template: str, *, field: str | None = None, retry_after_seconds: int | None = None,
        **params: Any,
    ) -> None:
        self.template = template
        self.params = params
        self.field = field
        self.retry_after_seconds = retry_after_seconds
        super().__init__(render(template, self._values(), lang="en"))

    def _values(self) -> dict[str, Any]:
        # `{field}` in a template is the field's name, as the client sent it.
        return {"field": self.field, **self.params} if self.field else self.params

    @property
    def message(self) -> str:
        """In the current reader's language."""
        return render(self.template, self._values())


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Invalid(DomainError):
    code = ErrorCode.VALIDATION


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED


class TooSlow(DomainError):
    """A subscriber that stopped reading and was cut off; it may resubscribe with `after`."""

    code = ErrorCode.TOO_SLOW
