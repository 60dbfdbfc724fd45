"""Shared fixtures: one global TracerProvider for the whole test run, spans captured in memory.

OpenTelemetry allows the global provider to be set once per process, so the suite installs one
provider with an in-memory exporter (and agentops_otel's session processor, through ``init``) and each
test gets the exporter cleared.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel

_EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))
trace.set_tracer_provider(_PROVIDER)
agentops_otel.init(tracer_provider=_PROVIDER, instrument_llm_calls=False)


@pytest.fixture
def tracer_provider() -> TracerProvider:
    """The process-wide SDK provider every test's spans go through."""
    return _PROVIDER


@pytest.fixture(autouse=True)
def _no_session_leaks() -> Iterator[None]:
    """A test that leaves a session open must not make the next test's spans its children."""
    yield
    while (live := agentops_otel.current_session()) is not None:
        live.end("Indeterminate", "left open by the test")


@pytest.fixture
def span_exporter() -> Iterator[InMemorySpanExporter]:
    """Finished spans of this test only, in the order they ended."""
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()
