"""Assertion helpers and a canned-payload endpoint shared by the instrumentation tests."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from payload_server import PayloadServer

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


class Canned:
    """Answers each model call with the next queued body, exactly as given (a list is sent as a stream
    of server-sent events, each named by its ``type`` when it has one): for usage shapes the scripted
    servers don't produce (audio tokens, server-side tool use). Served by :mod:`payload_server`."""

    def __init__(self, server: PayloadServer) -> None:
        self.url = server.url
        self._server = server

    def answer(self, body: dict[str, Any] | list[dict[str, Any]]) -> None:
        if isinstance(body, list):
            self._server.sse(*((item["type"], item) if "type" in item else item for item in body))
        else:
            self._server.json(body)

