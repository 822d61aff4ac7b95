"""OpenTelemetry tracing, off unless TRACING=true: one trace per HTTP request (ASGI), with
spans for the GraphQL operation and its root fields (schema/tracing.py), every PostgreSQL
statement (asyncpg) and every Redis command (the event bus, the rate limits). Spans are
exported over OTLP/HTTP to where the standard variables say (`OTEL_EXPORTER_OTLP_ENDPOINT`,
`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`...).

The libraries are imported only when tracing is on: a deployment without it pays nothing."""

from __future__ import annotations

import os
from typing import Any

from starlette.types import ASGIApp


class Tracing:
    def __init__(self, exporter: Any = None) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        name = os.environ.get("OTEL_SERVICE_NAME", "hien-truong")
        self.provider = TracerProvider(resource=Resource.create({"service.name": name}))
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:  # tests: every span at once
            self.provider.add_span_processor(SimpleSpanProcessor(exporter))
        self._instrumented: list[Any] = []

    def instrument(self) -> None:
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        for instrumentor in (AsyncPGInstrumentor(), RedisInstrumentor()):  # type: ignore[no-untyped-call]
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(tracer_provider=self.provider)
                self._instrumented.append(instrumentor)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        # /metrics and the probes would only add noise.
        return OpenTelemetryMiddleware(app, tracer_provider=self.provider,
                                       excluded_urls="metrics,livez,readyz,healthz")

    def shutdown(self) -> None:
        for instrumentor in self._instrumented:
            instrumentor.uninstrument()
        self._instrumented.clear()
        self.provider.shutdown()
