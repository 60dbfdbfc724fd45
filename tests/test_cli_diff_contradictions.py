"""``diff`` of sessions whose data contradicts itself says so, naming the session and the contradiction, and
exits 3 (as ``gate`` does for such data), never 0 ("identical") nor 1 from whichever copy or value came first."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_cli import run, session_line, write_file
from test_gate_conflicts import _event_type_twice, _one_span, _set, _spans, _under

from agentops_otel.diff import diff_timelines
from agentops_otel.read import open_source
from agentops_otel.reassemble import reassemble


def _diff(tmp_path: Path, lines: list[dict[str, Any]], a: str = "s_0001", b: str = "s_0002") -> tuple[int, str]:
    code, out, err = run("diff", a, b, "--source", str(write_file(tmp_path / "t.jsonl", lines)), "--no-color")
    return code, out + err


def _root_copied_as_failed(n: int) -> dict[str, Any]:
    """Session ``n`` (a Success) again with its root saying Fail, status ERROR: one span in two copies."""
    line = session_line(n, fail=False)
    root = copy.deepcopy(_spans(line)[0])
    _set(root, "agentops.session.end_state", {"stringValue": "Fail"})
    root["status"] = {"code": 2, "message": "boom"}
    return _one_span(line, root)


@pytest.mark.parametrize("failed_copy_first", [True, False])
def test_a_root_in_two_copies_that_differ_exits_3_naming_the_session(tmp_path: Path, failed_copy_first: bool) -> None:
    """A root once Success, once Fail: exit 3 naming the session and the copies, whichever line comes first."""
    copies = [_root_copied_as_failed(2), session_line(2, fail=False)]
    code, out = _diff(tmp_path, [session_line(1, fail=False), *(copies if failed_copy_first else copies[::-1])])
    assert code == 3, out
    assert "contradicts itself" in out and "b: s_0002: copies of one span that differ" in out
    assert "agentops.session.end_state" in out


def test_a_step_in_two_copies_that_differ_is_never_identical(tmp_path: Path) -> None:
    """A tool span copied with other arguments (same end, same status) is no 'identical' run: exit 3."""
    line = session_line(2, fail=False)
    tool = copy.deepcopy(_spans(line)[2])
    _set(tool, "gen_ai.tool.call.arguments", {"stringValue": json.dumps({"customer_id": "C-99"})})
    code, out = _diff(tmp_path, [session_line(1, fail=False), line, _one_span(line, tool)])
    assert code == 3, out
    assert "identical" not in out
    assert "execute_tool fetch_customer_data (span 0000000200000003) in gen_ai.tool.call.arguments" in out


def test_a_success_root_with_an_error_status_exits_3(tmp_path: Path) -> None:
    """End state Success on a root whose status is ERROR is no run 'identical' to a clean one: exit 3."""
    line = session_line(2, fail=False)
    _spans(line)[0]["status"] = {"code": 2, "message": "boom"}
    code, out = _diff(tmp_path, [session_line(1, fail=False), line])
    assert code == 3, out
    assert "b: s_0002: end state Success, span status ERROR" in out


def test_a_step_attribute_given_twice_exits_3(tmp_path: Path) -> None:
    """A tool's arguments given twice, differing: exit 3 naming the key and both values."""
    line = session_line(2, fail=False)
    _spans(line)[2]["attributes"].append(
        {"key": "gen_ai.tool.call.arguments", "value": {"stringValue": json.dumps({"customer_id": None})}})
    code, out = _diff(tmp_path, [session_line(1, fail=False), line])
    assert code == 3, out
    assert "b: s_0002: " in out
    assert "execute_tool fetch_customer_data: gen_ai.tool.call.arguments given twice with different values" in out


def test_a_root_end_state_given_twice_exits_3(tmp_path: Path) -> None:
    """The root's end state given as Success, then Fail: the diff does not compare the first only (exit 3)."""
    line = session_line(2, fail=False)
    _spans(line)[0]["attributes"].append({"key": "agentops.session.end_state", "value": {"stringValue": "Fail"}})
    code, out = _diff(tmp_path, [session_line(1, fail=False), line])
    assert code == 3, out
    assert "s_0002" in out and "agentops.session.end_state given twice with different values" in out


def test_an_event_key_given_twice_exits_3_beside_the_divergence_it_decided(tmp_path: Path) -> None:
    """The tool's exception event naming KeyError then ValueError: the divergence is shown, and exit 3 says it
    rests on the first of them."""
    line = session_line(2, fail=True)
    _event_type_twice(line, 2, "KeyError", "ValueError")
    code, out = _diff(tmp_path, [session_line(3, fail=True), line], a="s_0003")
    assert code == 3, out
    assert "Diverged at step #1" in out
    assert "b: s_0002: " in out
    assert "execute_tool fetch_customer_data: event 'exception': exception.type given twice" in out


def test_contradictions_on_both_sides_are_each_named(tmp_path: Path) -> None:
    """Each side's contradiction is named with its side and session."""
    a, b = session_line(1, fail=False), session_line(2, fail=False)
    for line in (a, b):
        _spans(line)[0]["status"] = {"code": 2, "message": "boom"}
    code, out = _diff(tmp_path, [a, b])
    assert code == 3, out
    assert "a: s_0001: end state Success" in out and "b: s_0002: end state Success" in out


def test_the_diff_api_reports_the_contradiction(tmp_path: Path) -> None:
    """diff_timelines: not ``same``, and ``contradictions`` names the side, the session and what contradicts."""
    records = open_source(str(write_file(tmp_path / "r.jsonl", [
        session_line(1, fail=False), _root_copied_as_failed(2), session_line(2, fail=False)]))).search()
    found = reassemble(records)
    result = diff_timelines(found.timeline_for("s_0001"), found.timeline_for("s_0002"))
    assert not result.same
    assert len(result.contradictions) == 1
    assert result.contradictions[0].startswith("b: s_0002: copies of one span that differ")


def test_a_contested_parent_is_a_contradiction_of_the_diff_api(tmp_path: Path) -> None:
    """Reassembled with both of its parents, a session under one naming the other is named as contradictory."""
    lines = [session_line(1, fail=False), _under(2, 1, fail=False, parent="s_0003"), session_line(3, fail=False)]
    found = reassemble(open_source(str(write_file(tmp_path / "r.jsonl", lines))).search())
    result = diff_timelines(found.timeline_for("s_0003"), found.timeline_for("s_0002"))
    assert not result.same
    assert result.contradictions == ("b: s_0002: parent span in s_0001, parent session s_0003: shown as a session "
                                     "of its own",)


def test_exact_copies_still_diff_identical(tmp_path: Path) -> None:
    """A run exported twice (a retry: exact copies) contradicts nothing: identical, exit 0."""
    line = session_line(2, fail=False)
    code, out = _diff(tmp_path, [session_line(1, fail=False), line, line])
    assert code == 0, out
    assert "No divergence: identical" in out and "contradict" not in out


def test_the_exit_code_reaches_a_script(tmp_path: Path) -> None:
    """`python -m agentops_otel diff` on contradictory data exits 3 in a child process too."""
    line = session_line(2, fail=False)
    _spans(line)[0]["status"] = {"code": 2, "message": "boom"}
    traces = write_file(tmp_path / "t.jsonl", [session_line(1, fail=False), line])
    proc = subprocess.run([sys.executable, "-m", "agentops_otel", "diff", "s_0001", "s_0002", "--source", str(traces)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr


def test_diff_help_names_exit_3() -> None:
    """`diff --help` says what exit 3 means."""
    proc = subprocess.run([sys.executable, "-m", "agentops_otel", "diff", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "3 when a session's data contradicts itself" in " ".join(proc.stdout.split())
