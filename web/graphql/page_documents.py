"""Documents that are one public page of reports and nothing else, answered without
graphql-core's executor.

With the response cache emptied by every event, a big deployment serves the public wall's
document uncached many times a second. Its page is written by PostgreSQL already
(schema/projected_lists.py); what is left in Python is strawberry's and graphql-core's
operation around one root field, about a sixth of such a request's CPU in py-spy. A document
qualifies when its operation is a query whose root fields are one `reports` (with
`serverTime` or `__typename` beside it at most, as the /wall page asks), with `first`
(literal or variable) and a literal `orderBy` as its only arguments, no directive, and a
connection selection that is a projectable `nodes` or `edges` and nothing beside it.

It runs the ordinary way first: only a document text that an anonymous viewer has run
without an error is planned, so every validation rule (the schema's, depth, aliases, tokens)
has passed for that very text. After that, an anonymous request with the same text and
operation name is answered by the page's statement through `resolvers.query.public_page`,
the function the ordinary resolver uses, with the same cost figure in `extensions`. Anything
unusual about a request (a signed-in viewer, variables that do not coerce, a page size out of
range, a page over the field budget, tracing on) goes the ordinary way, which gives every
error. tests/api/test_page_documents.py requires byte-identical answers both ways.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLScalarType,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_named_type,
    get_operation_ast,
    parse,
)
from graphql.execution.values import get_variable_values
from strawberry.types import ExecutionResult

from models.errors import Invalid
from models.queries.pagination import PageArgs
from models.queries.reports import ReportOrder
from models.rules import policy
from resolvers.query import public_page
from schema.compiled_lists import selected_fields
from schema.context import Context
from schema.limits import QueryCost, requested_nodes
from schema.projected_lists import Projection, compile_connection

ROOT_FIELD = "reports"
PLANS = 512  # document texts remembered, planned or not
BESIDE = frozenset({"serverTime", "__typename"})  # root fields a planned document may add
LONGEST = 8192  # characters: a page's document is far shorter; longer ones are not kept


@dataclass(frozen=True)
class PagePlan:
    document: DocumentNode
    operation: OperationDefinitionNode
    projection: Projection
    roots: tuple[tuple[str, str], ...]  # the root fields' keys in the answer, and names
    list_key: str  # the connection's nodes or edges, by its alias, if any
    first: IntValueNode | VariableNode | None
    order: ReportOrder


class Counts:
    answered = 0  # requests answered by a plan since the process started (tests read it)


COUNTS = Counts()


class PageDocuments:
    def __init__(self, schema: strawberry.Schema) -> None:
        self.schema = schema
        self.graphql_schema = schema._schema
        self.node_limit = next((e.limit for e in schema.extensions
                                if isinstance(e, type) and issubclass(e, QueryCost)),
                               QueryCost.limit)
        query_type = self.graphql_schema.query_type
        assert query_type is not None
        server_time = get_named_type(query_type.fields["serverTime"].type)
        assert isinstance(server_time, GraphQLScalarType)
        self.server_time = server_time
        self.query_type_name = query_type.name
        self.plans: OrderedDict[tuple[str, str | None], PagePlan | None] = OrderedDict()

    def enabled(self) -> bool:
        execution = self.schema.execution_context_class
        return bool(getattr(execution, "projected", False))

    def learn(self, query: str, operation_name: str | None) -> None:
        """`query` ran the ordinary way, anonymously, with no error: plan it, once."""
        key = (query, operation_name)
        if key in self.plans or len(query) > LONGEST:
            return
        self.plans[key] = self._plan(query, operation_name)
        if len(self.plans) > PLANS:
            self.plans.popitem(last=False)

    def _plan(self, query: str, operation_name: str | None) -> PagePlan | None:
        if "@" in query:  # a directive could leave out any field: never planned
            return None
        document = parse(query)
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation != OperationType.QUERY:
            return None
        roots: list[tuple[str, str]] = []  # (response key, field name), in order
        pages = []
        for node in operation.selection_set.selections:
            if not isinstance(node, FieldNode):
                return None
            name = node.name.value
            if name == ROOT_FIELD:
                pages.append(node)
            elif name not in BESIDE or node.arguments or node.selection_set:
                return None
            roots.append((node.alias.value if node.alias else name, name))
        if len(pages) != 1 or len({key for key, _ in roots}) != len(roots):
            return None
        field = pages[0]
        arguments = {a.name.value: a.value for a in field.arguments or ()}
        first = arguments.pop("first", None)
        order_node = arguments.pop("orderBy", None)
        if arguments or not isinstance(first, IntValueNode | VariableNode | None):
            return None
        order = ReportOrder.NEWEST
        if order_node is not None:
            if not isinstance(order_node, EnumValueNode) \
                    or order_node.value not in ReportOrder.__members__:
                return None
            order = ReportOrder[order_node.value]
        if order is ReportOrder.DISTANCE:
            return None
        query_type = self.graphql_schema.query_type
        assert query_type is not None
        connection = query_type.fields[ROOT_FIELD].type
        fragments = {d.name.value: d for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}
        projection = compile_connection(field, connection, fragments)
        if projection is None:
            return None
        named = get_named_type(connection)
        assert isinstance(named, GraphQLObjectType)
        chosen = list(selected_fields(named, field.selection_set, fragments) or ()) if \
            field.selection_set else []
        if len(chosen) != 1:  # nothing beside the list: no totalCount, no __typename
            return None
        listed = chosen[0]
        return PagePlan(document, operation, projection, tuple(roots),
                        listed.alias.value if listed.alias else listed.name.value,
                        first, order)

    def plan(self, query: str | None, operation_name: str | None) -> PagePlan | None:
        if query is None:
            return None
        return self.plans.get((query, operation_name))

    async def answer(self, plan: PagePlan, context: Context,
                     variables: dict[str, Any] | None) -> ExecutionResult | None:
        """The answer the ordinary execution would give, or None: ask it instead."""
        if context.viewer != policy.ANONYMOUS or not self.enabled():
            return None
        coerced = get_variable_values(self.graphql_schema,
                                      plan.operation.variable_definitions or (),
                                      variables or {})
        if isinstance(coerced, list):  # errors: the ordinary way words them
            return None
        first: Any = None
        if isinstance(plan.first, IntValueNode):
            first = int(plan.first.value)
        elif isinstance(plan.first, VariableNode):
            first = coerced.coerced.get(plan.first.name.value)
        args = PageArgs(first=first)
        try:
            size = args.size()
        except Invalid:  # the ordinary way words it
            return None
        execution = self.schema.execution_context_class
        if plan.projection.fields * size + len(plan.roots) + 1 \
                > getattr(execution, "max_fields", 0):
            return None  # perhaps over the field budget: the ordinary way decides
        requested = requested_nodes(self.graphql_schema, plan.document, variables,
                                    plan.operation.name.value if plan.operation.name else None)
        if requested > self.node_limit:
            return None
        projected = await public_page(context, plan.projection, plan.order, args)
        if projected is None:
            return None
        data: dict[str, Any] = {}
        for key, name in plan.roots:
            if name == ROOT_FIELD:
                data[key] = {plan.list_key: projected.items}
            elif name == "serverTime":  # as its resolver (resolvers/query.py) and scalar do
                data[key] = self.server_time.serialize(context.deps.now())
            else:
                data[key] = self.query_type_name  # __typename
        context.executed = True
        COUNTS.answered += 1
        return ExecutionResult(
            data=data, errors=None,
            extensions={"cost": {"requestedNodes": requested, "limit": self.node_limit}})
