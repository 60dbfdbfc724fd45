"""A call's end attributes written straight into the SDK span hold exactly what ``set_attributes`` would."""

from __future__ import annotations

import gc
import math
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai import OpenAI
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv
from agentops_otel._span_attrs import set_attributes
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer

_scalars = st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans())
_values = st.one_of(
    _scalars, st.none(), st.lists(_scalars, max_size=3), st.lists(_scalars, max_size=3).map(tuple),
    st.lists(st.one_of(_scalars, st.none(), st.lists(_scalars, max_size=2)), max_size=3),
    st.dictionaries(st.text(max_size=3), _scalars, max_size=2), st.just(object()), st.binary(max_size=4),
)
_keys = st.one_of(st.sampled_from(["a", "b", "gen_ai.response.id", ""]), st.text(max_size=8))
_attrs = st.dictionaries(_keys, _values, max_size=8)
_limits = st.one_of(st.none(), st.integers(min_value=0, max_value=12))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _span(before: dict[str, Any], count: int | None, length: int | None) -> Any:
    limits = SpanLimits(max_span_attributes=count, max_attribute_length=length)
    provider = TracerProvider(span_limits=limits)
    return provider.get_tracer("t").start_span("s", attributes=before)


@given(before=_attrs, attrs=_attrs, count=_limits, length=_limits, ended=st.booleans())
def test_attributes_set_directly_equal_those_the_sdk_sets(before: dict[str, Any], attrs: dict[str, Any],
                                                          count: int | None, length: int | None,
                                                          ended: bool) -> None:
    """Any values, keys, limits and span state: the span ends up with the SDK's attributes, in its order."""
    ours, sdk = _span(before, count, length), _span(before, count, length)
    if ended:
        ours.end()
        sdk.end()
    set_attributes(ours, dict(attrs))
    sdk.set_attributes(dict(attrs))
    got, want = list(ours.attributes.items()), list(sdk.attributes.items())
    assert [k for k, _ in got] == [k for k, _ in want]
    assert all(_same(g, w) for (_, g), (_, w) in zip(got, want, strict=True)), (got, want)
    assert ours.dropped_attributes == sdk.dropped_attributes


def _chat_span(provider: TracerProvider, exporter: InMemorySpanExporter) -> Any:
    with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client:
        uninstrument_openai()  # the fixture's, on the test's own provider: this test brings its limits
        instrument_openai(tracer_provider=provider)
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi there"}])
        finally:
            uninstrument_openai()
            instrument_openai()
    (span,) = exporter.get_finished_spans()
    return span


def test_a_chat_call_under_the_users_value_length_limit_is_cut_to_it() -> None:
    """OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT (here as SpanLimits) cuts the answer we record, as the SDK does."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_attribute_length=12))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = _chat_span(provider, exporter)
    assert len(span.attributes[semconv.GEN_AI_OUTPUT_MESSAGES]) == 12
    assert span.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


def test_a_chat_call_under_the_users_attribute_count_limit_keeps_the_newest() -> None:
    """A count limit drops the oldest attributes and counts them, as the SDK does."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_span_attributes=5))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = _chat_span(provider, exporter)
    assert len(span.attributes) == 5
    assert semconv.GEN_AI_OUTPUT_MESSAGES in span.attributes
    assert span.dropped_attributes > 0


def test_a_chat_calls_finish_reasons_read_back_as_a_tuple() -> None:
    """Lists we record are tuples on the span, as the SDK makes them (exporters and processors expect it)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = _chat_span(provider, exporter)
    assert span.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0


def _redacting(original: Any) -> Any:
    def set_attributes(self: Any, attributes: Any) -> None:
        original(self, {k: "<redacted>" for k in attributes})
    return set_attributes


def test_a_set_attributes_patched_on_the_sdk_span_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library that patches the SDK's ``Span.set_attributes`` (a redactor) sees our call's attributes."""
    provider = TracerProvider()
    set_attributes(provider.get_tracer("t").start_span("before"), {"a": "b"})  # the class seen before the patch
    monkeypatch.setattr(SdkSpan, "set_attributes", _redacting(SdkSpan.set_attributes))
    span = provider.get_tracer("t").start_span("s")
    set_attributes(span, {semconv.GEN_AI_RESPONSE_ID: "chatcmpl-secret"})
    assert dict(span.attributes) == {semconv.GEN_AI_RESPONSE_ID: "<redacted>"}


def test_a_set_attributes_given_to_one_span_is_called() -> None:
    """A span given its own ``set_attributes`` (by a processor, say) has it called."""
    span: Any = TracerProvider().get_tracer("t").start_span("s")
    span.set_attributes = _redacting(SdkSpan.set_attributes).__get__(span)
    set_attributes(span, {semconv.GEN_AI_RESPONSE_ID: "chatcmpl-secret"})
    assert dict(span.attributes) == {semconv.GEN_AI_RESPONSE_ID: "<redacted>"}


def test_a_patched_attribute_cleaning_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    """A patch of the SDK's value cleaning (``_clean_attribute_value``) is not skipped either."""
    import opentelemetry.attributes as sdk_attributes

    original = sdk_attributes._clean_attribute_value
    monkeypatch.setattr(sdk_attributes, "_clean_attribute_value",
                        lambda value, limit: "<cut>" if value == "secret" else original(value, limit))
    span = TracerProvider().get_tracer("t").start_span("s")
    set_attributes(span, {"k": "secret"})
    assert dict(span.attributes) == {"k": "<cut>"}


class _ReadsAttributesWhenCollected:
    """A user's object whose finaliser reads a live span's attributes (the SDK's attribute lock)."""

    def __init__(self, span: Any) -> None:
        self.span, self.me = span, self  # a cycle: only the cyclic collector frees it

    def __del__(self) -> None:
        list(self.span.attributes)


def test_a_finaliser_reading_the_span_during_our_write_does_not_hang() -> None:
    """Whatever allocation starts the collector, no finaliser it runs can find the span's locks held by us."""
    span = TracerProvider().get_tracer("t").start_span("s")
    hung: list[int] = []

    def write(threshold: int) -> None:
        gc.collect(0)  # the young generation only: its count starts from zero, and the cycle below is in it
        _ReadsAttributesWhenCollected(span)
        gc.set_threshold(threshold)
        try:
            set_attributes(span, {f"k{threshold}": "v", f"n{threshold}": ("a", "b")})
        finally:
            gc.set_threshold(700)

    for threshold in range(1, 15):
        worker = threading.Thread(target=write, args=(threshold,), daemon=True)
        worker.start()
        worker.join(5)
        if worker.is_alive():
            hung.append(threshold)
            break
    assert not hung
