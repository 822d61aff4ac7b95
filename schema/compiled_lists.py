"""Lists of objects completed by a plan compiled once per selection.

graphql-core executes every field of every item the same general way: it builds a resolve
info, strawberry wraps it in its own Info, parses the (absent) arguments, runs the field
extensions, then completes the value by asking the schema what type it is. A page of 50
reports with ten fields each is 500 such runs, and they cost several times more than the
fields' own code (profile in README "Performance"). A list whose selection is plain (fields
without arguments or directives, on concrete object types) does not need any of that: its plan
is compiled once from the document and the schema, and calls each field's own Python function
with the item, then coerces the value with the field's own GraphQL type. Each object plan is
one generated Python function (schema/list_plans.py, as the row constructors in
models/orm/rows.py are); `python -m bench --only wall` compares with COMPILED_LISTS=false.

Nothing about *what* is shown changes: the functions called are the type's resolvers (where
the privacy rules are), the coercions are the schema's. Anything the plan does not cover (a
null where the schema promises a value, an exception, a resolver asking the info for more than
its context) is handed back to graphql-core, which completes the same list again the ordinary
way and reports the error as it always does; query resolvers have no side effects beyond
loaders they share with that second run. tests/api/test_compiled_lists.py runs generated
documents through both ways, as every kind of viewer, and requires identical answers.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    SelectionSetNode,
    is_leaf_type,
)
from strawberry.types.field import StrawberryField

from schema.list_plans import PLAIN, Call, Fallback, Field, Plan, Value, awaitable, generate

Fragments = Mapping[str, FragmentDefinitionNode]
NO_FRAGMENTS: Fragments = {}
DEFINITION = "strawberry-definition"  # where strawberry keeps a GraphQLField's StrawberryField
CACHE_SIZE = 4096


class PlanInfo:
    """What a compiled field's resolver receives as `info`: the context and nothing else, so a
    resolver that needs more (selected fields, path) raises and the list falls back."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


# ----------------------------------------------------------------------------------- compile


def _caller(field: StrawberryField) -> Call | None:
    """A direct call of the field's resolver, or None when strawberry adds anything to it
    (arguments, field extensions, permission classes, a root or parent parameter)."""
    if field.extensions or field.permission_classes:
        return None
    if any(argument.default is not None for argument in field.arguments):
        return None  # a document passing no arguments means the defaults: all None here
    resolver = field.base_resolver
    if resolver is None:
        return Call(attribute=field.python_name)
    if resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return None
    info = resolver.info_parameter
    if info is not None and not info.name.isidentifier():
        return None
    func: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]
    return Call(func=func, takes_self=resolver.self_parameter is not None,
                info_name=None if info is None else info.name)


def _value(graphql_type: GraphQLOutputType, selection: SelectionSetNode | None,
           fragments: Fragments) -> Value | None:
    nullable = True
    if isinstance(graphql_type, GraphQLNonNull):
        nullable, graphql_type = False, graphql_type.of_type
    if isinstance(graphql_type, GraphQLList):
        item = _value(graphql_type.of_type, selection, fragments)
        return None if item is None else Value(nullable, item, None, None)
    if is_leaf_type(graphql_type):
        return Value(nullable, None, graphql_type, None) if selection is None else None
    if isinstance(graphql_type, GraphQLObjectType) and selection is not None:
        plan = compile_plan(graphql_type, selection, fragments)
        return None if plan is None else Value(nullable, None, None, plan)
    return None  # interfaces and unions: the ordinary way resolves their runtime type


def selected_fields(object_type: GraphQLObjectType, selection: SelectionSetNode,
              fragments: Fragments, depth: int = 0) -> Iterable[FieldNode] | None:
    fields: list[FieldNode] = []
    for node in selection.selections:
        if node.directives or depth > 10:
            return None  # @include/@skip depend on variables, @defer/@stream on delivery
        if isinstance(node, FieldNode):
            fields.append(node)
            continue
        inner_selection: SelectionSetNode | None = None
        if isinstance(node, InlineFragmentNode) and (
                node.type_condition is None
                or node.type_condition.name.value == object_type.name):
            inner_selection = node.selection_set
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if (fragment is not None and not fragment.directives
                    and fragment.type_condition.name.value == object_type.name):
                inner_selection = fragment.selection_set
        if inner_selection is None:
            return None  # other types' fragments: the ordinary way decides at run time
        inner = selected_fields(object_type, inner_selection, fragments, depth + 1)
        if inner is None:
            return None
        fields.extend(inner)
    return fields


def compile_plan(object_type: GraphQLObjectType, selection: SelectionSetNode,
                 fragments: Fragments = NO_FRAGMENTS) -> Plan | None:
    """The plan for one object type's selection (named fragments looked up in `fragments`,
    the document's), or None when some part of it is not plain."""
    nodes = selected_fields(object_type, selection, fragments)
    if nodes is None:
        return None
    compiled: list[Field] = []
    keys: set[str] = set()
    for node in nodes:
        key = node.alias.value if node.alias else node.name.value
        if key in keys or node.arguments:
            return None  # merging repeated keys is graphql-core's job
        keys.add(key)
        name = node.name.value
        if name == "__typename":
            compiled.append(Field(key, None, Value(False, None, None, None),
                                  constant=object_type.name))
            continue
        graphql_field = object_type.fields.get(name)
        definition = (graphql_field.extensions or {}).get(DEFINITION) if graphql_field else None
        if graphql_field is None or not isinstance(definition, StrawberryField):
            return None
        call = _caller(definition)
        value = _value(graphql_field.type, node.selection_set, fragments)
        if call is None or value is None:
            return None
        compiled.append(Field(key, call, value))
    return Plan(object_type, tuple(compiled), generate(compiled))


class Plans:
    """Compiled plans by the list field's node. Parsed documents are cached and reused, so the
    node is the same object for every request with the same document; the node is kept with
    its plan, so its id cannot be reused while the entry lives."""

    def __init__(self) -> None:
        self._plans: dict[int, tuple[FieldNode, Value | None]] = {}
        self.completed = self.fell_back = 0  # lists, since the process started

    def for_list(self, item_type: GraphQLOutputType, nodes: list[FieldNode],
                 fragments: Fragments = NO_FRAGMENTS) -> Value | None:
        """The plan of a list field's selection; its fragments are the same document's as the
        node, so the node alone keys the cache."""
        if len(nodes) != 1 or nodes[0].directives:
            return None
        node = nodes[0]
        found = self._plans.get(id(node))
        if found is not None and found[0] is node:
            return found[1]
        value = _value(item_type, node.selection_set, fragments)
        if value is not None and value.plan is None:
            value = None  # lists of leaves gain little
        if len(self._plans) >= CACHE_SIZE:
            self._plans.clear()
        self._plans[id(node)] = (node, value)
        return value


PLANS = Plans()


# ----------------------------------------------------------------------------------- execute


class Run:
    """One list's completion: the fields counted, and the values that were not ready yet."""

    __slots__ = ("counted", "info", "limit", "pending")

    def __init__(self, context: Any, limit: int) -> None:
        self.info = PlanInfo(context)
        self.counted = 0
        self.limit = limit  # past this many fields, the ordinary way (with its turns) takes over
        self.pending: list[tuple[Any, Any, Any, Value]] = []  # (container, key, awaitable, how)

    def items(self, item: Value, values: Iterable[Any]) -> list[Any]:
        out: list[Any] = []
        for index, value in enumerate(values):
            out.append(None)
            self.complete(out, index, value, item)
        return out

    def complete(self, container: Any, key: Any, value: Any, how: Value) -> None:
        if value is None:
            if not how.nullable:
                raise Fallback
            container[key] = None
        elif how.leaf is not None and type(value) in PLAIN:  # most values: never awaitable
            self.leaf(container, key, value, how.leaf)
        elif awaitable(value):
            self.pending.append((container, key, value, how))
        elif how.leaf is not None:
            self.leaf(container, key, value, how.leaf)
        elif how.item is not None:
            if type(value) not in (list, tuple) and (
                    isinstance(value, str | bytes | dict) or not isinstance(value, Iterable)):
                raise Fallback
            container[key] = self.items(how.item, value)
        elif how.plan is not None:
            container[key] = self.object(how.plan, value)
        else:  # __typename
            container[key] = value

    @staticmethod
    def leaf(container: Any, key: Any, value: Any, leaf: GraphQLLeafType) -> None:
        coerced = leaf.coerce_output_value(value)
        if coerced is None:
            raise Fallback
        container[key] = coerced

    def object(self, plan: Plan, source: Any) -> dict[str, Any]:
        is_type_of = plan.type.is_type_of
        if is_type_of is not None and is_type_of(source, self.info) is not True:  # type: ignore[arg-type]
            raise Fallback
        out = plan.build(self, source)
        self.counted += len(plan.fields)
        if self.counted > self.limit:
            raise Fallback
        return out

    async def settle(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            values = await asyncio.gather(*(waiting for _, _, waiting, _ in batch))
            for (container, key, _, how), value in zip(batch, values, strict=True):
                self.complete(container, key, value, how)

    def abandon(self) -> None:
        for _, _, waiting, _ in self.pending:
            if inspect.iscoroutine(waiting):
                waiting.close()  # never started: no "was never awaited" warning
        self.pending = []
