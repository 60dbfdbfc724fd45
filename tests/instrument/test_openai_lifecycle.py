"""instrument/uninstrument are idempotent and reversible; suppression and the entry point work."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest
import wrapt
from openai import OpenAI
from openai.resources.chat.completions.completions import AsyncCompletions, Completions
from openai.resources.embeddings import Embeddings
from openai.resources.responses.responses import Responses
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import llm_spans
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv
from agentops_otel.instrument.openai import (
    OpenAIInstrumentor,
    instrument_openai,
    is_instrumented,
    uninstrument_openai,
)

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def _original(cls: type) -> Any:
    fn = vars(cls)["create"]
    while isinstance(fn, wrapt.FunctionWrapper):
        fn = fn.__wrapped__
    return fn


ORIGINALS = {cls: _original(cls) for cls in (Completions, AsyncCompletions, Embeddings, Responses)}


def _call(client: OpenAI) -> None:
    client.chat.completions.create(model="gpt-4o", messages=USER)


def test_instrument_twice_gives_one_span_per_call(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A second instrument_openai() changes nothing: still exactly one span per call."""
    assert instrument_openai() is True
    assert instrument_openai() is True
    _call(client)
    assert len(llm_spans(span_exporter)) == 1


def test_uninstrument_restores_the_methods_and_stops_spans(client: OpenAI,
                                                           span_exporter: InMemorySpanExporter) -> None:
    """After uninstrument the SDK's own functions are back and calls produce no spans; twice is harmless."""
    uninstrument_openai()
    uninstrument_openai()
    assert not is_instrumented()
    for cls, original in ORIGINALS.items():
        assert vars(cls)["create"] is original
    _call(client)
    assert llm_spans(span_exporter) == []


def test_reinstrument_after_uninstrument(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """instrument -> uninstrument -> instrument works, without doubling the wrappers."""
    uninstrument_openai()
    instrument_openai()
    _call(client)
    assert len(llm_spans(span_exporter)) == 1
    assert not isinstance(vars(Completions)["create"].__wrapped__, wrapt.FunctionWrapper)


def test_explicit_tracer_provider(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """instrument_openai(tracer_provider=...) sends spans to that provider, not the global one."""
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    uninstrument_openai()
    instrument_openai(tracer_provider=provider)
    _call(client)
    assert [s.name for s in own.get_finished_spans()] == ["chat gpt-4o"]
    assert llm_spans(span_exporter) == []


def test_switching_on_again_reads_the_package_metadata_at_most_once(client: OpenAI,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The version in our spans' scope is looked up once per process, not in the first call after every
    instrument(): the lookup walks sys.path, and the call after it cost ~20 µs more in bench_openai."""
    looked_up: list[str] = []
    real = importlib.metadata.version

    def counting(name: str) -> str:
        looked_up.append(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", counting)
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    for _ in range(3):
        uninstrument_openai()
        instrument_openai(tracer_provider=provider)
        _call(client)
    assert looked_up.count("agentops-otel-replay") <= 1
    scopes = {span.instrumentation_scope for span in own.get_finished_spans()}
    assert [(s.name, s.version) for s in scopes if s is not None] == [
        (semconv.INSTRUMENTATION_SCOPE, real("agentops-otel-replay"))]


def test_suppress_instrumentation_key(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """Inside a context with the suppress-instrumentation key set, calls produce no span."""
    token = otel_context.attach(otel_context.set_value(otel_context._SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        _call(client)
    finally:
        otel_context.detach(token)
    assert llm_spans(span_exporter) == []
    _call(client)
    assert len(llm_spans(span_exporter)) == 1


def test_disabled_env_var_is_a_pass_through(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                            span_exporter: InMemorySpanExporter) -> None:
    """AGENTOPS_OTEL_DISABLED=true turns the wrappers into pass-throughs."""
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    _call(client)
    assert llm_spans(span_exporter) == []


def test_entry_point_loads_the_instrumentor(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """The opentelemetry_instrumentor entry point loads and, called as the distro does, instruments openai."""
    uninstrument_openai()
    (ep,) = [e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "agentops_openai"]
    assert ep.load() is OpenAIInstrumentor
    instrumentor = ep.load()()
    instrumentor.instrument()
    assert is_instrumented()
    _call(client)
    assert len(llm_spans(span_exporter)) == 1
    instrumentor.uninstrument()
    assert not is_instrumented()


@pytest.fixture
def foreign_wrapper() -> Iterator[list[str]]:
    """Another instrumentation wrapping Completions.create on top of ours (as a contender would)."""
    seen: list[str] = []

    def theirs(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append("theirs")
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(Completions, "create", theirs)
    yield seen
    current = vars(Completions)["create"]
    if isinstance(current, wrapt.FunctionWrapper) and current._self_wrapper is theirs:
        Completions.create = current.__wrapped__  # type: ignore[method-assign]


def test_uninstrument_under_a_foreign_wrapper_leaves_it_working(
        client: OpenAI, foreign_wrapper: list[str], span_exporter: InMemorySpanExporter) -> None:
    """If someone wrapped on top of us, uninstrument keeps their wrapper and ours becomes a pass-through."""
    uninstrument_openai()
    _call(client)
    assert foreign_wrapper == ["theirs"]
    assert llm_spans(span_exporter) == []
