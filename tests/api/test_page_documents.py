"""Documents that are one public page of reports and nothing else are answered by a plan
(web/graphql/page_documents.py) once they have run the ordinary way: the very same bytes as
that first, ordinary answer, and the same JSON as an execution with no projection at all,
for generated documents (aliases, fragments, nodes or edges, `first` as a literal, a
variable or a variable's default, every order, and now and then something that rules the
plan out). Errors, signed-in viewers and pages over the field budget go the ordinary way."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette

from bench.world import World
from models.enums import Status
from tests.api.test_compiled_lists import city
from tests.api.test_projected_lists import Generator, with_media
from tests.support.api import Api, count_queries
from tests.support.clock import FakeClock
from web.graphql import page_documents
from web.wall.routes import wall_documents

pytestmark = pytest.mark.postgres
DOCUMENTS = 60
# Each rules the plan out: the ordinary way answers every time.
NOT_PLANNED = ["totalCount", "__typename", "pageInfo { hasNextPage }"]


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # PostgreSQL only: elsewhere nothing is projected


def document(rng: random.Random, generator: Generator) -> tuple[str, dict[str, Any], bool]:
    """A document, its variables, and False when a plan must not answer it (True: it may,
    unless its fields are not projected at all)."""
    report = generator.selection("Report")
    plannable = True
    fragment = ""
    if rng.random() < 0.3:
        fragment = f" fragment R on Report {{ {report} }}"
        report = "...R" if rng.random() < 0.5 else "id ...R"
    variables: dict[str, Any] = {}
    head = "query"
    size = rng.choice([1, 3, 10, 100])
    how = rng.choice(["literal", "variable", "default", "none"])
    arguments = []
    if how == "literal":
        arguments.append(f"first: {size}")
    elif how == "variable":
        head, variables = "query Page($n: Int!)", {"n": size}
        arguments.append("first: $n")
    elif how == "default":
        head = f"query Page($n: Int = {size})"
        arguments.append("first: $n")
    order = rng.choice([None, "NEWEST", "OLDEST", "DUE_SOON", "SUPPORT"])
    if order:
        arguments.append(f"orderBy: {order}")
    if rng.random() < 0.1:
        arguments.append('filter: {text: "duong"}')
        plannable = False
    items = rng.choice([f"nodes {{ {report} }}", f"edges {{ node {{ {report} }} }}",
                        f"list: nodes {{ {report} }}", f"edges {{ cursor node {{ {report} }} }}"])
    extra = ""
    if rng.random() < 0.15:
        extra = rng.choice(NOT_PLANNED)
        plannable = False
    root = "page: reports" if rng.random() < 0.2 else "reports"
    around = f"({', '.join(arguments)})" if arguments else ""
    others = ""
    if rng.random() < 0.3:  # beside the page: what a plan answers too, or what it does not
        others = rng.choice([" serverTime", " now: serverTime", " __typename",
                             " categories { name }", " serverTime serverTime"])
        plannable = plannable and "categories" not in others
    if "edges { cursor" in items:
        plannable = False  # an edge's cursor is not projected at all
    page = f"{root}{around} {{ {extra} {items} }}"
    roots = f"{others} {page}" if rng.random() < 0.5 else f"{page}{others}"
    query = f"{head} {{ {roots} }}{fragment}"
    return query, variables, plannable


async def raw(api: Api, query: str, variables: dict[str, Any],
              token: str | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.post("/graphql", json={"query": query, "variables": variables},
                                     headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def same_json(body: bytes) -> bytes:
    return orjson.dumps(json.loads(body))  # key order kept; the database's spacing not


@pytest.fixture
async def town(world: World, clock: FakeClock) -> None:
    report_ids = await city(world, clock)
    for status in (Status.RESOLVED, Status.ASSIGNED, Status.IN_PROGRESS):
        await world.report(status, place=None, title="Đèn đường hỏng")
    await with_media(world, report_ids)
    clock.advance(days=20)  # past the open reports' deadlines: overdue
    await world.report(Status.ASSIGNED, title="Vừa gửi")


@pytest.mark.usefixtures("town")
async def test_planned_answers_are_the_ordinary_answers(app: Starlette, api: Api):
    execution = app.state.schema.execution_context_class
    rng = random.Random("page-documents")
    generator = Generator(app.state.schema._schema, rng)
    before = page_documents.COUNTS.answered
    expected = 0
    for _ in range(DOCUMENTS):
        query, variables, plannable = document(rng, generator)
        first = await raw(api, query, variables)  # the ordinary way, which plans it
        answered = page_documents.COUNTS.answered
        planned = await raw(api, query, variables)
        by_plan = page_documents.COUNTS.answered - answered
        execution.projected = False
        try:
            ordinary = await raw(api, query, variables)
        finally:
            execution.projected = True
        assert planned == first, query  # byte for byte
        assert same_json(planned) == same_json(ordinary), query
        assert b'"errors"' not in planned, (query, planned)
        if not plannable:
            assert by_plan == 0, query
        expected += by_plan
    assert page_documents.COUNTS.answered - before == expected
    # Not vacuous. The rest were not projected at all (a field outside the table, a field
    # asked twice, which the projection leaves to the ordinary way) or were ruled out.
    assert expected >= DOCUMENTS // 3, expected


@pytest.mark.usefixtures("town")
async def test_a_planned_page_is_one_statement(api: Api):
    query = "query W($n: Int!) { reports(first: $n) { nodes { id title category { name } } } }"
    await raw(api, query, {"n": 5})
    answered = page_documents.COUNTS.answered
    with count_queries() as statements:
        body = json.loads(await raw(api, query, {"n": 5}))
    assert page_documents.COUNTS.answered == answered + 1
    assert len(statements) == 1, statements
    assert len(body["data"]["reports"]["nodes"]) == 5


@pytest.mark.usefixtures("town")
async def test_errors_and_other_viewers_go_the_ordinary_way(app: Starlette, api: Api,
                                                           world: World):
    execution = app.state.schema.execution_context_class
    query = "query W($n: Int!) { reports(first: $n) { nodes { id title status } } }"
    await raw(api, query, {"n": 3})  # planned from now on
    answered = page_documents.COUNTS.answered
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"n": 500}, None), ({"n": 0}, None), ({"n": "three"}, None), ({}, None),
        ({"n": 3}, world.citizen.token), ({"n": 3}, world.ioc.token)]
    answers = [await raw(api, query, variables, token) for variables, token in cases]
    execution.projected = False
    try:
        ordinary = [await raw(api, query, variables, token) for variables, token in cases]
    finally:
        execution.projected = True
    assert page_documents.COUNTS.answered == answered  # none of them by the plan
    assert [same_json(a) for a in answers] == [same_json(o) for o in ordinary]
    assert all(b'"errors"' in a for a in answers[:4])


@pytest.mark.usefixtures("town")
async def test_a_page_over_the_field_budget_is_refused_as_before(app: Starlette, api: Api):
    execution = app.state.schema.execution_context_class
    query = "{ reports(first: 10) { nodes { id title status submittedAt } } }"
    await raw(api, query, {})
    answered = page_documents.COUNTS.answered
    budget = execution.max_fields
    execution.max_fields = 20  # ten reports of four fields, and the two above them: over
    try:
        body = json.loads(await raw(api, query, {}))
    finally:
        execution.max_fields = budget
    assert page_documents.COUNTS.answered == answered
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_TOO_LARGE"


@pytest.mark.usefixtures("town")
async def test_with_the_setting_off_nothing_is_planned(app: Starlette, api: Api):
    graphql = app.state.graphql
    settings = graphql.settings
    graphql.settings = dataclasses.replace(settings, page_documents=False)
    query = "{ reports(first: 3) { nodes { id } } }"
    answered = page_documents.COUNTS.answered
    try:
        for _ in range(3):
            assert b'"errors"' not in await raw(api, query, {})
    finally:
        graphql.settings = settings
    assert page_documents.COUNTS.answered == answered
    await raw(api, query, {})  # learnt meanwhile: answered by its plan once on again
    assert page_documents.COUNTS.answered == answered + 1


@pytest.mark.usefixtures("town")
async def test_a_long_text_is_never_kept(api: Api):
    """Plans are kept by the document's text: a text padded past LONGEST is not."""
    query = "{ reports(first: 3) { nodes { id } } }"
    padded = query + "\n#" + "x" * page_documents.LONGEST
    answered = page_documents.COUNTS.answered
    for _ in range(2):
        assert b'"errors"' not in await raw(api, padded, {})
    assert page_documents.COUNTS.answered == answered
    for _ in range(2):
        await raw(api, query, {})
    assert page_documents.COUNTS.answered == answered + 1


@pytest.mark.usefixtures("town")
async def test_the_wall_pages_first_page_is_planned(api: Api):
    """The /wall page's own document: serverTime beside an edges page with a fragment."""
    query = wall_documents()["FIRST_PAGE"]
    first = await raw(api, query, {"first": 50})
    answered = page_documents.COUNTS.answered
    assert await raw(api, query, {"first": 50}) == first
    assert page_documents.COUNTS.answered == answered + 1
    body = json.loads(first)
    assert list(body["data"]) == ["serverTime", "reports"]
    assert len(body["data"]["reports"]["edges"]) >= 5
