"""Spans for GraphQL operations and their root fields (on only with TRACING, web/tracing.py).

One span per operation, named `query Wall` / `mutation submitReport...`, made the current span
so that the SQL and Redis spans of its work nest under it; one span per root field, so that a
slow trace says which part of the document was slow. Fields below the roots get none: a page
of 50 reports is 500 fields, and their time is in the root's span and its SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import GraphQLResolveInfo
from opentelemetry import trace
from strawberry.extensions import SchemaExtension

Info = GraphQLResolveInfo[Any]


class GraphQLSpans(SchemaExtension):
    def __init__(self, tracer_provider: Any) -> None:
        self.tracer = trace.get_tracer("hien_truong.graphql", tracer_provider=tracer_provider)

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        with self.tracer.start_as_current_span("GraphQL operation") as span:
            yield
            kind = context.operation_type.value if context.operation_type else "query"
            name = context.operation_name or ""
            span.update_name(f"{kind} {name}".strip())
            span.set_attribute("graphql.operation.type", kind)
            span.set_attribute("graphql.operation.name", name)
            if context.pre_execution_errors or (context.result and context.result.errors):
                span.set_attribute("graphql.errors", True)

    def resolve(self, _next: Callable[..., Any], root: Any, info: Info,
                *args: Any, **kwargs: Any) -> Any:
        if info.path.prev is not None:
            return _next(root, info, *args, **kwargs)
        return self._root_field(_next, root, info, *args, **kwargs)

    async def _root_field(self, _next: Callable[..., Any], root: Any, info: Info,
                          *args: Any, **kwargs: Any) -> Any:
        with self.tracer.start_as_current_span(f"GraphQL field {info.field_name}"):
            result = _next(root, info, *args, **kwargs)
            if hasattr(result, "__await__"):
                result = await result
            return result
