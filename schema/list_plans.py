"""What a compiled list plan is made of, and each object plan written as one Python function.

A plan (schema/compiled_lists.py) says, for one object type's selection, which field to call
for each response key and how to complete its value. Walking that description field by field
for every item costs a dispatch per field; instead each object plan is generated once as a
function with the calls written out and the usual outcomes decided inline: a string for a
`String` or `ID`, a bool, an in-range int and a finite float are their own coercion (as
graphql-core's serialisers return them), an enum member's GraphQL name comes from a table made
at compile time by the enum type's own coercion (strawberry's walks every value per call), and
anything else (awaitables, lists, other leaves, objects) goes to the run's general
`complete`. The functions called are the type's resolvers, so what is shown is decided where
it always is.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from types import GeneratorType
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLString,
)

PLAIN = frozenset({str, int, float, bool, datetime, date})


class Fallback(Exception):
    """Not an error: "complete this list the ordinary way"."""


@dataclass(frozen=True, slots=True)
class Call:
    """How a plan reaches a field's value: the item's attribute of that name (a field without
    resolver), or the resolver itself, given the item as `self` and the info by its
    parameter's name when it takes them."""

    attribute: str | None = None
    func: Callable[..., Any] | None = None
    takes_self: bool = False
    info_name: str | None = None

    def expression(self, slot: str, names: dict[str, Any]) -> str:
        """The call as Python source over `src` and `info`, binding what it needs in `names`."""
        if self.func is None:
            names[slot] = self.attribute
            return f"getattr(src, {slot})"
        names[slot] = self.func
        args = ["src"] if self.takes_self else []
        if self.info_name is not None:
            args.append(f"{self.info_name}=info")
        return f"{slot}({', '.join(args)})"


@dataclass(frozen=True, slots=True)
class Field:
    key: str  # the response key (an alias or the field name)
    call: Call | None  # None: __typename, whose value is `constant`
    value: Value
    constant: str | None = None


@dataclass(frozen=True, slots=True)
class Value:
    """How to complete what a field returned: its nullability, whether it is a list, and either
    a leaf coercion or an object plan."""

    nullable: bool
    item: Value | None  # set for a list
    leaf: GraphQLLeafType | None
    plan: Plan | None


@dataclass(frozen=True, slots=True)
class Plan:
    type: GraphQLObjectType
    fields: tuple[Field, ...]
    build: Callable[[Any, Any], dict[str, Any]]  # (run, item) → its fields: `generate`


# Leaves whose coercion returns the value itself when it has exactly this Python type (and,
# for numbers, is in range): graphql-core's serialize_string/id/boolean/int/float.
_IDENTITY: dict[GraphQLLeafType, str] = {
    GraphQLString: "type(v) is str",
    GraphQLID: "type(v) is str",
    GraphQLBoolean: "type(v) is bool",
    GraphQLInt: "type(v) is int and -2147483648 <= v <= 2147483647",
    GraphQLFloat: "type(v) is float and isfinite(v)",
}


def enum_names(leaf: GraphQLLeafType) -> tuple[type[Enum], dict[Enum, str]] | None:
    """For an enum strawberry made from a Python enum: that class and each member's GraphQL
    name, as the type's own coercion gives it (it walks every value per call)."""
    python_enum = getattr(leaf, "wrapped_cls", None)
    if not isinstance(leaf, GraphQLEnumType) or not isinstance(python_enum, type) \
            or not issubclass(python_enum, Enum):
        return None
    try:
        return python_enum, {member: leaf.coerce_output_value(member) for member in python_enum}
    except (ValueError, GraphQLError):  # a member the schema does not show: the ordinary way
        return None


_AWAITABLE: dict[type, bool] = {}


def awaitable(value: Any) -> bool:
    """`inspect.isawaitable`, remembered per type (what makes a value awaitable is its class),
    except for generators, where a flag of the function decides."""
    kind = type(value)
    known = _AWAITABLE.get(kind)
    if known is None:
        known = inspect.isawaitable(value)
        if kind is not GeneratorType:
            _AWAITABLE[kind] = known
    return known


def generate(fields: Sequence[Field]) -> Callable[[Any, Any], dict[str, Any]]:
    """One function completing an item's fields in order, as `Run.complete` would field by
    field: the call written out, the common outcomes (null, a leaf whose coercion is the
    identity, an instant or an enum member for their scalar's coercion) decided inline, and
    anything else (awaitables, lists, objects) handed to `Run.complete`."""
    names: dict[str, Any] = {"Fallback": Fallback, "PLAIN": PLAIN, "awaitable": awaitable,
                             "isfinite": math.isfinite}
    lines = ["def build(run, src):", "    info = run.info", "    out = {}"]
    for index, field in enumerate(fields):
        key, how = repr(field.key), field.value
        if field.call is None:
            names[f"t{index}"] = field.constant
            lines.append(f"    out[{key}] = t{index}")
            continue
        names[f"h{index}"] = how
        lines.append(f"    v = {field.call.expression(f'f{index}', names)}")
        lines.append("    if v is None:")
        lines.append(f"        out[{key}] = None" if how.nullable else "        raise Fallback")
        if how.leaf is not None:
            identity = _IDENTITY.get(how.leaf)
            if identity is not None:
                lines += [f"    elif {identity}:", f"        out[{key}] = v"]
            elif (members := enum_names(how.leaf)) is not None:
                names[f"e{index}"], names[f"n{index}"] = members
                lines += [f"    elif type(v) is e{index}:", f"        out[{key}] = n{index}[v]"]
            else:
                names[f"c{index}"] = how.leaf.coerce_output_value
                lines += ["    elif type(v) in PLAIN:",
                          f"        c = c{index}(v)",
                          "        if c is None:",
                          "            raise Fallback",
                          f"        out[{key}] = c"]
        elif how.plan is not None:
            names[f"p{index}"] = how.plan
            lines += ["    elif not awaitable(v):",
                      f"        out[{key}] = run.object(p{index}, v)"]
        lines += ["    else:", f"        run.complete(out, {key}, v, h{index})"]
    lines.append("    return out")
    exec("\n".join(lines), names)  # the source is built above from the plan's own fields
    build: Callable[[Any, Any], dict[str, Any]] = names["build"]
    return build
