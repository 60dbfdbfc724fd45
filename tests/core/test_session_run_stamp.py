"""The CI run id on the spans of a session: a session killed before its root is exported must still be
found by ``gate --run``, so with a provider whose resource lacks the run id every span of it carries one."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv as sc


@agentops.tool
def lookup(x: int) -> int:
    return x


def _run_ids(exporter: InMemorySpanExporter) -> dict[str, object]:
    return {s.name: (s.attributes or {}).get(sc.RUN_ID) for s in exporter.get_finished_spans()}


def test_every_span_of_a_session_carries_the_run_under_the_users_provider(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tool spans and another instrumentation's spans inside a session get agentops.run.id, not only the root."""
    monkeypatch.setenv(sc.ENV_RUN_ID, "r7")
    with agentops.session("agent"):
        lookup(1)
        with trace.get_tracer("another-instrumentation").start_as_current_span("GET /inventory"):
            pass
    found = _run_ids(span_exporter)
    assert found == {"execute_tool lookup": "r7", "GET /inventory": "r7", "invoke_agent agent": "r7"}


def test_no_run_id_is_stamped_outside_a_run(span_exporter: InMemorySpanExporter,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a CI run id in the environment the session's spans get no run attribute."""
    monkeypatch.delenv(sc.ENV_RUN_ID, raising=False)
    for name in (*(n for _, names in sc.ENV_CI_RUN_VARIABLES for n in names), "BUILD_ID"):
        monkeypatch.delenv(name, raising=False)
    with agentops.session("agent"):
        lookup(1)
    assert set(_run_ids(span_exporter).values()) == {None}


def test_a_run_already_on_the_resource_is_not_repeated_on_each_span(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the run id on the provider's resource (the one we build), the steps carry no copy of it."""
    monkeypatch.setenv(sc.ENV_RUN_ID, "r7")
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({sc.RUN_ID: "r7"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agentops.init(tracer_provider=provider, instrument_llm_calls=False)
    with agentops.session("agent"):
        lookup(1)
    assert _run_ids(exporter) == {"execute_tool lookup": None, "invoke_agent agent": "r7"}
