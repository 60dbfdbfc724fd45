"""What a tool records for a text argument: the masking tests read it back as the user's trace would hold it."""

from __future__ import annotations

import json

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv


def recorded_argument(exporter: InMemorySpanExporter, text: str) -> str:
    """What a tool called with ``text`` recorded for it."""
    @agentops.tool
    def send(text: str) -> str:
        return "ok"

    send(text)
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "execute_tool send"]
    return str(json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]))["text"])
