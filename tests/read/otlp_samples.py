"""Span sets in the three OTLP JSON dialects, made from real SDK spans (imported by the read tests)."""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from agentops_otel import semconv as sc


def make_session_spans(session_id: str = "sess-1", service: str = "shop") -> list[ReadableSpan]:
    """A small real session recorded by the SDK: root, an LLM call, a failing tool, an action."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({sc.SERVICE_NAME: service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer(sc.INSTRUMENTATION_SCOPE)
    base = {sc.SESSION_ID: session_id}
    with tracer.start_as_current_span("invoke_agent support", attributes={
        **base, sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT, sc.SEQ: 0, sc.TAGS: ["prod", "eu"],
        sc.SESSION_END_STATE: sc.END_FAIL, sc.SESSION_COST_USD: 0.25, sc.SESSION_COST_COMPLETE: True,
    }) as root:
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes={
            **base, sc.SEQ: 1, sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 12, sc.COST_USD: 0.25,
            sc.GEN_AI_INPUT_MESSAGES: '[{"role": "user", "content": "say \\"hi\\"\\n"}]',
        }):
            pass
        with tracer.start_as_current_span("execute_tool lookup", attributes={
            **base, sc.SEQ: 2, sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL, sc.GEN_AI_TOOL_NAME: "lookup",
            sc.GEN_AI_TOOL_CALL_ARGUMENTS: '{"id": 7}',
        }, record_exception=False, set_status_on_exception=False) as span:
            span.record_exception(KeyError("missing"))
            span.set_status(Status(StatusCode.ERROR, "lookup failed"))
        with tracer.start_as_current_span("action navigate", attributes={
            **base, sc.SEQ: 3, sc.ACTION_TYPE: "navigate", "flag": False, "ratio": 0.5,
            "nums": [1, 2], "bools": [True, False],
        }):
            pass
        root.set_attribute(sc.SESSION_FAILED_SPAN_NAME, "execute_tool lookup")
    provider.shutdown()
    return list(exporter.get_finished_spans())


def tempo_dialect(spans: list[ReadableSpan]) -> dict[str, Any]:
    """Protobuf's JSON mapping, as Tempo answers: base64 ids, enum names, int64 as strings."""
    return MessageToDict(encode_spans(spans))


def _b64_to_hex(value: str) -> str:
    return base64.b64decode(value).hex()


def collector_dialect(spans: list[ReadableSpan]) -> dict[str, Any]:
    """The collector file exporter's: hex ids, enums as numbers, int64 as strings."""
    doc = tempo_dialect(spans)
    kinds = {"SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3}
    codes = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                s["traceId"] = _b64_to_hex(s["traceId"])
                s["spanId"] = _b64_to_hex(s["spanId"])
                if "parentSpanId" in s:
                    s["parentSpanId"] = _b64_to_hex(s["parentSpanId"])
                s["kind"] = kinds[s["kind"]]
                if "code" in s.get("status", {}):
                    s["status"]["code"] = codes[s["status"]["code"]]
    return doc


def compact(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()
