"""``diff`` of two sessions looks inside the sessions nested in them, as ``gate`` does: a nested session whose data
contradicts itself (copies of a span that differ, a key given twice, a Success root with status ERROR) is named,
with the compared session it is nested in, and the diff exits 3, never 0 from whichever copy came first. A nested
session with an end state nobody defined leaves the runs not identical, as the compared sessions' own does."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from test_cli import run, session_line, write_file
from test_gate_conflicts import _one_span, _set, _spans, _under


def _diff(tmp_path: Path, lines: list[dict[str, Any]]) -> tuple[int, str]:
    code, out, err = run("diff", "s_0001", "s_0002", "--source", str(write_file(tmp_path / "t.jsonl", lines)),
                         "--no-color")
    return code, out + err


def _two_runs_with_children(child_b: dict[str, Any]) -> list[dict[str, Any]]:
    """s_0001 with s_0011 nested under its tool, s_0002 with ``child_b`` (s_0012) under its own: alike otherwise."""
    return [session_line(1, fail=False), _under(11, 1, fail=False, parent="s_0001"),
            session_line(2, fail=False), child_b]


def test_a_nested_root_saying_success_with_status_error_exits_3(tmp_path: Path) -> None:
    """The child of b says Success on a root whose status is ERROR: exit 3, naming the child and its parent."""
    child = _under(12, 2, fail=False, parent="s_0002")
    _spans(child)[0]["status"] = {"code": 2, "message": "boom"}
    code, out = _diff(tmp_path, _two_runs_with_children(child))
    assert code == 3, out
    assert "contradicts itself" in out
    assert "b: s_0012 (nested in s_0002): end state Success, span status ERROR" in out


def test_a_nested_span_in_two_copies_that_differ_exits_3(tmp_path: Path) -> None:
    """A tool span of the child of b copied with other arguments: exit 3 naming the copies."""
    child = _under(12, 2, fail=False, parent="s_0002")
    tool = copy.deepcopy(_spans(child)[2])
    _set(tool, "gen_ai.tool.call.arguments", {"stringValue": json.dumps({"customer_id": "C-99"})})
    code, out = _diff(tmp_path, [*_two_runs_with_children(child), _one_span(child, tool)])
    assert code == 3, out
    assert "b: s_0012 (nested in s_0002): copies of one span that differ" in out


def test_a_nested_root_end_state_given_twice_is_named_once(tmp_path: Path) -> None:
    """The child's root end state given as Success, then Fail (a step of b too): exit 3 naming the key once."""
    child = _under(12, 2, fail=False, parent="s_0002")
    _spans(child)[0]["attributes"].append({"key": "agentops.session.end_state", "value": {"stringValue": "Fail"}})
    code, out = _diff(tmp_path, _two_runs_with_children(child))
    assert code == 3, out
    assert out.count("agentops.session.end_state given twice with different values") == 1, out


def test_a_session_under_a_span_of_a_naming_another_parent_exits_3(tmp_path: Path) -> None:
    """Read by trace id, a session hung under a span of a while naming another session as its parent is part of a's
    run or not, the data does not say (the gate refuses it): exit 3 naming it, not 'identical'."""
    lines = [session_line(1, fail=False), _under(2, 1, fail=False, parent="s_0003"), session_line(3, fail=False)]
    code, out, err = run("diff", f"{1:032x}", f"{3:032x}", "--source", str(write_file(tmp_path / "t.jsonl", lines)),
                         "--no-color")
    assert code == 3, out + err
    assert "a: s_0002 (nested in a span of s_0001): parent span in s_0001, parent session s_0003" in out


def test_clean_nested_sessions_still_diff_identical(tmp_path: Path) -> None:
    """Children that contradict nothing leave the diff as it was: identical, exit 0."""
    code, out = _diff(tmp_path, _two_runs_with_children(_under(12, 2, fail=False, parent="s_0002")))
    assert code == 0, out
    assert "No divergence: identical" in out and "contradict" not in out


def test_the_exit_code_for_a_nested_contradiction_reaches_a_script(tmp_path: Path) -> None:
    """`python -m agentops_otel diff` exits 3 in a child process on a contradictory nested session."""
    child = _under(12, 2, fail=False, parent="s_0002")
    _spans(child)[0]["status"] = {"code": 2, "message": "boom"}
    traces = write_file(tmp_path / "t.jsonl", _two_runs_with_children(child))
    proc = subprocess.run([sys.executable, "-m", "agentops_otel", "diff", "s_0001", "s_0002", "--source", str(traces)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr


def test_nested_sessions_with_an_unknown_end_state_are_not_identical(tmp_path: Path) -> None:
    """Children on both sides ending in a state that is not Success, Fail or Indeterminate leave the runs not shown to
    agree (the gate refuses them): exit 1 naming the children, as for the compared sessions' own end state."""
    children = []
    for n, parent in ((11, 1), (12, 2)):
        child = _under(n, parent, fail=False, parent=f"s_{parent:04d}")
        _set(_spans(child)[0], "agentops.session.end_state", {"stringValue": "Weird"})
        children.append(child)
    code, out = _diff(tmp_path, [session_line(1, fail=False), children[0], session_line(2, fail=False), children[1]])
    assert code == 1, out
    assert "identical" not in out
    assert "a: s_0011 (nested in s_0001): end state 'Weird'" in out and "b: s_0012 (nested in s_0002)" in out
