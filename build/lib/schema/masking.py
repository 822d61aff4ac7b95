"""Error shaping: expected errors stay readable with their code and field, anything unexpected
is masked ("Unexpected error" and a request id) and logged."""

from __future__ import annotations

import logging
import re
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from models.db import unavailable
from models.errors import DomainError
from models.messages import _, render

log = logging.getLogger("hien_truong.graphql")
UNAVAILABLE_MESSAGE = _("Service temporarily unavailable; try again shortly.")
UNEXPECTED_MESSAGE = _("Unexpected error")


def _request_id(execution_context: ExecutionContext | None) -> str | None:
    context = execution_context.context if execution_context else None
    return getattr(context, "request_id", None)


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, (DomainError, GraphQLError))


_SUGGESTION = re.compile(r" Did you mean .*\?$")


class ShapeErrors(MaskErrors):
    """DomainErrors in queries carry their code and field; anything unexpected says only
    'Unexpected error' with the request id that the server log also carries."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        request_id = _request_id(self.execution_context)
        shaped: list[GraphQLError] = []
        for error in errors:
            original = error.original_error
            if isinstance(original, DomainError):
                extensions: dict[str, Any] = {"code": original.code.value}
                if original.field:
                    extensions["field"] = original.field
                shaped.append(self._rebuild(error, original.message, extensions))
            elif _is_unexpected(error) and unavailable(original):
                extensions = {"code": "UNAVAILABLE", "requestId": request_id}
                shaped.append(self._rebuild(error, render(UNAVAILABLE_MESSAGE), extensions))
            elif _is_unexpected(error):
                extensions = {"code": "INTERNAL", "requestId": request_id}
                shaped.append(self._rebuild(error, render(UNEXPECTED_MESSAGE), extensions))
            elif self.hide_schema and _SUGGESTION.search(error.message):
                # "Did you mean ...?" would leak the schema that introspection keeps hidden.
                shaped.append(self._rebuild(error, _SUGGESTION.sub("", error.message),
                                            dict(error.extensions or {})))
            else:
                shaped.append(error)
        return shaped

    hide_schema = False

    @staticmethod
    def _rebuild(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
        return GraphQLError(
            message=message, nodes=error.nodes, source=error.source, positions=error.positions,
            path=error.path, original_error=None, extensions=extensions,
        )


class AppSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _is_unexpected(error):
                log.error(
                    "unexpected error request_id=%s path=%s", _request_id(execution_context),
                    error.path, exc_info=error.original_error,
                )
