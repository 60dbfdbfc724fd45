"""Assertion helpers shared by the openai instrumentation tests."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv

SECRET_KEY = "sk-test-SECRET-do-not-record"


def llm_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """Finished model-call spans (the session processor may add others)."""
    return [s for s in exporter.get_finished_spans()
            if (s.attributes or {}).get(semconv.GEN_AI_OPERATION_NAME) in semconv.LLM_OPERATIONS]


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = llm_spans(exporter)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def content(span: ReadableSpan, key: str) -> Any:
    """A content attribute decoded from its JSON text."""
    raw = attrs(span)[key]
    assert isinstance(raw, str)
    return json.loads(raw)
