"""Domain errors with stable codes, shared by the services and the GraphQL layer."""

from __future__ import annotations

import enum


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
    """An expected failure: bad input, not allowed, wrong state. Shown to the caller as is."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(
        self, message: str, *, field: str | None = None, retry_after_seconds: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.retry_after_seconds = retry_after_seconds


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
