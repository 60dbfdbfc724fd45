"""The live session, its root span's totals and its reassembled timeline count the same things."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext

import agentops_otel as agentops
from agentops_otel import ErrorEvent, semconv
from agentops_otel.processor import SessionProcessor


@agentops.tool
def failing_lookup() -> None:
    raise ValueError("customer_id cannot be None")


def test_error_counts_agree_between_live_root_and_timeline(span_exporter: InMemorySpanExporter,
                                                          tracer_provider: TracerProvider) -> None:
    """A failed tool, a recorded error, a failed nested session and a failed foreign span: 4 errors everywhere."""
    s = agentops.start_session("outer")
    with pytest.raises(ValueError):
        failing_lookup()
    agentops.record(ErrorEvent(error_type="Oops", details="recorded by the agent"))
    with pytest.raises(ValueError), agentops.session("inner"):
        failing_lookup()
    with tracer_provider.get_tracer("db").start_as_current_span("db query") as span:
        span.set_status(trace.Status(trace.StatusCode.ERROR, "db down"))
    agentops.end_session("Fail")
    root = span_exporter.get_finished_spans()[-1]
    timeline = s.timeline()
    counts = (s.error_count, len(s.errors), root.attributes[semconv.SESSION_ERRORS], timeline.summary.errors,
              len(timeline.errors()))
    assert counts == (4, 4, 4, 4, 4)


# Attribute sets as the three instrumentations emit them for one chat completion.
OPENAI_V2 = ("opentelemetry.instrumentation.openai_v2", "chat gpt-4o-mini", {
    "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.response.finish_reasons": ("stop",), "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.output_tokens": 20, "server.address": "api.openai.com"})
OPENLLMETRY = ("opentelemetry.instrumentation.openai.v1", "openai.chat", {
    "gen_ai.system": "openai", "llm.request.type": "chat", "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.usage.prompt_tokens": 200,
    "gen_ai.usage.completion_tokens": 30, "llm.usage.total_tokens": 230, "llm.is_streaming": False,
    "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "I was charged twice",
    "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "billing"})
OPENINFERENCE = ("openinference.instrumentation.openai", "ChatCompletion", {
    "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini-2024-07-18", "llm.provider": "openai",
    "llm.system": "openai", "llm.token_count.prompt": 300, "llm.token_count.completion": 40,
    "llm.token_count.total": 340, "input.value": '{"messages": []}', "input.mime_type": "application/json",
    "llm.invocation_parameters": '{"model": "gpt-4o-mini"}'})


def _emit(provider: TracerProvider, spec: tuple[str, str, dict[str, object]]) -> None:
    scope, name, attrs = spec
    with provider.get_tracer(scope).start_as_current_span(name, attributes=attrs):  # type: ignore[arg-type]
        pass


def _foreign_session(provider: TracerProvider) -> agentops.Session:
    """One call by each instrumentation, then one call that OpenInference and openai-v2 both wrapped."""
    s = agentops.start_session("foreign")
    for spec in (OPENAI_V2, OPENLLMETRY, OPENINFERENCE):
        _emit(provider, spec)
    scope, name, attrs = OPENINFERENCE
    with provider.get_tracer(scope).start_as_current_span(name, attributes=attrs):  # type: ignore[arg-type]
        _emit(provider, OPENAI_V2)
    agentops.end_session("Success")
    return s


def _expected_cost() -> float:
    from agentops_otel.cost import price_call

    prices = [price_call("gpt-4o-mini-2024-07-18", input_tokens=i, output_tokens=o)
              for i, o in ((100, 20), (200, 30), (300, 40), (100, 20))]
    assert all(p is not None and p > 0 for p in prices)
    return sum(p for p in prices if p is not None)


def test_foreign_llm_spans_count_in_the_live_session(tracer_provider: TracerProvider) -> None:
    """openai-v2, OpenLLMetry and OpenInference calls count as LLM calls with their tokens and a priced cost."""
    s = _foreign_session(tracer_provider)
    assert (s.llm_calls, s.input_tokens, s.output_tokens, s.cost_complete) == (4, 700, 110, True)
    assert s.cost == pytest.approx(_expected_cost())
    assert [(e.prompt_tokens, e.completion_tokens) for e in s.llm_events] == [(100, 20), (200, 30), (300, 40),
                                                                               (100, 20)]


def test_foreign_llm_totals_agree_on_root_span_and_replay(span_exporter: InMemorySpanExporter,
                                                           tracer_provider: TracerProvider) -> None:
    """The root span's totals, the timeline and a replay rebuilt without the root all say the same."""
    from agentops_otel.read import records_from_spans
    from agentops_otel.reassemble import reassemble

    s = _foreign_session(tracer_provider)
    spans = span_exporter.get_finished_spans()
    root = spans[-1].attributes
    assert (root[semconv.SESSION_LLM_CALLS], root[semconv.GEN_AI_USAGE_INPUT_TOKENS],
            root[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (4, 700, 110)
    assert root[semconv.SESSION_COST_USD] == pytest.approx(_expected_cost())
    summary = s.timeline().summary
    assert (summary.llm_calls, summary.input_tokens, summary.output_tokens) == (4, 700, 110)
    assert summary.cost_usd == pytest.approx(_expected_cost())
    rootless = reassemble(list(records_from_spans(spans[:-1]))).timeline_for(s.id).summary
    assert (rootless.llm_calls, rootless.input_tokens, rootless.output_tokens) == (4, 700, 110)
    assert rootless.cost_usd == pytest.approx(_expected_cost())


def _foreign_cost(provider: TracerProvider, scope: str, attrs: dict[str, object]) -> agentops.Session:
    s = agentops.start_session("foreign")
    with provider.get_tracer(scope).start_as_current_span("call", attributes=attrs):  # type: ignore[arg-type]
        pass
    agentops.end_session("Success")
    return s


def test_foreign_claude_call_prices_its_one_hour_cache_writes(tracer_provider: TracerProvider) -> None:
    """The anthropic SDK's own span splits cache writes by TTL: one-hour writes cost their own rate."""
    from genai_prices import Usage, calc_price

    s = _foreign_cost(tracer_provider, semconv.ANTHROPIC_SDK_SCOPE, {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4-5", "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.usage.input_tokens": 100_100, "gen_ai.usage.output_tokens": 500,
        "gen_ai.usage.cache_write.input_tokens": 100_000, "gen_ai.usage.cache_read.input_tokens": 0,
        "anthropic.usage.cache_creation.ephemeral_5m_input_tokens": 0,
        "anthropic.usage.cache_creation.ephemeral_1h_input_tokens": 100_000})
    expected = calc_price(Usage(input_tokens=100_100, output_tokens=500, cache_write_tokens=100_000,
                                cache_write_1h_tokens=100_000), "claude-sonnet-4-5", provider_id="anthropic")
    assert s.cost == pytest.approx(float(expected.total_price))


def test_foreign_openai_call_prices_its_service_tier(tracer_provider: TracerProvider) -> None:
    """An openai-v2 span answered at the priority tier costs the priority rates."""
    from genai_prices import Usage, calc_price

    s = _foreign_cost(tracer_provider, "opentelemetry.instrumentation.openai_v2", {
        "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": 100_000,
        "gen_ai.usage.output_tokens": 10_000, "openai.request.service_tier": "priority",
        "openai.response.service_tier": "priority"})
    expected = calc_price(Usage(input_tokens=100_000, output_tokens=10_000), "gpt-4o", provider_id="openai",
                          price_context={"service_tier": "priority"})
    assert s.cost == pytest.approx(float(expected.total_price))


def test_foreign_openai_call_asking_a_tier_its_response_does_not_confirm_is_unpriced(
        tracer_provider: TracerProvider) -> None:
    """An openai-v2 span that asked for priority and names no response tier leaves the session's cost unknown."""
    s = _foreign_cost(tracer_provider, "opentelemetry.instrumentation.openai_v2", {
        "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": 100_000,
        "gen_ai.usage.output_tokens": 10_000, "openai.request.service_tier": "priority"})
    assert not s.cost_complete


class _StoredAttributes(Mapping[str, object]):
    """Read-only attributes as a span store hands them back: a Mapping, without dict's copy()."""

    def __init__(self, values: dict[str, object]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> object:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def test_a_span_rebuilt_with_a_plain_mapping_of_attributes_is_counted() -> None:
    """A span another library rebuilt (its attributes any read-only Mapping) and handed on counts in its session."""
    s = agentops.start_session("rebuilt")
    attrs = {semconv.SESSION_ID: s.id, "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
             "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 20}
    rebuilt = ReadableSpan("chat gpt-4o-mini", SpanContext(0xAB, 0xCD, is_remote=False),
                           attributes=_StoredAttributes(attrs),  # type: ignore[arg-type]
                           instrumentation_scope=InstrumentationScope("opentelemetry.instrumentation.openai_v2"))
    SessionProcessor().on_end(rebuilt)
    agentops.end_session("Success")
    assert (s.llm_calls, s.input_tokens, s.output_tokens) == (1, 100, 20)
