"""Public pages of reports written as JSON by PostgreSQL (schema/projected_lists.py) answer
exactly what the ordinary execution answers: generated documents over every field the
projection's table holds (and now and then one it does not), every order, filters and a
cursor, asked by every kind of viewer, once each way: the same JSON, key order included
(the database writes its own spacing and numbers; parsed, they are equal). Only the anonymous
public's pages are ever projected."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from graphql import GraphQLObjectType, GraphQLSchema, get_named_type
from starlette.applications import Starlette

from bench.world import World
from models.enums import MediaKind, Status
from models.orm.reports import Media as MediaRow
from models.queries import projection
from schema import projected_lists
from schema.projected_lists import LEAVES, RELATED, RawJSON, compile_object
from tests.api.test_compiled_lists import city
from tests.support.api import Api, count_queries
from tests.support.clock import FakeClock
from tests.support.selections import report_selection
from web.graphql.app import GraphQLApp

pytestmark = pytest.mark.postgres
DOCUMENTS_PER_VIEWER = 40
# Fields a public page may ask for that the projection leaves to the ordinary way.
OUTSIDE = {"Report": ["reporter { phone }", "timeline { kind }", "viewerHasSupported",
                      "distanceMeters", "result { text }"],
           "Rating": ["note"], "Agency": ["parent { name }"]}


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # PostgreSQL only: elsewhere nothing is projected


class Generator:
    def __init__(self, schema: GraphQLSchema, rng: random.Random) -> None:
        self.schema, self.rng = schema, rng

    def selection(self, type_name: str) -> str:
        object_type = self.schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType)
        names = [*LEAVES[type_name], *(f for t, f in RELATED if t == type_name)]
        parts: list[str] = []
        for name in self.rng.sample(names, k=min(len(names), self.rng.randint(1, 9))):
            head = f"{name}{len(parts)}: {name}" if self.rng.random() < 0.1 else name
            if (type_name, name) in RELATED:
                child = get_named_type(object_type.fields[name].type).name
                parts.append(f"{head} {{ {self.selection(child)} }}")
            else:
                parts.append(head)
        if self.rng.random() < 0.1:
            parts.append("__typename")
        if type_name in OUTSIDE and self.rng.random() < 0.1:
            parts.append(self.rng.choice(OUTSIDE[type_name]))
        return " ".join(parts)

    def document(self) -> str:
        report = self.selection("Report")
        fragment = ""
        if self.rng.random() < 0.3:
            fragment = f" fragment R on Report {{ {report} }}"
            report = "...R" if self.rng.random() < 0.5 else "id ...R"
        arguments = [f"first: {self.rng.choice([1, 3, 10, 100])}"]
        order = self.rng.choice([None, "NEWEST", "OLDEST", "DUE_SOON", "SUPPORT"])
        if order:
            arguments.append(f"orderBy: {order}")
        if self.rng.random() < 0.3:
            arguments.append(self.rng.choice(['filter: {statuses: [RESOLVED, ASSIGNED]}',
                                              'filter: {text: "duong"}',
                                              "filter: {overdue: false}"]))
        if order in (None, "NEWEST") and self.rng.random() < 0.3:
            arguments.append("after: $after")  # the second page of the newest
        extra = self.rng.choice(["", "", "totalCount", "__typename", "pageInfo { endCursor }"])
        head = "query($after: String)" if "after: $after" in arguments else "query"
        items = self.rng.choice([f"nodes {{ {report} }}", f"edges {{ node {{ {report} }} }}",
                                 f"edges {{ __typename n: node {{ {report} }} }}",
                                 f"edges {{ cursor node {{ {report} }} }}"])
        return f"{head} {{ reports({', '.join(arguments)}) {{ {extra} {items} }} }}{fragment}"


async def with_media(world: World, report_ids: list[int]) -> None:
    """Evidence with and without thumbnails, and a result's media (never in `media`)."""
    owner = world.citizen.id
    for index, report_id in enumerate(report_ids):
        for n, (kind, thumbnail, result) in enumerate([(MediaKind.IMAGE, True, False),
                                                       (MediaKind.VIDEO, False, False),
                                                       (MediaKind.IMAGE, True, True)]):
            key = f"r{report_id}-{n}"
            await MediaRow.create(
                owner_id=owner, report_id=report_id, kind=kind, storage_key=f"{key}.jpg",
                thumbnail_key=f"{key}.webp" if thumbnail else None, content_type="image/jpeg",
                size_bytes=1000 + index, width=800, height=None if n else 600,
                is_result=result, created_at=world.deps.now())


@pytest.mark.parametrize("viewer", ["anonymous", "citizen", "staff_a", "ioc"])
async def test_projected_pages_answer_as_the_ordinary_execution(
    app: Starlette, api: Api, world: World, clock: FakeClock, viewer: str
):
    report_ids = await city(world, clock)
    for status in (Status.RESOLVED, Status.ASSIGNED, Status.IN_PROGRESS):  # more to page through
        await world.report(status, place=None, title="Đèn đường hỏng")
    await with_media(world, report_ids)
    clock.advance(days=20)  # past the open reports' deadlines: overdue
    await world.report(Status.ASSIGNED, title="Vừa gửi")  # and one that is not
    token = None if viewer == "anonymous" else getattr(world, viewer).token
    execution = app.state.schema.execution_context_class
    generator = Generator(app.state.schema._schema, random.Random(f"projected-{viewer}"))
    second = await api.post("{ reports(first: 2) { pageInfo { endCursor } } }", {}, token)
    after = second["data"]["reports"]["pageInfo"]["endCursor"]
    before = projected_lists.COUNTS.served
    try:
        for _ in range(DOCUMENTS_PER_VIEWER):
            query = generator.document()
            variables = {"after": after} if "$after" in query else {}
            answers = []
            for projected in (True, False):
                execution.projected = projected
                body = await api.post(query, variables, token)
                answers.append(orjson.dumps(body))  # key order included
            assert answers[0] == answers[1], (viewer, query)
            assert "errors" not in body, (query, body)
    finally:
        execution.projected = True
    served = projected_lists.COUNTS.served - before
    if viewer == "anonymous":  # not vacuous: most documents were projected
        assert served >= DOCUMENTS_PER_VIEWER // 2, served
    else:
        assert served == 0  # a signed-in viewer's pages are always the ordinary way


async def test_a_projected_page_is_one_statement(app: Starlette, api: Api, world: World,
                                                 clock: FakeClock):
    await city(world, clock)
    query = ("{ reports(first: 50) { nodes { id title category { name } agency { name } "
             "media { url } rating { satisfaction } lastEvent { kind at } } } }")
    await api.post(query)  # the directory memo's first read
    with count_queries() as statements:
        body = await api.post(query)
    assert len(body["data"]["reports"]["nodes"]) >= 5
    assert len(statements) == 1, statements


async def test_the_table_covers_public_fields_only(app: Starlette):
    def projection(selection: str) -> Any:
        return compile_object(*report_selection(app, selection), {}, "p")

    assert projection("id code title status lastEvent { kind note } media { url }") is not None
    for private in ("reporter { phone }", "originalDescription", "rating { note }",
                    "extensionRequests { reason }", "similarNearby { id }",
                    "result { text }", "title @include(if: true)", "title title"):
        assert projection(f"id {private}") is None, private


def test_a_page_as_written_goes_out_with_either_encoder():
    """orjson writes the database's text unparsed; the stdlib's encoder, used when an answer
    holds a lone surrogate (echoed input), parses it first."""
    page = RawJSON('[{"id" : "UmVwb3J0OjE=", "title" : "Đèn đường"}]')
    writer = SimpleNamespace(max_response_bytes=1 << 20)
    for other in ("ok", "a\ud800"):
        body = GraphQLApp.encode_json(writer, {"data": {"nodes": page, "echo": other}})  # type: ignore[arg-type]
        assert json.loads(body)["data"] == {"nodes": [{"id": "UmVwb3J0OjE=",
                                                       "title": "Đèn đường"}], "echo": other}


async def test_a_statement_is_kept_by_the_request_shape_and_reads_fresh_rows(
    api: Api, world: World, clock: FakeClock
):
    await city(world, clock)
    query = "{ reports(first: 5) { nodes { id title } } }"
    projection._statements.clear()
    await api.post(query)
    assert len(projection._statements) == 1
    clock.advance(minutes=5)
    await world.report(Status.ASSIGNED, title="Cây đổ chắn đường")
    body = await api.post(query)
    assert len(projection._statements) == 1  # the same statement, run again
    assert body["data"]["reports"]["nodes"][0]["title"] == "Cây đổ chắn đường"
    await api.post("{ reports(first: 5, filter: {overdue: false}) { nodes { id } } }")
    assert len(projection._statements) == 1  # that filter depends on the clock: never kept
    await api.post("{ reports(first: 6) { nodes { id title } } }")
    assert len(projection._statements) == 2


async def test_the_wall_pages_own_shape_is_projected_with_the_requests_clock(
    app: Starlette, api: Api, world: World, clock: FakeClock
):
    """edges { node { … overdue } }, as the /wall page asks: one statement, and `overdue` by
    the clock of the request, both ways the same."""
    await city(world, clock)
    clock.advance(days=20)
    await world.report(Status.ASSIGNED, title="Vừa gửi")
    query = "{ reports(first: 50) { edges { node { title status overdue } } } }"
    await api.post(query)
    with count_queries() as statements:
        projected = await api.post(query)
    assert len(statements) == 1, statements
    execution = app.state.schema.execution_context_class
    execution.projected = False
    try:
        ordinary = await api.post(query)
    finally:
        execution.projected = True
    assert projected == ordinary
    edges = projected["data"]["reports"]["edges"]
    overdue = [(e["node"]["title"], e["node"]["overdue"]) for e in edges]
    assert ("Vừa gửi", False) in overdue
    assert any(late for _, late in overdue), overdue
