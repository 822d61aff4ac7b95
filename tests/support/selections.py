"""A selection on `Report` as a compiler of lists sees it: the type from the app's schema and
the selection set of `{ x { <selection> } }`."""

from __future__ import annotations

from graphql import GraphQLObjectType, SelectionSetNode, parse
from starlette.applications import Starlette


def report_selection(app: Starlette, selection: str) -> tuple[GraphQLObjectType,
                                                               SelectionSetNode]:
    report = app.state.schema._schema.get_type("Report")
    assert isinstance(report, GraphQLObjectType)
    field = parse(f"{{ x {{ {selection} }} }}").definitions[0]
    node = field.selection_set.selections[0]  # type: ignore[attr-defined]
    return report, node.selection_set
