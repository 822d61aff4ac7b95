"""Which subscriptions can share one execution, and under which key.

Subscribers of an event stream declared shared (`metadata=SHARED` on the subscription field,
schema/declared.py) that sent the same document and variables with the same token would compute
exactly the same message for every event. They form a group keyed by that triple, where `after`
is left out: it only decides which past events a subscriber replays before joining, never what a
live event looks like.

Anything else (several root fields, directives on the root field, a default for the cursor
variable, a document that does not validate) is not shared and takes the ordinary path, which
also reports its errors the ordinary way.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    validate,
    visit,
)

from schema.declared import SHARED_EXECUTION, declares


@dataclass(frozen=True)
class Shape:
    """What a document says, worked out once per distinct text."""

    text: str  # the document without the root field's `after`
    operation_name: str | None
    cursor_variable: str | None  # the variable `after` reads, if any
    cursor_literal: str | None  # or the string written in place


@dataclass(frozen=True)
class Plan:
    key: tuple[str, str | None, str, str | None, str, str]
    after: object  # this subscriber's cursor as given (None: live from now)


class _Uses(Visitor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.count = name, 0

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.count += node.name.value == self.name


class Planner:
    def __init__(self, schema: GraphQLSchema, maxsize: int = 256,
                 max_tokens: int = 5000) -> None:
        self.schema = schema
        self.maxsize = maxsize
        self.max_tokens = max_tokens
        root = schema.subscription_type
        self.shared_fields = frozenset(
            name for name, field in (root.fields.items() if root else ())
            if declares(field, SHARED_EXECUTION))
        self._shapes: OrderedDict[str, Shape | None] = OrderedDict()

    def plan(self, query: str, variables: dict[str, Any] | None, operation_name: str | None,
             token: str | None, *, base_url: str = "", language: str = "") -> Plan | None:
        """`base_url` and `language` are part of what a subscriber receives (absolute media
        URLs, messages): subscribers differing in them do not share."""
        shape = self._shape(query)
        if shape is None or (operation_name or shape.operation_name) != shape.operation_name:
            return None
        rest = dict(variables or {})
        if shape.cursor_variable is not None:
            after = rest.pop(shape.cursor_variable, None)
        else:
            after = shape.cursor_literal
        try:
            # As str: orjson's bytes keep a buffer of a few KB, held by every subscriber.
            frozen = orjson.dumps(rest, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:
            return None
        return Plan((shape.text, shape.operation_name, frozen, token, base_url, language),
                    after)

    def _shape(self, query: str) -> Shape | None:
        if query in self._shapes:
            self._shapes.move_to_end(query)
            return self._shapes[query]
        shape = self._analyse(query)
        self._shapes[query] = shape
        if len(self._shapes) > self.maxsize:
            self._shapes.popitem(last=False)
        return shape

    def _analyse(self, query: str) -> Shape | None:
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None  # the ordinary path reports the error
        if validate(self.schema, document):
            return None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
            return None
        operation = operations[0]
        selections = operation.selection_set.selections
        if len(selections) != 1 or not isinstance(selections[0], FieldNode):
            return None
        root = selections[0]
        if root.directives or root.name.value not in self.shared_fields:
            return None
        cursor = next((a for a in root.arguments or () if a.name.value == "after"), None)
        variable = literal = None
        if cursor is not None:
            value = cursor.value
            if isinstance(value, VariableNode):
                variable = value.name.value
                uses = _Uses(variable)
                visit(operation.selection_set, uses)
                definition = next(d for d in operation.variable_definitions or ()
                                  if d.variable.name.value == variable)
                if uses.count != 1 or definition.default_value is not None:
                    return None
            elif isinstance(value, StringValueNode):
                literal = value.value
            elif not isinstance(value, NullValueNode):
                return None
        name = operation.name.value if operation.name else None
        return Shape(_without_cursor(document, operation, root, variable), name, variable,
                     literal)


def _without_cursor(document: DocumentNode, operation: OperationDefinitionNode,
                    root: FieldNode, variable: str | None) -> str:
    field = FieldNode(alias=root.alias, name=root.name, directives=root.directives,
                      selection_set=root.selection_set,
                      arguments=tuple(a for a in root.arguments or () if a.name.value != "after"))
    op = OperationDefinitionNode(
        operation=operation.operation, name=operation.name, directives=operation.directives,
        variable_definitions=tuple(d for d in operation.variable_definitions or ()
                                   if d.variable.name.value != variable),
        selection_set=SelectionSetNode(selections=(field,)))
    return print_ast(DocumentNode(definitions=tuple(
        op if d is operation else d for d in document.definitions)))
