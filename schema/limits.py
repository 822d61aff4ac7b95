"""Query limits (OWASP GraphQL cheat sheet): depth, aliases, tokens, and a GitHub-style node
cost that multiplies real bounds down the nesting: a connection's `first`/`last`, a plain list's
declared maximum (schema/declared.py: `max_items`, which the server enforces) or its own
`first`/`last`, and `nodes(ids)` by the number of ids. A list that repeats inside itself (a
report's timeline, each event's report, its timeline...) multiplies like any other.

Each limiter is built as a class (`limit_extensions`), so strawberry makes a fresh instance per
request: a shared instance would race between concurrent requests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from typing import Any, cast
from weakref import WeakKeyDictionary

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
    ListValueNode,
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
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from models.messages import t
from models.queries.pagination import DEFAULT_PAGE, MAX_PAGE
from schema.compiled_lists import PLANS, Run
from schema.declared import MAX_ITEMS, SIZED_BY, declared
from schema.list_plans import Fallback
from schema.projected_lists import Projected

# A plain list that declares no maximum (a test keeps there from being any) counts as this many.
LIST_ESTIMATE = 100


def _value(node: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for argument in node.arguments or ():
        if argument.name.value == name:
            value = argument.value
            if isinstance(value, VariableNode):
                return variables.get(value.name.value)
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, ListValueNode):
                return value.values
    return None


def _page_size(node: FieldNode, field: GraphQLField, variables: Mapping[str, Any]) -> int | None:
    """How many items a field may return; None for fields that are not lists."""
    sized_by = declared(field, SIZED_BY)
    if sized_by is not None:
        items = _value(node, sized_by, variables)
        return len(items) if isinstance(items, list | tuple) else 0
    cap: int | None = declared(field, MAX_ITEMS)
    if "first" in field.args or "last" in field.args:
        for name in ("first", "last"):
            asked = _value(node, name, variables)
            if isinstance(asked, int):
                return max(0, min(asked, cap or MAX_PAGE))
        return cap or DEFAULT_PAGE
    return cap


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
                    t("This query may return {requested} nodes; the limit is {limit}. Ask "
                      "for smaller pages (first/last).", requested=self.requested,
                      limit=self.limit),
                    extensions={"code": "QUERY_TOO_COSTLY"},
                )]
        yield

    def get_results(self) -> dict[str, Any]:
        if self.requested is None:
            return {}
        return {"cost": {"requestedNodes": self.requested, "limit": self.limit}}


class OperationTooLarge(GraphQLError):
    """Raised once an operation has done what one request may do: the whole operation is
    refused (no partial answer full of errors), and nothing more of it runs."""


_TURNS: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


class BudgetedExecution(StrawberryGraphQLCoreExecutionContext):
    """A per-operation guard that no document can talk around, behind the cost estimate:

    - at most `max_fields` fields executed and `max_seconds` of wall-clock time per operation
      (or per event of a subscription), else the whole operation is refused;
    - turns: graphql-core completes whatever is already loaded in one synchronous stretch,
      which holds the event loop (and every other request of the process) meanwhile. Once an
      operation has executed `STRETCH` fields since it last let go, the next list it meets is
      completed later, in a turn: one turn at a time in the whole process (whichever
      operation it belongs to), each after the event loop has served everyone else."""

    max_fields = 20_000
    max_seconds = 5.0
    compiled = True  # lists with plain selections complete by a plan (schema/compiled_lists.py)
    projected = True  # public pages of reports as the database's JSON (schema/projected_lists.py)
    STRETCH = 1_000  # fields, about 8 ms here

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if hasattr(self.context_value, "executed"):
            self.context_value.executed = True  # made only once variables are coerced
        if self.projected and hasattr(self.context_value, "projected_lists"):
            self.context_value.projected_lists = True
        self._start()

    def _start(self) -> None:
        self._fields = self._since_turn = 0
        self._deadline = time.monotonic() + self.max_seconds

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = cast("BudgetedExecution", super().build_per_event_executor(payload))
        executor._start()
        # graphql-core 3.3 memoises sub-selections by the identity of each execution's field
        # lists and keeps those lists alive in a dict the per-event copies share with the
        # subscription's executor: every event added entries that lived as long as the
        # subscription (a leak per event, and at 20 events/s 13,000 FieldDetails more every
        # 9 s for each full garbage collection to walk). Each event memoises for itself.
        if hasattr(executor, "_relevant_sub_fields"):
            executor._relevant_sub_fields = {}
        return executor

    def execute_field(self, parent_type: Any, source: Any, field_details_list: Any, path: Any,
                      position_context: Any) -> Any:
        self._fields += 1
        self._since_turn += 1
        if self._fields & 255 == 0 and time.monotonic() > self._deadline:
            raise OperationTooLarge(
                t("This operation ran over {seconds} s; ask for less at once.",
                  seconds=format(self.max_seconds, "g")),
                extensions={"code": "OPERATION_TOO_LARGE"})
        self._check_fields()
        return super().execute_field(parent_type, source, field_details_list, path,
                                     position_context)

    def _check_fields(self) -> None:
        if self._fields > self.max_fields:
            raise OperationTooLarge(
                t("This operation resolves over {count} fields; ask for smaller pages.",
                  count=self.max_fields),
                extensions={"code": "OPERATION_TOO_LARGE"})

    def handle_field_error(self, raw_error: Exception, return_type: Any,
                           field_details_list: Any, path: Any) -> None:
        if isinstance(raw_error, OperationTooLarge):
            raise raw_error  # past every field up to the operation: no partial answer
        super().handle_field_error(raw_error, return_type, field_details_list, path)

    def complete_list_value(self, return_type: Any, field_details_list: Any, info: Any,
                            path: Any, result: Any, position_context: Any) -> Any:
        if self._since_turn < self.STRETCH or not isinstance(result, list | tuple):
            return self._complete_list(return_type, field_details_list, info, path, result,
                                       position_context)
        return self._in_a_later_turn(return_type, field_details_list, info, path, result,
                                     position_context)

    def _fragment_nodes(self) -> dict[str, FragmentDefinitionNode]:
        """The document's named fragments (not those with variables of their own)."""
        found: dict[str, FragmentDefinitionNode] | None = getattr(self, "_fragment_cache", None)
        if found is None:
            found = {name: details.definition for name, details in self.fragments.items()
                     if not details.variable_signatures}
            self._fragment_cache = found
        return found

    def _complete_list(self, return_type: Any, field_details_list: Any, info: Any, path: Any,
                       result: Any, position_context: Any) -> Any:
        if isinstance(result, Projected):  # completed by the database, fields counted here
            self._count(result.fields)
            self._check_fields()
            return result.items
        how = None
        if self.compiled and isinstance(result, list | tuple):
            how = PLANS.for_list(return_type.of_type, [d.node for d in field_details_list],
                                 self._fragment_nodes())
        if how is None:
            return super().complete_list_value(return_type, field_details_list, info, path,
                                               result, position_context)
        # The plan holds the event loop like any synchronous stretch: at most a few times a
        # stretch (its fields cost a fifth of ordinary ones), and never past max_fields.
        run = Run(self.context_value, min(self.max_fields - self._fields, 5 * self.STRETCH))
        try:
            completed = run.items(how, result)
        except Fallback:
            run.abandon()
            PLANS.fell_back += 1
            return super().complete_list_value(return_type, field_details_list, info, path,
                                               result, position_context)
        if run.pending:
            return self._settled(run, completed, return_type, field_details_list, info, path,
                                 result, position_context)
        self._count(run.counted)
        PLANS.completed += 1
        return completed

    async def _settled(self, run: Run, completed: list[Any], return_type: Any,
                       field_details_list: Any, info: Any, path: Any, result: Any,
                       position_context: Any) -> Any:
        try:
            await run.settle()
        except Fallback:
            run.abandon()
            PLANS.fell_back += 1
            ordinary = super().complete_list_value(return_type, field_details_list, info, path,
                                                   result, position_context)
            return await ordinary if self.is_awaitable(ordinary) else ordinary
        self._count(run.counted)
        PLANS.completed += 1
        return completed

    def _count(self, fields: int) -> None:
        self._fields += fields
        self._since_turn += fields

    async def _in_a_later_turn(self, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        turns = _TURNS.get(loop)
        if turns is None:
            turns = _TURNS[loop] = asyncio.Lock()
        async with turns:  # one turn at a time, whichever operation it belongs to
            await asyncio.sleep(0)  # the event loop serves everyone else first
            self._since_turn = 0
            completed = self._complete_list(*args)
        if self.is_awaitable(completed):
            completed = await completed
        return completed


def budgeted_execution(max_fields: int, max_seconds: float, compiled: bool = True,
                       projected: bool = True) -> type[BudgetedExecution]:
    class Budget(BudgetedExecution):
        pass

    Budget.max_fields, Budget.max_seconds, Budget.compiled = max_fields, max_seconds, compiled
    Budget.projected = projected
    return Budget


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
