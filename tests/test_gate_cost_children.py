"""A session's cost read back is never below what its own model calls cost, and a call whose recorded cost is
no price makes the cost incomplete: a cost bound cannot pass on a root total its calls contradict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_cli import NOW_NS, _attrs, _span, run, write_file

from agentops_otel.read import open_source
from agentops_otel.reassemble import Issue, reassemble
from agentops_otel.timeline import Timeline

MS = 1_000_000
_GATE = ("--since", "1h", "--max-failure-rate", "0")
_OURS = {"name": "agentops_otel"}


def _root(sid: str, trace: str, cost: dict[str, Any], calls: int, *, span_id: str = "00000000000000a0",
          parent: str | None = None, tokens: int = 100) -> dict[str, Any]:
    span = _span(trace, span_id, parent, "invoke_agent agent", 1, NOW_NS, NOW_NS + 100 * MS, {
        "session.id": sid, "gen_ai.operation.name": "invoke_agent", "agentops.session.name": "agent",
        "agentops.session.end_state": "Success", "agentops.session.cost_complete": True,
        "agentops.session.llm_calls": calls, "gen_ai.usage.input_tokens": tokens,
        "gen_ai.usage.output_tokens": tokens, "agentops.seq": 1,
        **({"agentops.session.parent_id": "outer"} if parent else {})})
    span["attributes"].append({"key": "agentops.session.cost_usd", "value": cost})
    return span


def _call(sid: str, trace: str, span_id: str, cost: dict[str, Any] | None, *, parent: str = "00000000000000a0",
          seq: int = 2, tokens: int = 50) -> dict[str, Any]:
    span = _span(trace, span_id, parent, "chat gpt-4o", 3, NOW_NS + seq * MS, NOW_NS + (seq + 1) * MS, {
        "session.id": sid, "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o", "gen_ai.usage.input_tokens": tokens,
        "gen_ai.usage.output_tokens": tokens, "agentops.seq": seq})
    if cost is not None:
        span["attributes"].append({"key": "agentops.cost.usd", "value": cost})
    return span


def _file(tmp_path: Path, spans: list[dict[str, Any]]) -> Path:
    return write_file(tmp_path / "t.jsonl", [{"resourceSpans": [{
        "resource": {"attributes": _attrs({"service.name": "agent"})},
        "scopeSpans": [{"scope": _OURS, "spans": spans}]}]}])


def _read(path: Path, sid: str = "s1") -> Timeline:
    return reassemble(open_source(str(path)).search()).timeline_for(sid)


def _gate(path: Path, bound: str = "0.5") -> tuple[int, str]:
    code, out, err = run("gate", "--source", str(path), *_GATE, "--max-cost-per-session", bound)
    return code, out + err


@pytest.mark.parametrize("root_cost", [{"doubleValue": 0.01}, {"intValue": "0"}])
def test_a_root_total_below_its_calls_does_not_pass_a_cost_bound(tmp_path: Path, root_cost: dict[str, Any]) -> None:
    """The root says $0.01 (or 0) for a call recorded at $0.75: the session cost is $0.75, the $0.50 bound fails."""
    t = "1" * 32
    path = _file(tmp_path, [_root("s1", t, root_cost, 1), _call("s1", t, "00000000000000a1", {"doubleValue": 0.75})])
    code, out = _gate(path)
    assert code == 1 and "PASS" not in out, out
    tl = _read(path)
    assert tl.summary.cost_usd == pytest.approx(0.75)
    assert Issue.TOTALS_BELOW_CALLS in tl.summary.issue_kinds


def test_root_tokens_below_their_calls_are_raised_to_them(tmp_path: Path) -> None:
    """The root counts 10 tokens for calls that report 50 each: the session's tokens are the calls' 100."""
    t = "1" * 32
    path = _file(tmp_path, [_root("s1", t, {"doubleValue": 0.2}, 2, tokens=10),
                            _call("s1", t, "00000000000000a1", {"doubleValue": 0.1}),
                            _call("s1", t, "00000000000000a2", {"doubleValue": 0.1}, seq=3)])
    s = _read(path).summary
    assert (s.input_tokens, s.output_tokens) == (100, 100)
    assert Issue.TOTALS_BELOW_CALLS in s.issue_kinds


@pytest.mark.parametrize("child_cost", [{"doubleValue": "NaN"}, {"doubleValue": "Infinity"}, {"doubleValue": -0.75},
                                        {"stringValue": "0.75"}])
def test_a_call_cost_that_is_not_a_price_makes_the_cost_incomplete(tmp_path: Path, child_cost: dict[str, Any]) -> None:
    """Under a root claiming a complete $0.01, a call's NaN, infinite, negative or text cost is unknown: the
    cost is incomplete, saying why, and the bound does not pass."""
    t = "1" * 32
    path = _file(tmp_path, [_root("s1", t, {"doubleValue": 0.01}, 1), _call("s1", t, "00000000000000a1", child_cost)])
    code, out = _gate(path)
    assert code == 1 and "PASS" not in out, out
    s = _read(path).summary
    assert not s.cost_complete
    assert any("not a price" in gap for gap in s.cost_gaps), s.cost_gaps


def test_a_nested_session_cost_rolled_into_its_parent_is_not_counted_twice(tmp_path: Path) -> None:
    """Outer $0.45 = its own $0.05 call + the nested session's $0.40: no issue, and $0.50 passes."""
    t = "1" * 32
    inner = "00000000000000c0"
    path = _file(tmp_path, [
        _root("outer", t, {"doubleValue": 0.45}, 2, tokens=100),
        _call("outer", t, "00000000000000a1", {"doubleValue": 0.05}),
        _root("inner", t, {"doubleValue": 0.4}, 1, span_id=inner, parent="00000000000000a0", tokens=50),
        _call("inner", t, "00000000000000c1", {"doubleValue": 0.4}, parent=inner)])
    code, out = _gate(path)
    assert code == 0, out
    outer = _read(path, "outer").summary
    assert outer.cost_usd == pytest.approx(0.45) and Issue.TOTALS_BELOW_CALLS not in outer.issue_kinds


def test_a_parent_total_that_leaves_out_its_nested_session_is_raised(tmp_path: Path) -> None:
    """Outer says $0.05 though the nested session in it spent $0.40 more: the outer cost is $0.45."""
    t = "1" * 32
    inner = "00000000000000c0"
    path = _file(tmp_path, [
        _root("outer", t, {"doubleValue": 0.05}, 2, tokens=100),
        _call("outer", t, "00000000000000a1", {"doubleValue": 0.05}),
        _root("inner", t, {"doubleValue": 0.4}, 1, span_id=inner, parent="00000000000000a0", tokens=50),
        _call("inner", t, "00000000000000c1", {"doubleValue": 0.4}, parent=inner)])
    assert _read(path, "outer").summary.cost_usd == pytest.approx(0.45)
    assert _gate(path, "0.44")[0] == 1


def test_calls_summing_to_the_root_total_but_for_rounding_keep_it(tmp_path: Path) -> None:
    """$0.1 + $0.2 is 0.30000000000000004 in floats: the root's $0.3 stands, with no issue."""
    t = "1" * 32
    path = _file(tmp_path, [_root("s1", t, {"doubleValue": 0.3}, 2),
                            _call("s1", t, "00000000000000a1", {"doubleValue": 0.1}),
                            _call("s1", t, "00000000000000a2", {"doubleValue": 0.2}, seq=3)])
    s = _read(path).summary
    assert s.cost_usd == 0.3 and Issue.TOTALS_BELOW_CALLS not in s.issue_kinds


def test_a_call_seen_by_two_instrumentations_is_counted_once(tmp_path: Path) -> None:
    """An LLM span wrapping another is the same call: $0.30 twice is $0.30, as the root says."""
    t = "1" * 32
    path = _file(tmp_path, [_root("s1", t, {"doubleValue": 0.3}, 1),
                            _call("s1", t, "00000000000000a1", {"doubleValue": 0.3}),
                            _call("s1", t, "00000000000000a2", {"doubleValue": 0.3}, parent="00000000000000a1",
                                  seq=3)])
    s = _read(path).summary
    assert s.cost_usd == 0.3 and Issue.TOTALS_BELOW_CALLS not in s.issue_kinds
