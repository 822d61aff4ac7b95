"""TRACING=true: one HTTP request is one trace holding the GraphQL operation (named), its root
field and the SQL statements it sent, in an in-memory exporter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette

from bench.world import World, make_world
from models.enums import Status
from server import create_app
from tests.conftest import forget_dialect_caches
from tests.support.api import Api
from tests.support.clock import FakeClock
from web.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    return "postgres"  # SQL spans come from the asyncpg instrumentation


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def app(settings: Settings, clock: FakeClock,
              exporter: InMemorySpanExporter) -> AsyncIterator[Starlette]:
    forget_dialect_caches()
    traced = create_app(Settings(**{**settings.__dict__, "tracing": True}), clock=clock,
                        span_exporter=exporter)
    async with traced.router.lifespan_context(traced):
        yield traced


async def test_one_request_is_one_trace_with_its_sql(app: Starlette, api: Api,
                                                      exporter: InMemorySpanExporter,
                                                      tmp_path: Path):
    world: World = await make_world(app.state.deps)
    await world.report(Status.ASSIGNED)
    exporter.clear()
    data = await api.gql("query Wall { reports(first: 5) { nodes { id category { name } } } }")
    assert data["reports"]["nodes"]
    spans = exporter.get_finished_spans()
    request = next(s for s in spans if s.name == "POST /graphql")
    assert request.context is not None
    # The request's trace; the event hub's polling makes traces of its own.
    mine = [s for s in spans if s.context is not None
            and s.context.trace_id == request.context.trace_id]
    by_id = {s.context.span_id: s for s in mine if s.context is not None}
    by_name = {s.name: s for s in mine}
    operation = by_name["query Wall"]
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Wall"
    assert operation.attributes["graphql.operation.type"] == "query"
    field = by_name["GraphQL field reports"]
    assert field.parent is not None
    assert operation.context is not None
    assert field.parent.span_id == operation.context.span_id
    sql = [s for s in mine if s.attributes and ("db.statement" in s.attributes
                                                or "db.query.text" in s.attributes)]
    statements = [str(s.attributes.get("db.statement") or s.attributes.get("db.query.text"))
                  for s in sql if s.attributes]
    assert any('FROM "report"' in text for text in statements), statements  # the page
    # Its loader, or on PostgreSQL the page's own join (projected lists).
    assert any('"category"' in text for text in statements), statements

    def under_operation(span: object) -> bool:
        parent = getattr(span, "parent", None)
        while parent is not None:
            if parent.span_id == operation.context.span_id:
                return True
            parent = by_id[parent.span_id].parent if parent.span_id in by_id else None
        return False

    assert all(under_operation(s) for s in sql)
