"""Lists completed by compiled plans (schema/compiled_lists.py) answer exactly what the ordinary
graphql-core execution answers: generated documents over every list the schema offers, asked
by every kind of viewer, once each way, byte for byte (data, nulls and errors)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import orjson
import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)
from starlette.applications import Starlette

from bench.world import World, gid
from models.actions import handling, participation, review
from models.enums import Satisfaction, Status
from models.rules import calendar
from schema.compiled_lists import PLANS, compile_plan
from tests.support.api import Api
from tests.support.clock import FakeClock
from tests.support.selections import report_selection

DOCUMENTS_PER_VIEWER = 40
# Optional arguments a generated field may get, making its list one the plan does not cover.
ARGUMENTS = {"timeline": "(last: 2)", "comments": "(first: 2)"}


class Generator:
    """Random selections over the schema itself: every field a type offers may be picked, with
    aliases, __typename, fragments and @include now and then, nested a few levels."""

    def __init__(self, schema: GraphQLSchema, rng: random.Random) -> None:
        self.schema, self.rng = schema, rng

    def selection(self, type_name: str, depth: int) -> str:
        object_type = self.schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType | GraphQLInterfaceType)
        names = [n for n, f in object_type.fields.items()
                 if not any(isinstance(a.type, GraphQLNonNull) for a in f.args.values())]
        picked = self.rng.sample(names, k=min(len(names), self.rng.randint(1, 8)))
        parts: list[str] = []
        for name in picked:
            field = object_type.fields[name]
            named = get_named_type(field.type)
            head = name
            if self.rng.random() < 0.1:
                head = f"{name}{len(parts)}: {name}"  # a key no other field has
            if name in ARGUMENTS and self.rng.random() < 0.3:
                head += ARGUMENTS[name]
            if self.rng.random() < 0.05:
                head += " @include(if: true)"
            if is_leaf_type(named):
                parts.append(head)
            elif depth <= 0:
                parts.append(f"{head} {{ __typename }}")
            elif isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
                concrete = self.rng.choice(self.schema.get_possible_types(named))
                parts.append(f"{head} {{ __typename ... on {concrete.name} "
                             f"{{ {self.selection(concrete.name, depth - 1)} }} }}")
            else:
                parts.append(f"{head} {{ {self.selection(named.name, depth - 1)} }}")
        if self.rng.random() < 0.15:
            parts.append("__typename")
        leaves = [n for n in names if is_leaf_type(get_named_type(object_type.fields[n].type))]
        if leaves and self.rng.random() < 0.1:
            parts.append(f"... on {type_name} {{ {self.rng.choice(leaves)} }}")
        return " ".join(parts)

    def document(self, roots: list[str]) -> str:
        root = self.rng.choice(roots)
        shape = self.rng.choice(["nodes", "edges"])
        report = self.selection("Report", depth=2)
        fragment = ""
        if self.rng.random() < 0.3:  # as front ends write them: a named fragment (the wall's)
            fragment = f" fragment R on Report {{ {report} }}"
            report = "...R" if self.rng.random() < 0.5 else "id ...R"
        if root == "report":
            return f"query($id: ID) {{ report(id: $id) {{ {report} }} }}{fragment}"
        body = (f"nodes {{ {report} }}" if shape == "nodes"
                else f"edges {{ cursor node {{ {report} }} }}")
        return f"{{ {root}(first: 10) {{ totalCount {body} }} }}{fragment}"


async def city(world: World, clock: FakeClock) -> list[int]:
    """Reports in every state, with what hangs off them: results, ratings, a contest, comments
    (one hidden), support, an extension request, a merge, a rejection."""
    d, ioc, staff = world.deps, world.ioc.viewer, world.staff_a.viewer
    made = [await world.report(s) for s in (
        Status.PENDING_REVIEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESULT_SUBMITTED,
        Status.RESOLVED, Status.RESOLVED, Status.REJECTED, Status.MERGED)]
    ids = [r.id for r in made]
    resolved = ids[4]
    await participation.rate_report(d, world.citizen.viewer, resolved, Satisfaction.UNSATISFIED,
                                    "Chưa sạch, số điện thoại tôi 0905123456")
    await participation.contest_result(d, world.citizen.viewer, resolved, "Vẫn còn rác.")
    comment = await participation.add_comment(d, world.other_citizen.viewer, ids[1], "Đúng vậy")
    clock.advance(seconds=120)
    await participation.add_comment(d, world.citizen.viewer, ids[1], "Cảm ơn")
    await participation.hide_comment(d, ioc, comment.id, "Lời lẽ không phù hợp.")
    await participation.support_report(d, world.other_citizen.viewer, ids[2])
    until = calendar.local_date(made[2].due_at) + timedelta(days=5)
    await handling.request_extension(d, staff, ids[2], until, "Chờ vật tư, gọi 0905000111")
    late = await world.report(Status.ASSIGNED, by=world.other_citizen)
    await review.reopen_report(d, ioc, ids[5], "Làm lại.")
    return [*ids, late.id]


@pytest.mark.parametrize("viewer", ["anonymous", "citizen", "other_citizen", "staff_a",
                                    "staff_b", "ioc", "admin"])
async def test_compiled_lists_answer_as_the_ordinary_execution(
    app: Starlette, api: Api, world: World, clock: FakeClock, viewer: str
):
    report_ids = await city(world, clock)
    token = None if viewer == "anonymous" else getattr(world, viewer).token
    schema = app.state.schema
    execution = schema.execution_context_class
    generator = Generator(schema._schema, random.Random(f"compiled-{viewer}"))
    roots = ["reports", "myReports", "agencyInbox", "reviewQueue", "report"]
    before = PLANS.completed
    compared = 0
    try:
        for number in range(DOCUMENTS_PER_VIEWER):
            query = generator.document(roots)
            variables = ({"id": gid("Report", report_ids[number % len(report_ids)])}
                         if "$id" in query else {})
            answers = []
            for compiled in (True, False):
                execution.compiled = compiled
                body = await api.post(query, variables, token)
                answers.append(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
            assert answers[0] == answers[1], (viewer, query)
            errors = body.get("errors", [])
            if any(e.get("extensions", {}).get("code") == "QUERY_TOO_COSTLY" for e in errors):
                continue  # refused before it ran, both ways
            assert all("path" in e for e in errors), (query, errors)  # it ran: it was valid
            compared += 1
    finally:
        execution.compiled = True
    assert compared >= DOCUMENTS_PER_VIEWER * 3 // 4
    # Not vacuous: plans completed lists (many others fell back, or were empty).
    assert PLANS.completed - before >= DOCUMENTS_PER_VIEWER // 4, (PLANS.completed, before)


async def test_plans_cover_plain_selections_only(app: Starlette):
    schema: GraphQLSchema = app.state.schema._schema
    report = schema.get_type("Report")
    assert isinstance(report, GraphQLObjectType)

    def plan(selection: str) -> Any:
        return compile_plan(*report_selection(app, selection))

    assert plan("id title status category { name } lastEvent { kind at }") is not None
    assert plan("__typename t: title ... on Report { code }") is not None
    assert plan("timeline { kind report { id } }") is not None  # nested lists too
    assert plan("timeline(last: 2) { kind }") is None  # arguments
    assert plan("title @include(if: true)") is None  # directives
    assert plan("title title") is None  # merging is graphql-core's
    assert plan("... F") is None  # a named fragment the document does not have

    def with_fragments(text: str) -> Any:
        from graphql import FragmentDefinitionNode, parse
        document = parse(text)
        fragments = {d.name.value: d for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}
        field = document.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
        return compile_plan(report, field.selection_set, fragments)

    assert with_fragments("{ x { id ...F } } fragment F on Report { title category { name } "
                          "...G } fragment G on Report { code }") is not None
    assert with_fragments("{ x { ...A } } fragment A on Agency { name }") is None  # another type

