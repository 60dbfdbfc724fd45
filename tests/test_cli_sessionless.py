"""Traces we did not write: a trace without session.id, and a session whose root never arrived, are sessions."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agentops_otel.cli import main

_T0 = 1_700_000_000 * 10**9
_FOREIGN = "5a" * 16
_ROOTLESS = "6b" * 16


def _span(trace_id: str, span_id: str, parent: str, name: str, start_s: float, attrs: dict[str, str | int],
          *, error: bool = False) -> dict[str, object]:
    def value(v: str | int) -> dict[str, str]:
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}

    return {"traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "name": name, "kind": 1,
            "startTimeUnixNano": str(_T0 + int(start_s * 1e9)), "endTimeUnixNano": str(_T0 + int((start_s + 1) * 1e9)),
            "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()],
            "status": {"code": 2, "message": "boom"} if error else {"code": 0}}


def _line(scope: str, service: str, spans: list[dict[str, object]]) -> str:
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": scope}, "spans": spans}]}]}) + "\n"


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    """An app traced only by another GenAI instrumentation (no session.id, its call failed), and one of our
    sessions whose root span never arrived (the process died)."""
    foreign = _line("opentelemetry.instrumentation.openai_v2", "other-app", [
        _span(_FOREIGN, "00000000000000f1", "", "chat gpt-4o-mini", 0, {
            "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3}, error=True)])
    rootless = _line("agentops_otel", "shop", [
        _span(_ROOTLESS, "00000000000000e2", "00000000000000e1", "execute_tool lookup", 5, {
            "session.id": "s-died", "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"})])
    path = tmp_path / "t.jsonl"
    path.write_text(foreign + rootless, encoding="utf-8")
    return path


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--no-color"], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_sessions_lists_a_trace_without_session_and_a_rootless_session(traces: Path) -> None:
    """`sessions` lists the session-less trace (marked) and the session whose root never arrived."""
    code, out, err = _run("sessions", "--source", str(traces), "--since", "2000-01-01T00:00:00")
    assert code == 0, err
    rows = out.splitlines()[1:]
    assert len(rows) == 2
    assert any(f"trace:{_FOREIGN}" in r and "(no session.id)" in r for r in rows)
    assert any("s-died" in r for r in rows)


def test_replay_of_a_trace_without_session(traces: Path) -> None:
    """`replay <trace-id>` replays a trace that carries no session.id, saying so."""
    code, out, err = _run("replay", _FOREIGN, "--source", str(traces))
    assert code == 0, err
    assert "no session.id" in out and "gpt-4o-mini" in out and "Status: Fail" in out


def test_gate_counts_a_trace_without_session(traces: Path) -> None:
    """`gate` counts a session-less trace as a run; its failed call fails it."""
    code, out, err = _run("gate", "--source", str(traces), "--since", "2000-01-01T00:00:00",
                          "--max-failure-rate", "0", "--json")
    assert code == 1, err
    doc = json.loads(out)
    assert f"trace:{_FOREIGN}" in doc["failed_sessions"]


def test_gate_passes_a_conversation_keyed_by_openinference(tmp_path: Path) -> None:
    """An app traced only by OpenInference, with its own session.id on two succeeded turns, is one session
    that passed: listed as such, not as one of ours that never ended."""
    def turn(trace_id: str, start_s: float) -> dict[str, object]:
        return _span(trace_id, "00000000000000a1", "", "ChatCompletion", start_s, {
            "session.id": "conv-7", "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
            "llm.token_count.prompt": 10, "llm.token_count.completion": 3, "input.value": "hi"})
    path = tmp_path / "oi.jsonl"
    path.write_text(_line("openinference.instrumentation.openai", "oi-app", [turn("7c" * 16, 0), turn("8d" * 16, 5)]))
    code, out, err = _run("sessions", "--source", str(path), "--since", "2000-01-01T00:00:00")
    (row,) = out.splitlines()[1:]
    assert code == 0 and row.startswith("conv-7") and "Success" in row and "+" not in row, out + err
    assert "(foreign session.id)" in row
    code, out, err = _run("gate", "--source", str(path), "--since", "2000-01-01T00:00:00", "--max-failure-rate", "0")
    assert code == 0, out + err
    assert "Never ended" not in out


def test_replay_takes_the_id_sessions_lists_for_a_trace_without_session(traces: Path) -> None:
    """`replay trace:<id>`, the id `sessions` and `gate` show for a session-less trace, replays that trace."""
    code, out, err = _run("replay", f"trace:{_FOREIGN}", "--source", str(traces))
    assert code == 0, err
    assert out.startswith(f"Session: trace:{_FOREIGN} ") and "no session.id" in out
