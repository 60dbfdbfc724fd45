"""Assertion helpers and a canned-payload endpoint shared by the instrumentation tests."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class Canned:
    """A provider endpoint on 127.0.0.1 that answers each POST with the next queued JSON body, exactly as
    given (a list is sent as a stream of server-sent events): for usage shapes the scripted servers
    don't produce (audio tokens, server-side tool use)."""

    def __init__(self) -> None:
        self.bodies: list[object] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                body = canned.bodies.pop(0)
                kind = "application/json"
                if isinstance(body, list):  # a stream: one server-sent event per item
                    kind = "text/event-stream"
                    data = b"".join((f"event: {item['type']}\n" if "type" in item else "").encode()
                                    + b"data: " + json.dumps(item).encode() + b"\n\n" for item in body)
                    data += b"data: [DONE]\n\n"
                else:
                    data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
