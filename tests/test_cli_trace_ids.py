"""`replay` takes trace ids as backends display them: Tempo's search and Grafana trim leading zeros."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agentops_otel.cli import main

_SHORT_31 = "0f3a9c2e5b7d41608a9b0c1d2e3f4a5b"
"""A random trace id whose first hex digit is zero: shown with 31 digits."""
_SHORT_16 = "0000000000000000" + "9b8a7c6d5e4f3a21"
"""A 64-bit trace id (upper half zero, as some tracers make): shown with 16 digits."""


def _trace(trace_id: str, sid: str, start_ns: int) -> dict[str, object]:
    def span(span_id: str, parent: str, name: str, attrs: dict[str, str]) -> dict[str, object]:
        return {"traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "name": name, "kind": 1,
                "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(start_ns + 10**9),
                "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
                "status": {"code": 1}}

    return {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{
        "scope": {"name": "agentops_otel"},
        "spans": [span("00000000000000a1", "", "invoke_agent demo", {
                      "session.id": sid, "gen_ai.operation.name": "invoke_agent",
                      "agentops.session.end_state": "Success"}),
                  span("00000000000000a2", "00000000000000a1", "execute_tool lookup", {
                      "session.id": sid, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"})],
    }]}]}


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(_trace(_SHORT_31, "s-31", 1_700_000_000 * 10**9)) + "\n"
                    + json.dumps(_trace(_SHORT_16, "s-16", 1_700_000_100 * 10**9)) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("shown", "session"), [
    (_SHORT_31.lstrip("0"), "s-31"),
    (_SHORT_16.lstrip("0"), "s-16"),
    (_SHORT_16.lstrip("0").upper(), "s-16"),
])
def test_replay_accepts_a_trimmed_trace_id(traces: Path, shown: str, session: str) -> None:
    """A trace id with its leading zeros trimmed (31 or 16 hex digits) replays that trace."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["replay", shown, "--source", str(traces), "--no-color"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith(f"Session: {session} ")
