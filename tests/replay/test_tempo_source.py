"""A session found in Tempo by its id replays from its trace (Tempo's own JSON: base64 ids, enum names)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from openai import OpenAI
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from replay_helpers import Agent

import agentops_otel as agentops
from agentops_otel.testing import cassette_from_source, replay


@pytest.fixture
def tempo() -> Iterator[tuple[str, dict[str, Any]]]:
    """A stand-in Tempo answering TraceQL search and /api/v2/traces from one stored trace."""
    stored: dict[str, Any] = {}

    class _Tempo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/api/search"):
                body: Any = {"traces": [{"traceID": stored["trace_id"].lstrip("0")}]}
            else:
                body = {"trace": stored["trace"], "status": "COMPLETE"}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tempo)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"tempo://127.0.0.1:{server.server_address[1]}", stored
    server.shutdown()
    server.server_close()


def test_session_from_tempo_replays(agent: Agent, client: OpenAI, dead_url: str,
                                    span_exporter: InMemorySpanExporter,
                                    tempo: tuple[str, dict[str, Any]]) -> None:
    """cassette_from_source(session id, "tempo://…") rebuilds the session; the agent replays it offline."""
    with agentops.session("in tempo") as s:
        live = agent.run(client)
    spans = list(span_exporter.get_finished_spans())
    uri, stored = tempo
    stored["trace_id"] = s.trace_id
    stored["trace"] = MessageToDict(encode_spans(spans))
    cassette = cassette_from_source(s.id, uri)
    assert cassette.recorded_from == uri and cassette.session.id == s.id
    with replay(cassette):
        assert Agent().run(OpenAI(base_url=dead_url, api_key="unused", max_retries=0)) == live
