"""Steps one process started are in the order it numbered them (``agentops.seq``), not the order its clock
shows: a clock set back while the session ran (NTP, a VM migration) must not reorder what the agent did."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_cli import NOW_NS, _attrs, _span, run, write_file

import agentops_otel as agentops
from agentops_otel import ActionEvent
from agentops_otel.read import open_source
from agentops_otel.reassemble import Issue, reassemble
from agentops_otel.testing import AgentAssertionError, assert_called_before, assert_called_in_order
from agentops_otel.timeline import Timeline

MS = 1_000_000
ROOT = "00000000000000a0"
_PROCESS = {"service.name": "agent", "service.instance.id": "p1"}


def _line(span: dict[str, Any], resource: dict[str, Any] | None = None, scope: str = "agentops_otel") -> dict[str, Any]:
    """One span per line, as a collector's file exporter batches them at worst."""
    return {"resourceSpans": [{"resource": {"attributes": _attrs(resource or _PROCESS)},
                               "scopeSpans": [{"scope": {"name": scope}, "spans": [span]}]}]}


def _root(sid: str, trace: str, end_ms: int = 100, name: str = "agent", parent: str | None = None,
          span_id: str = ROOT, **extra: Any) -> dict[str, Any]:
    return _span(trace, span_id, parent, f"invoke_agent {name}", 1, NOW_NS, NOW_NS + end_ms * MS, {
        "session.id": sid, "gen_ai.operation.name": "invoke_agent", "agentops.session.name": name,
        "agentops.session.end_state": "Success", "agentops.session.cost_usd": 0.0,
        "agentops.session.cost_complete": True, "agentops.seq": 1, **extra})


def _tool(sid: str, trace: str, span_id: str, name: str, seq: int | None, start_ms: float,
          parent: str = ROOT) -> dict[str, Any]:
    attrs: dict[str, Any] = {"session.id": sid, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
                             "gen_ai.tool.call.arguments": "{}", "gen_ai.tool.call.result": "1"}
    if seq is not None:
        attrs["agentops.seq"] = seq
    start = NOW_NS + int(start_ms * MS)
    return _span(trace, span_id, parent, f"execute_tool {name}", 1, start, start + MS, attrs)


def _read(path: Path, sid: str = "s1") -> Timeline:
    return reassemble(open_source(str(path)).search()).timeline_for(sid)


def _stepped_back(tmp_path: Path) -> Path:
    """``a`` (seq 2) then ``b`` (seq 3), but the clock went back 7 ms in between: b's times come first."""
    t = "1" * 32
    return write_file(tmp_path / "t.jsonl", [
        _line(_root("s1", t, tool_calls=2)),
        _line(_tool("s1", t, "00000000000000a1", "a", 2, 10)),
        _line(_tool("s1", t, "00000000000000a2", "b", 3, 5)),
    ])


def test_steps_listed_by_seq_against_their_timestamps(tmp_path: Path) -> None:
    """Clock set back between two calls: the replay lists a then b (their seq) and says the clock disagreed."""
    tl = _read(_stepped_back(tmp_path))
    assert [s.name for s in tl.steps] == ["a", "b"]
    assert Issue.CLOCK_WENT_BACK in tl.summary.issue_kinds
    assert any("agentops.seq" in text for text in tl.summary.issues)


def test_the_order_only_the_clock_shows_is_not_passed(tmp_path: Path) -> None:
    """b started after a (seq): 'b before a' fails, though b's timestamps end before a's begin."""
    tl = _read(_stepped_back(tmp_path))
    with pytest.raises(AgentAssertionError):
        assert_called_in_order(tl, ["b", "a"])
    with pytest.raises(AgentAssertionError):
        assert_called_before(tl, "b", "a")


def test_the_seq_order_across_a_clock_step_is_refused_naming_it(tmp_path: Path) -> None:
    """a started first, but whether it ended before b began is lost with the clock: refused, saying why."""
    tl = _read(_stepped_back(tmp_path))
    for check in (lambda: assert_called_in_order(tl, ["a", "b"]), lambda: assert_called_before(tl, "a", "b")):
        with pytest.raises(AgentAssertionError, match="clock went back"):
            check()


def test_a_clock_step_elsewhere_leaves_ordered_calls_judged(tmp_path: Path) -> None:
    """Calls on the same side of the step keep their verdicts: a before b passes when only c jumped back."""
    t = "1" * 32
    path = write_file(tmp_path / "t.jsonl", [
        _line(_root("s1", t, tool_calls=3)),
        _line(_tool("s1", t, "00000000000000a1", "a", 2, 10)),
        _line(_tool("s1", t, "00000000000000a2", "b", 3, 20)),
        _line(_tool("s1", t, "00000000000000a3", "c", 4, 15)),
    ])
    tl = _read(path)
    assert [s.name for s in tl.steps] == ["a", "b", "c"]
    assert_called_in_order(tl, ["a", "b"])
    assert_called_in_order(tl, ["a", "c"])
    with pytest.raises(AgentAssertionError):
        assert_called_before(tl, "c", "b")


def test_a_clock_step_between_cousins_is_seen_too(tmp_path: Path) -> None:
    """c (inside a) and b (a's sibling, started after c) disagree across levels: 'b before c' is not passed."""
    t = "1" * 32
    path = write_file(tmp_path / "t.jsonl", [
        _line(_root("s1", t, tool_calls=3)),
        _line(_span(t, "00000000000000a1", ROOT, "execute_tool a", 1, NOW_NS + 10 * MS, NOW_NS + 40 * MS, {
            "session.id": "s1", "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "a",
            "agentops.seq": 2})),
        _line(_tool("s1", t, "00000000000000a2", "c", 3, 30, parent="00000000000000a1")),
        _line(_tool("s1", t, "00000000000000a3", "b", 4, 12)),
    ])
    tl = _read(path)
    assert Issue.CLOCK_WENT_BACK in tl.summary.issue_kinds
    with pytest.raises(AgentAssertionError):
        assert_called_before(tl, "b", "c")


def test_diff_compares_the_order_seq_gives(tmp_path: Path) -> None:
    """B called b then a (seq) while its clock shows a then b: diff finds the runs differ, exit 1."""
    ta, tb = "1" * 32, "2" * 32
    path = write_file(tmp_path / "t.jsonl", [
        _line(_root("sa", ta, tool_calls=2)),
        _line(_tool("sa", ta, "00000000000000a1", "a", 2, 10)),
        _line(_tool("sa", ta, "00000000000000a2", "b", 3, 20)),
        _line(_root("sb", tb, tool_calls=2, span_id="00000000000000b0")),
        _line(_tool("sb", tb, "00000000000000b1", "a", 3, 10, parent="00000000000000b0")),
        _line(_tool("sb", tb, "00000000000000b2", "b", 2, 20, parent="00000000000000b0")),
    ])
    code, out, err = run("diff", "--source", str(path), "sa", "sb", "--no-color")
    assert code == 1, out + err
    assert "No divergence" not in out


def test_foreign_steps_without_seq_keep_their_place_in_time(tmp_path: Path) -> None:
    """A downstream service's span (no seq) stays where its time puts it; ours around it follow their seq."""
    t = "1" * 32
    foreign = _span(t, "00000000000000f1", ROOT, "GET /quote", 2, NOW_NS + 7 * MS, NOW_NS + 8 * MS, {})
    path = write_file(tmp_path / "t.jsonl", [
        _line(_root("s1", t, tool_calls=2)),
        _line(_tool("s1", t, "00000000000000a1", "a", 2, 10)),
        _line(foreign, {"service.name": "quotes"}, scope="opentelemetry.instrumentation.flask"),
        _line(_tool("s1", t, "00000000000000a2", "b", 3, 5)),
    ])
    assert [s.name for s in _read(path).steps] == ["a", "GET /quote", "b"]


def test_seq_of_two_processes_is_not_compared(tmp_path: Path) -> None:
    """Each process numbers its own spans: steps of two instances keep their order in time, no issue."""
    t = "1" * 32
    path = write_file(tmp_path / "t.jsonl", [
        _line(_root("s1", t, tool_calls=2)),
        _line(_tool("s1", t, "00000000000000a1", "a", 2, 10)),
        _line(_tool("s1", t, "00000000000000a2", "b", 3, 5), {"service.name": "agent", "service.instance.id": "p2"}),
    ])
    tl = _read(path)
    assert [s.name for s in tl.steps] == ["b", "a"]
    assert Issue.CLOCK_WENT_BACK not in tl.summary.issue_kinds
    assert_called_in_order(tl, ["b", "a"])


def test_numbers_repeated_in_one_process_fall_back_to_the_clock(tmp_path: Path) -> None:
    """A forked child numbers on from the fork like its parent: repeated seqs order nothing, times do."""
    t = "1" * 32
    path = write_file(tmp_path / "t.jsonl", [
        _line(_root("s1", t, tool_calls=4)),
        _line(_tool("s1", t, "00000000000000a1", "a", 2, 10)),
        _line(_tool("s1", t, "00000000000000a2", "c", 3, 20)),  # the parent, after the fork
        _line(_tool("s1", t, "00000000000000a3", "d", 3, 15)),  # the child
        _line(_tool("s1", t, "00000000000000a4", "e", 4, 16)),
    ])
    tl = _read(path)
    assert [s.name for s in tl.steps] == ["a", "d", "e", "c"]
    assert Issue.CLOCK_WENT_BACK not in tl.summary.issue_kinds


def test_a_nested_session_is_ordered_by_its_own_numbers_in_its_parent(tmp_path: Path) -> None:
    """Inside the outer session's timeline, the nested session's steps keep its seq order and its verdicts."""
    t = "1" * 32
    inner = "00000000000000c0"
    path = write_file(tmp_path / "t.jsonl", [
        _line(_root("outer", t, tool_calls=2)),
        _line(_root("inner", t, end_ms=60, name="inner", parent=ROOT, span_id=inner, tool_calls=2,
                    **{"agentops.session.parent_id": "outer"})),
        _line(_tool("inner", t, "00000000000000c1", "a", 2, 10, parent=inner)),
        _line(_tool("inner", t, "00000000000000c2", "b", 3, 5, parent=inner)),
    ])
    outer = _read(path, "outer")
    assert [s.name for s in outer.steps if s.kind == "tool"] == ["a", "b"]
    with pytest.raises(AgentAssertionError):
        assert_called_in_order(outer, ["b", "a"])


def test_an_event_recorded_after_the_fact_keeps_its_own_time(span_exporter: InMemorySpanExporter) -> None:
    """record(ActionEvent) of an action done before a tool ran, recorded after it: listed and judged by its own
    times (it was numbered when recorded, not when it started), with no clock issue."""
    @agentops.tool
    def charge() -> str:
        time.sleep(0.003)
        return "ok"

    with agentops.session("pay") as s:
        verify = ActionEvent(action_type="verify", init_timestamp=datetime.now(UTC))
        time.sleep(0.003)
        verify.end_timestamp = datetime.now(UTC)
        time.sleep(0.003)
        charge()
        agentops.record(verify)
    tl = s.timeline()
    assert [st.name for st in tl.steps] == ["verify", "charge"]
    assert Issue.CLOCK_WENT_BACK not in tl.summary.issue_kinds
    assert_called_before(tl, "verify", "charge")
