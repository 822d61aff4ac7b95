"""The Schema object: the three roots, with the query limits and error masking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from resolvers.mutations import Mutation
from resolvers.query import Query
from resolvers.subscription import Subscription
from schema.accounts import User
from schema.directory import Agency, Category
from schema.limits import budgeted_execution, limit_extensions
from schema.masking import AppSchema, ShapeErrors
from schema.media import Media
from schema.participation import Comment
from schema.reports import ExtensionRequest, Report
from schema.scalars import SCALAR_OVERRIDES


@dataclass(frozen=True)
class SchemaOptions:
    """What the deployment decides about the schema (web/settings.py maps its settings here)."""

    introspection: bool = True
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_nodes: int = 50_000
    max_fields: int = 20_000  # fields one operation may execute (schema/limits.py)
    max_seconds: float = 5.0  # wall-clock time one operation may take
    compiled_lists: bool = True  # plain list selections by a compiled plan
    projected_lists: bool = True  # public pages of reports as PostgreSQL's JSON
    tracer_provider: Any = None  # OpenTelemetry spans for operations and root fields


def build_schema(options: SchemaOptions | None = None) -> strawberry.Schema:
    options = options or SchemaOptions()
    # Parsing and validating cost more than executing a small query: both are cached (bounded
    # LRUs shared across requests; the extensions are factories, never shared instances).
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512),
        *limit_extensions(
            max_depth=options.max_depth, max_aliases=options.max_aliases,
            max_tokens=options.max_tokens, max_nodes=options.max_nodes,
        ),
    ]
    if options.tracer_provider is not None:
        from schema.tracing import GraphQLSpans

        provider = options.tracer_provider
        extensions.append(lambda: GraphQLSpans(provider))
    if options.introspection:
        extensions.append(ShapeErrors)
    else:
        class ShapeErrorsHidingSchema(ShapeErrors):
            hide_schema = True

        extensions += [DisableIntrospection, ShapeErrorsHidingSchema]
    return AppSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Report, Agency, Category, User, ExtensionRequest, Media, Comment],
        extensions=extensions,
        execution_context_class=budgeted_execution(options.max_fields, options.max_seconds,
                                                   options.compiled_lists,
                                                   options.projected_lists),
        scalar_overrides=SCALAR_OVERRIDES,
    )
