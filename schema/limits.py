"""Query limits (OWASP GraphQL cheat sheet): depth, aliases, tokens, and a GitHub-style node
cost that multiplies `first`/`last` down nested connections.

Each limiter is built as a class (`limit_extensions`), so strawberry makes a fresh instance per
request: a shared instance would race between concurrent requests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.utilities import get_operation_ast
from graphql.validation import ASTValidationRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from models.queries.pagination import DEFAULT_PAGE, MAX_PAGE

# Plain lists (a report's timeline, media) are not paged: count them as this many items each.
LIST_ESTIMATE = 10


def _page_size(node: FieldNode, field: GraphQLField, variables: Mapping[str, Any]) -> int | None:
    """How many items a connection field asks for; None for fields that are not connections."""
    if "first" not in field.args and "last" not in field.args:
        return None
    for argument in node.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(0, min(int(value.value), MAX_PAGE))
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value)
            if isinstance(raw, int):
                return max(0, min(raw, MAX_PAGE))
    return DEFAULT_PAGE


def _is_plain_list(field: GraphQLField, parent: GraphQLNamedType) -> bool:
    """A list that is not a connection's own edges/nodes (those are counted by the connection)."""
    wrapped = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    return isinstance(wrapped, GraphQLList) and not parent.name.endswith("Connection")


def _cost(
    selection_set: SelectionSetNode, parent: GraphQLNamedType, multiplier: int,
    fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any],
    schema: GraphQLSchema, seen: frozenset[str] = frozenset(),
) -> int:
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields = getattr(parent, "fields", {})
            field = fields.get(selection.name.value)
            if field is None:
                continue
            size = _page_size(selection, field, variables)
            if size is None and _is_plain_list(field, parent):
                size = LIST_ESTIMATE
            inner = multiplier
            if size is not None:
                inner = multiplier * size
                total += inner
            if selection.selection_set is not None:
                total += _cost(selection.selection_set, get_named_type(field.type), inner,
                               fragments, variables, schema, seen)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            if target is not None:
                total += _cost(selection.selection_set, target, multiplier, fragments,
                               variables, schema, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue
            target = schema.get_type(fragment.type_condition.name.value)
            if target is not None:
                total += _cost(fragment.selection_set, target, multiplier, fragments, variables,
                               schema, seen | {name})
    return total


def requested_nodes(schema: GraphQLSchema, document: Any, variables: Mapping[str, Any] | None,
                    operation_name: str | None) -> int:
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    return _cost(operation.selection_set, root, 1, fragments, variables or {}, schema)


class QueryCost(SchemaExtension):
    limit = 50_000

    def __init__(self) -> None:
        self.requested: int | None = None

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and not ctx.pre_execution_errors:
            self.requested = requested_nodes(ctx.schema._schema, ctx.graphql_document,
                                             ctx.variables, ctx.operation_name)
            if self.requested > self.limit:
                ctx.pre_execution_errors = [GraphQLError(
                    f"This query may return {self.requested} nodes; the limit is "
                    f"{self.limit}. Ask for smaller pages (first/last).",
                    extensions={"code": "QUERY_TOO_COSTLY"},
                )]
        yield

    def get_results(self) -> dict[str, Any]:
        if self.requested is None:
            return {}
        return {"cost": {"requestedNodes": self.requested, "limit": self.limit}}


def limit_extensions(*, max_depth: int, max_aliases: int, max_tokens: int,
                     max_nodes: int) -> list[type[SchemaExtension]]:
    # The rule classes are made once: strawberry's limiters make new ones per request, and
    # the validation cache, keyed by the rules among others, would then never hit.
    rules: list[type[ASTValidationRule]] = [depth_rule(max_depth, None),
                                            alias_rule(max_aliases)]

    class DepthAndAliasLimits(AddValidationRules):
        def __init__(self) -> None:
            super().__init__(rules)

    class TokenLimit(MaxTokensLimiter):
        def __init__(self) -> None:
            super().__init__(max_token_count=max_tokens)

    class NodeLimit(QueryCost):
        limit = max_nodes

    return [TokenLimit, DepthAndAliasLimits, NodeLimit]
