"""Data that contradicts itself is never judged by whichever copy came first: two copies of one span that
differ, an attribute key given twice with different values, a root whose end state and status disagree.
And a session whose recorded parent can't be its parent (itself, a cycle, one not in the source) is still
counted."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace
from test_cli import _Jaeger, run, session_line, write_file

from agentops_otel.gate import evaluate_gate
from agentops_otel.read import open_source
from agentops_otel.reassemble import Issue, reassemble
from agentops_otel.testing import AgentAssertionError, assert_ended_with

_GATE = ("--since", "1h", "--max-failure-rate", "0")


def _spans(line: dict[str, Any]) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = line["resourceSpans"][0]["scopeSpans"][0]["spans"]
    return spans


def _set(span: dict[str, Any], key: str, value: dict[str, Any]) -> None:
    for attr in span["attributes"]:
        if attr["key"] == key:
            attr["value"] = value
            return
    span["attributes"].append({"key": key, "value": value})


def _one_span(line: dict[str, Any], span: dict[str, Any]) -> dict[str, Any]:
    """A line holding only ``span``, with ``line``'s resource and scope (a batch exported again)."""
    out = copy.deepcopy(line)
    out["resourceSpans"][0]["scopeSpans"][0]["spans"] = [span]
    return out


def _gate(tmp_path: Path, lines: list[dict[str, Any]], *extra: str) -> tuple[int, str]:
    code, out, err = run("gate", "--source", str(write_file(tmp_path / "t.jsonl", lines)), *_GATE, *extra)
    return code, out + err


def _timeline_issues(tmp_path: Path, lines: list[dict[str, Any]], session_id: str) -> tuple[list[Issue], str]:
    records = open_source(str(write_file(tmp_path / "r.jsonl", lines))).search()
    summary = reassemble(records).timeline_for(session_id).summary
    return list(summary.issue_kinds), " | ".join(summary.issues)


# --- two copies of one span --------------------------------------------------------------------------


def _passing_copy_of_failed_root() -> dict[str, Any]:
    """Session 2's root again (same trace and span id) but saying Success, status OK: a contradicting copy."""
    root = copy.deepcopy(_spans(session_line(2, fail=True))[0])
    _set(root, "agentops.session.end_state", {"stringValue": "Success"})
    root["attributes"] = [a for a in root["attributes"] if a["key"] != "error.type"]
    root["status"] = {"code": 1}
    return _one_span(session_line(2, fail=True), root)


@pytest.mark.parametrize("passing_copy_first", [True, False])
def test_a_root_copied_with_another_end_state_keeps_the_gate_from_passing(tmp_path: Path,
                                                                          passing_copy_first: bool) -> None:
    """Two copies of a root, one Fail and one Success: exit 3 naming the session, whichever line comes first."""
    ok = [session_line(1, fail=False), session_line(3, fail=False)]
    lines = ([_passing_copy_of_failed_root(), *ok, session_line(2, fail=True)] if passing_copy_first
             else [*ok, session_line(2, fail=True), _passing_copy_of_failed_root()])
    code, out = _gate(tmp_path, lines, "--max-failure-rate", "0.9")
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and "s_0002" in out
    assert "copies of one span that differ" in out


def test_copies_that_differ_name_the_span_and_what_differs(tmp_path: Path) -> None:
    """The reassembled session lists the span, its id and the fields its copies disagree on."""
    kinds, issues = _timeline_issues(tmp_path, [session_line(2, fail=True), _passing_copy_of_failed_root()],
                                     "s_0002")
    assert Issue.CONFLICTING_COPIES in kinds, issues
    assert "invoke_agent support-agent (span 0000000200000001)" in issues
    assert "agentops.session.end_state" in issues and "status" in issues and "error.type" in issues


@pytest.fixture
def jaeger_with_copies() -> Iterator[str]:
    """A local Jaeger-v3 look-alike holding session 2's root in two copies (Success, then Fail)."""
    _Jaeger.lines = [_passing_copy_of_failed_root(), session_line(1, fail=False), session_line(2, fail=True)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Jaeger)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"jaeger://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_copies_that_differ_in_a_backend_keep_the_gate_from_passing(jaeger_with_copies: str) -> None:
    """A backend holding a span in two copies that differ is judged like the file: exit 3, not PASS."""
    code, out, err = run("gate", "--source", jaeger_with_copies, *_GATE, "--max-failure-rate", "0.9")
    assert code == 3, out + err
    assert "copies of one span that differ" in out


@pytest.mark.parametrize("change", ["cost", "tokens", "end", "tool_status"])
def test_a_step_copied_with_other_figures_keeps_the_gate_from_passing(tmp_path: Path, change: str) -> None:
    """A model call or tool copied with another cost, token count, end time or status is not judged (exit 3)."""
    line = session_line(1, fail=False)
    llm = copy.deepcopy(_spans(line)[1] if change != "tool_status" else _spans(line)[2])
    if change == "cost":
        _set(llm, "agentops.cost.usd", {"doubleValue": 0.5})
    elif change == "tokens":
        _set(llm, "gen_ai.usage.output_tokens", {"intValue": "9999"})
    elif change == "end":
        llm["endTimeUnixNano"] = str(int(llm["endTimeUnixNano"]) + 10**9)
    else:
        llm["status"] = {"code": 2, "message": "boom"}
    code, out = _gate(tmp_path, [line, _one_span(line, llm)])
    assert code == 3, out
    assert "s_0001" in out and "copies of one span that differ" in out


def test_exact_copies_of_every_span_change_no_verdict(tmp_path: Path) -> None:
    """A batch exported twice (a retry) is counted once: the same figures and verdict as without the copies."""
    lines = [session_line(1, fail=False), session_line(2, fail=True), session_line(3, fail=False)]
    once = _gate(tmp_path, lines, "--max-failure-rate", "0.5", "--json")
    twice = _gate(tmp_path, lines + lines, "--max-failure-rate", "0.5", "--json")
    assert once[0] == twice[0] == 0, twice[1]
    assert (json.loads(twice[1])["sessions"], json.loads(twice[1])["failures"]) == (3, 1)


def test_copies_written_in_another_spelling_are_the_same_span(tmp_path: Path) -> None:
    """A copy whose numbers are written as JSON numbers rather than strings, keys reordered, is no conflict."""
    line = session_line(1, fail=False)
    again = copy.deepcopy(line)
    for span in _spans(again):
        span["startTimeUnixNano"] = int(span["startTimeUnixNano"])
        span["attributes"] = [{"key": a["key"], "value": {"intValue": int(a["value"]["intValue"])}}
                              if "intValue" in a["value"] else a for a in reversed(span["attributes"])]
    code, out = _gate(tmp_path, [line, again])
    assert code == 0, out


# --- an attribute key given twice ---------------------------------------------------------------------


@pytest.mark.parametrize("last", ["Success", "Fail"])
def test_an_end_state_given_twice_with_different_values_keeps_the_gate_from_passing(tmp_path: Path,
                                                                                    last: str) -> None:
    """agentops.session.end_state listed twice on one root, Success and Fail in either order: exit 3."""
    line = session_line(2, fail=True)
    root = _spans(line)[0]
    _set(root, "agentops.session.end_state", {"stringValue": "Fail" if last == "Success" else "Success"})
    root["attributes"].append({"key": "agentops.session.end_state", "value": {"stringValue": last}})
    code, out = _gate(tmp_path, [session_line(1, fail=False), line], "--max-failure-rate", "0.9")
    assert code == 3, out
    assert "s_0002" in out and "attributes that could not be read" in out


def test_replay_names_the_key_given_twice(tmp_path: Path) -> None:
    """The replay's issues say which key was given twice, with which values."""
    line = session_line(1, fail=False)
    _spans(line)[2]["attributes"].append({"key": "gen_ai.tool.name", "value": {"stringValue": "refund"}})
    code, out, _ = run("replay", "s_0001", "--source", str(write_file(tmp_path / "t.jsonl", [line])))
    assert code == 0, out
    assert "gen_ai.tool.name given twice with different values ('fetch_customer_data', 'refund')" in out


def test_a_key_given_twice_with_the_same_value_is_harmless(tmp_path: Path) -> None:
    """The same attribute written twice, same value (a writer that appends it again), is judged as usual."""
    line = session_line(1, fail=False)
    for span in _spans(line):
        span["attributes"] = span["attributes"] + copy.deepcopy(span["attributes"])
    code, out = _gate(tmp_path, [line])
    assert code == 0, out
    assert "Failed: 0/1" in out


# --- an event attribute key given twice -----------------------------------------------------------------


def _event_type_twice(line: dict[str, Any], span: int, first: str, again: str) -> None:
    """The span's exception event lists exception.type twice: ``first``, then ``again``."""
    attrs = _spans(line)[span]["events"][0]["attributes"]
    for attr in attrs:
        if attr["key"] == "exception.type":
            attr["value"] = {"stringValue": first}
    attrs.append({"key": "exception.type", "value": {"stringValue": again}})


@pytest.mark.parametrize("span", [0, 2], ids=["root", "tool"])
@pytest.mark.parametrize("first", ["ValueError", "KeyError"])
def test_an_exception_type_given_twice_keeps_the_gate_from_passing(tmp_path: Path, span: int, first: str) -> None:
    """An exception event naming two exception types (root or step, either order) is not judged: exit 3."""
    line = session_line(2, fail=True)
    _event_type_twice(line, span, first, "KeyError" if first == "ValueError" else "ValueError")
    code, out = _gate(tmp_path, [session_line(1, fail=False), line], "--max-failure-rate", "0.9")
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and "s_0002" in out


def test_replay_names_the_event_key_given_twice(tmp_path: Path) -> None:
    """The replay's issues name the event, the key and both values."""
    line = session_line(2, fail=True)
    _event_type_twice(line, 2, "ValueError", "KeyError")
    code, out, _ = run("replay", "s_0002", "--source", str(write_file(tmp_path / "t.jsonl", [line])))
    assert code == 0, out
    assert "event 'exception': exception.type given twice with different values ('ValueError', 'KeyError')" in out


def test_an_event_key_given_twice_with_the_same_value_is_harmless(tmp_path: Path) -> None:
    """An exception event repeating a key with the same value is judged as usual (a failure: exit 1)."""
    line = session_line(2, fail=True)
    _event_type_twice(line, 0, "ValueError", "ValueError")
    code, out = _gate(tmp_path, [session_line(1, fail=False), line], "--max-failure-rate", "0.4")
    assert code == 1, out
    assert "Failed: 1/2" in out


# --- the parent a session names ------------------------------------------------------------------------


def _with_parent(n: int, parent: str, *, fail: bool) -> dict[str, Any]:
    line = session_line(n, fail=fail)
    _set(_spans(line)[0], "agentops.session.parent_id", {"stringValue": parent})
    return line


def _three_ok(*skip: int) -> list[dict[str, Any]]:
    return [session_line(n, fail=False) for n in (1, 3, 4) if n not in skip]


def test_a_session_naming_itself_as_parent_is_counted(tmp_path: Path) -> None:
    """A failed root whose parent id is its own session id is a run of its own: 1/4 failed, exit 1."""
    code, out = _gate(tmp_path, [*_three_ok(), _with_parent(2, "s_0002", fail=True)])
    assert code == 1, out
    assert "Failed: 1/4" in out and "s_0002" in out


def test_two_sessions_naming_each_other_as_parent_are_both_counted(tmp_path: Path) -> None:
    """A parent cycle decides nothing: both of its sessions are runs of their own (2/4 failed)."""
    lines = [*_three_ok(3), _with_parent(2, "s_0003", fail=True), _with_parent(3, "s_0002", fail=True)]
    code, out = _gate(tmp_path, lines)
    assert code == 1, out
    assert "Failed: 2/4" in out


def test_a_parent_cycle_is_an_issue_of_each_of_its_sessions(tmp_path: Path) -> None:
    """The replay of each session on the cycle says its recorded parent was not followed, and why."""
    lines = [_with_parent(2, "s_0003", fail=True), _with_parent(3, "s_0002", fail=False)]
    for sid, other in (("s_0002", "s_0003"), ("s_0003", "s_0002")):
        kinds, issues = _timeline_issues(tmp_path, lines, sid)
        assert Issue.SESSION_PARENT_CYCLE in kinds, issues
        assert f"parent session {other}" in issues


def test_evaluate_gate_counts_sessions_whose_given_parents_form_a_cycle(tmp_path: Path) -> None:
    """Timelines a CI script holds (summaries built elsewhere) naming each other as parents are both runs."""
    records = open_source(str(write_file(tmp_path / "r.jsonl", [session_line(2, fail=True),
                                                               session_line(3, fail=False)]))).search()
    built = reassemble(records).sessions
    cyclic = [replace(t, summary=replace(t.summary, parent_session_id=other))
              for t, other in zip(built, ("s_0003", "s_0002"), strict=True)]
    result = evaluate_gate(cyclic, max_failure_rate=0)
    assert (result.sessions, result.failures, result.verdict) == (2, 1, "FAIL")


def test_a_session_whose_parent_is_not_in_the_source_is_counted(tmp_path: Path) -> None:
    """A nested session whose parent was not read (another file, outside the window) is a run of its own."""
    code, out = _gate(tmp_path, [*_three_ok(), _with_parent(2, "s_elsewhere", fail=True)])
    assert code == 1, out
    assert "Failed: 1/4" in out


def test_sessions_lists_a_self_parented_session_as_top_level(tmp_path: Path) -> None:
    """`sessions` does not hide the session or call it nested."""
    traces = write_file(tmp_path / "t.jsonl", [_with_parent(2, "s_0002", fail=True)])
    code, out, _ = run("sessions", "--source", str(traces), "--no-color")
    assert code == 0, out
    assert "s_0002" in out and "(nested" not in out


def _under(n: int, outer: int, *, fail: bool, parent: str | None = None, same_trace: bool = True) -> dict[str, Any]:
    """Session ``n`` whose root's span parent is session ``outer``'s tool span (in ``outer``'s trace, or in a
    trace of its own), recording ``parent`` as its parent session (none when None)."""
    line = session_line(n, fail=fail) if parent is None else _with_parent(n, parent, fail=fail)
    if same_trace:
        for span in _spans(line):
            span["traceId"] = f"{outer:032x}"
    _spans(line)[0]["parentSpanId"] = f"{outer:08x}00000003"
    return line


def test_a_failed_root_under_one_session_naming_another_as_parent_keeps_the_gate_from_passing(tmp_path: Path) -> None:
    """A failed root hung under s_0001's tool span but naming s_0003 as its parent session is nested in
    neither run for sure: not hidden inside a passing one (it was: PASS 0/2), exit 3 naming it."""
    lines = [session_line(1, fail=False), _under(2, 1, fail=True, parent="s_0003"), session_line(3, fail=False)]
    code, out = _gate(tmp_path, lines, "--max-failure-rate", "0.9")
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA")
    assert "s_0002: parent span in s_0001, parent session s_0003" in out


def test_a_session_with_a_contested_parent_is_shown_on_its_own(tmp_path: Path) -> None:
    """Neither session holds its steps; its replay names both parents as an issue."""
    lines = [session_line(1, fail=False), _under(2, 1, fail=True, parent="s_0003"), session_line(3, fail=False)]
    found = reassemble(open_source(str(write_file(tmp_path / "r.jsonl", lines))).search())
    assert [len(found.timeline_for(sid).steps) for sid in ("s_0001", "s_0003")] == [2, 2]
    summary = found.timeline_for("s_0002").summary
    assert Issue.SESSION_PARENT_CONTESTED in summary.issue_kinds, summary.issues
    assert summary.parent_session_id is None
    assert any("s_0001" in i and "s_0003" in i for i in summary.issues)


def test_a_session_nested_where_it_says_is_judged_with_its_parent(tmp_path: Path) -> None:
    """A root under s_0001's span naming s_0001 as its parent is nested there, as before: one run, its own
    failure handled by the outer run (exit 0)."""
    code, out = _gate(tmp_path, [session_line(1, fail=False), _under(2, 1, fail=True, parent="s_0001")])
    assert code == 0, out
    assert "Failed: 0/1" in out


def test_a_session_under_a_session_nested_in_the_parent_it_names_is_no_contradiction(tmp_path: Path) -> None:
    """Started under a span of s_0001 once s_0001 had ended elsewhere, a session names s_0001's own parent
    (s_0003): nested as recorded, judged with s_0003's run (exit 0)."""
    lines = [session_line(3, fail=False), _under(1, 3, fail=False, parent="s_0003"),
             _under(2, 1, fail=True, parent="s_0003")]
    found = reassemble(open_source(str(write_file(tmp_path / "r.jsonl", lines))).search())
    assert Issue.SESSION_PARENT_CONTESTED not in found.timeline_for("s_0002").summary.issue_kinds
    code, out = _gate(tmp_path, lines)
    assert code == 0, out
    assert "Failed: 0/1" in out


def test_a_parent_span_id_from_another_trace_nests_nothing(tmp_path: Path) -> None:
    """A root in a trace of its own whose parent span id is one of s_0001's spans (in another trace) is no
    step of s_0001: s_0001 keeps its own steps and cost, and the root's run is counted on its own."""
    lines = [session_line(1, fail=False), _under(2, 1, fail=True, same_trace=False)]
    found = reassemble(open_source(str(write_file(tmp_path / "r.jsonl", lines))).search())
    outer = found.timeline_for("s_0001")
    assert (len(outer.steps), outer.summary.cost_usd) == (2, pytest.approx(0.002))
    code, out = _gate(tmp_path, lines, "--max-failure-rate", "0.9", "--max-cost-per-session", "0.003")
    assert code == 0, out
    assert "Failed: 1/2" in out


# --- end state against status -------------------------------------------------------------------------


def test_a_success_root_with_an_error_status_keeps_the_gate_from_passing(tmp_path: Path) -> None:
    """End state Success on a root whose span status is ERROR (error.type set) contradicts itself: exit 3."""
    line = session_line(2, fail=True)
    _set(_spans(line)[0], "agentops.session.end_state", {"stringValue": "Success"})
    code, out = _gate(tmp_path, [session_line(1, fail=False), line])
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA")
    assert "s_0002: end state Success, span status ERROR (error.type ValueError)" in out


def test_a_fail_root_with_an_ok_status_is_still_a_failure(tmp_path: Path) -> None:
    """End state Fail on an OK root is judged a failure (exit 1): a contradiction never turns it into a pass."""
    line = session_line(2, fail=True)
    _spans(line)[0]["status"] = {"code": 1}
    code, out = _gate(tmp_path, [line])
    assert code == 1, out


# --- the assertions on a session read back -------------------------------------------------------------


def _read_back(tmp_path: Path, lines: list[dict[str, Any]], session_id: str) -> Any:
    return reassemble(open_source(str(write_file(tmp_path / "a.jsonl", lines))).search()).timeline_for(session_id)


def test_assert_ended_with_refuses_a_root_whose_end_state_and_status_disagree(tmp_path: Path) -> None:
    """Read back, a Success root with status ERROR is no Success to assert: the assertion fails, naming why."""
    line = session_line(2, fail=True)
    _set(_spans(line)[0], "agentops.session.end_state", {"stringValue": "Success"})
    with pytest.raises(AgentAssertionError, match="span status ERROR"):
        assert_ended_with(_read_back(tmp_path, [line], "s_0002"), "Success")


def test_assert_ended_with_refuses_a_root_in_two_copies_that_differ(tmp_path: Path) -> None:
    """Two copies of the root, Fail and Success: asserting either end state fails, whichever line came first."""
    timeline = _read_back(tmp_path, [_passing_copy_of_failed_root(), session_line(2, fail=True)], "s_0002")
    for state in ("Success", "Fail"):
        with pytest.raises(AgentAssertionError, match="copies of one span that differ"):
            assert_ended_with(timeline, state)


def test_assert_ended_with_passes_on_a_root_that_agrees_with_itself(tmp_path: Path) -> None:
    """An ordinary failed session read back still asserts as Fail."""
    assert_ended_with(_read_back(tmp_path, [session_line(2, fail=True)], "s_0002"), "Fail")
