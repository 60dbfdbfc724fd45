"""Shared fixtures: each test gets its own TracerProvider and in-memory exporter.

OpenTelemetry lets the *global* provider be set only once per process, so the suite installs one
global provider the first time a test runs (not at import) whose only processor forwards to the
current test's processors. Spans made through ``agentops_otel`` go to the test's own provider
(``init(tracer_provider=...)``); spans made through the global API (another instrumentation) reach the
same exporter. A span that a previous test's leftover thread ends late lands in that test's exporter,
never in this one's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpcore2  # noqa: F401  loaded here, not first inside a pytester in-process run (below)
import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
import agentops_otel.sessions  # loaded here, not first inside a pytester in-process run (below)
from agentops_otel import processor

# pytester's in-process runs drop the modules a run imported first: a sessions module first imported by one
# run would be imported afresh by the next, its sessions unknown to the registry kept from the first
# (tests/test_pytest_plugin_fixture_scopes.py failed when run on its own). Likewise httpcore2, which the SDKs'
# HTTP library (httpx2) imports only when a client is made: httpx2 keeps the httpcore2 errors it first saw
# in a module-level map, so after a run that made the first client, a later copy's ReadTimeout or
# RemoteProtocolError passed unmapped and openai raised it raw instead of APITimeoutError/APIConnectionError
# (tests/replay/test_transport_failures.py after tests/test_pytest_plugin_threads.py).


class _ToCurrentTest(SpanProcessor):
    """The global provider's processor: hands each span to the processors of the test running now."""

    def __init__(self) -> None:
        self.targets: tuple[SpanProcessor, ...] = ()

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        for target in self.targets:
            target.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for target in self.targets:
            target.on_end(span)


@pytest.fixture(scope="session")
def _global_router() -> _ToCurrentTest:
    router = _ToCurrentTest()
    provider = TracerProvider()
    provider.add_span_processor(router)
    trace.set_tracer_provider(provider)
    return router


@pytest.fixture(autouse=True)
def _isolated_tracing(_global_router: _ToCurrentTest) -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """A fresh provider and exporter per test, made ``agentops_otel``'s provider for the test."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agentops_otel.init(tracer_provider=provider, instrument_llm_calls=False)
    _global_router.targets = (SimpleSpanProcessor(exporter), processor.SessionProcessor())
    yield provider, exporter
    # A test that leaves a session open must not make the next test's spans its children.
    while (live := agentops_otel.current_session()) is not None:
        live.end("Indeterminate", "left open by the test")
    _global_router.targets = ()


@pytest.fixture
def tracer_provider(_isolated_tracing: tuple[TracerProvider, InMemorySpanExporter]) -> TracerProvider:
    """This test's SDK provider (``agentops_otel`` sends its spans there)."""
    return _isolated_tracing[0]


@pytest.fixture
def span_exporter(_isolated_tracing: tuple[TracerProvider, InMemorySpanExporter]) -> InMemorySpanExporter:
    """Finished spans of this test only, in the order they ended."""
    return _isolated_tracing[1]


@pytest.fixture
def clean_prices() -> Iterator[None]:
    """No price registered and no fault armed before or after the test (the cost tests' own state)."""
    from agentops_otel import cost
    from agentops_otel._guard import FaultInjector, reset_reports

    cost._unregister_all()
    yield
    cost._unregister_all()
    FaultInjector.armed.clear()
    reset_reports()


def pytest_configure(config: pytest.Config) -> None:
    """Under CI the property tests draw the same examples on every run (no example database either): a failure
    there is a defect found, reproducible from the log, never one run's luck. Elsewhere they search afresh."""
    if os.environ.get("CI"):
        from hypothesis import settings

        settings.register_profile("agentops-ci", derandomize=True, database=None)
        settings.load_profile("agentops-ci")
