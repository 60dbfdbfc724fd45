"""The gate never passes on input it could not read (a damaged last line) or does not understand (an end
state that is none of Success, Fail, Indeterminate): exit 2 or 3, never 0."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from test_cli import NOW_NS, run, session_line, write_file

from agentops_otel.read import open_source
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import AgentAssertionError, assert_ended_with

_GATE = ("--since", "1h", "--max-failure-rate", "0")


def _ok_then(tmp_path: Path, last: bytes) -> Path:
    """A file with one successful session, then ``last`` as written (a damaged failed session, say)."""
    path = write_file(tmp_path / "t.jsonl", [session_line(1, fail=False)])
    with path.open("ab") as fh:
        fh.write(last)
    return path


def _failed_line() -> bytes:
    return json.dumps(session_line(2, fail=True)).encode()


# --- a last line that can't be read ----------------------------------------------------------------


@pytest.mark.parametrize("complete", [False, True])
def test_a_cut_last_line_ending_in_a_newline_is_a_read_error_not_a_pass(tmp_path: Path, complete: bool) -> None:
    """A finished line (newline written) that can't be read holds sessions: the gate exits 2 naming it."""
    traces = _ok_then(tmp_path, _failed_line()[:1500] + b"\n")
    code, out, err = run("gate", "--source", str(traces), *_GATE, *(["--require-complete"] * complete))
    assert code == 2, out + err
    assert "line 2: not OTLP JSON" in err and "PASS" not in out


def test_a_garbage_last_line_is_a_read_error_whether_or_not_it_ends_in_a_newline(tmp_path: Path) -> None:
    """Zero bytes at the end of a file are damage, not a line being written: never skipped."""
    for tail in (b"\x00" * 64, b"\x00" * 64 + b"\n"):
        traces = _ok_then(tmp_path, tail)
        code, out, err = run("gate", "--source", str(traces), *_GATE)
        assert code == 2 and "line 2" in err, (tail, out, err)


def test_a_cut_last_line_in_a_finished_gzip_file_is_a_read_error_not_a_pass(tmp_path: Path) -> None:
    """A complete .gz file is not being appended to: its cut last line is damage, exit 2, never PASS."""
    plain = _ok_then(tmp_path, _failed_line()[:1500])
    traces = tmp_path / "t.jsonl.gz"
    traces.write_bytes(gzip.compress(plain.read_bytes()))
    code, out, err = run("gate", "--source", str(traces), *_GATE)
    assert code == 2, out + err
    assert "line 2: not OTLP JSON" in err and "PASS" not in out


def test_a_gzip_file_cut_short_is_a_read_error_saying_so(tmp_path: Path) -> None:
    """A .gz file whose compressed stream stops early (a crash, a copy cut off) is exit 2, naming the cut."""
    plain = write_file(tmp_path / "t.jsonl", [session_line(1, fail=False), session_line(2, fail=True)])
    packed = gzip.compress(plain.read_bytes())
    traces = tmp_path / "t.jsonl.gz"
    traces.write_bytes(packed[: len(packed) * 2 // 3])
    code, out, err = run("gate", "--source", str(traces), *_GATE)
    assert code == 2 and "PASS" not in out, out + err
    assert "t.jsonl.gz: the gzip stream ends early" in err, err


def test_replay_sessions_and_diff_report_an_unreadable_last_line_like_the_gate(tmp_path: Path) -> None:
    """Every command reading the file says the same: exit 2, which line."""
    traces = _ok_then(tmp_path, _failed_line()[:1500] + b"\n")
    for argv in (["replay"], ["replay", "s_0001"], ["sessions"], ["diff", "s_0001", "s_0001"]):
        code, out, err = run(*argv, "--source", str(traces))
        assert code == 2 and "line 2: not OTLP JSON" in err, (argv, out, err)


def test_a_line_still_being_written_keeps_the_gate_from_passing(tmp_path: Path) -> None:
    """The session on the unread last line may be the failing one: no PASS by default, exit 3 naming it."""
    traces = _ok_then(tmp_path, _failed_line()[:1500])
    code, out, _ = run("gate", "--source", str(traces), *_GATE)
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and "line 2" in out and "still being written" in out
    assert "--allow-incomplete" in out, out


def test_allow_incomplete_judges_what_was_seen_and_says_so(tmp_path: Path) -> None:
    """--allow-incomplete: the gate judges the sessions it read, listing the line it could not."""
    traces = _ok_then(tmp_path, _failed_line()[:1500])
    code, out, _ = run("gate", "--source", str(traces), *_GATE, "--allow-incomplete")
    assert code == 0, out
    assert "Not seen (judged on what was seen: --allow-incomplete):" in out and "line 2" in out


@pytest.mark.parametrize("argv", [("gate", *_GATE), ("sessions",), ("sessions", "--tag", "support")])
def test_a_line_still_being_written_is_warned_about_once(tmp_path: Path, argv: tuple[str, ...],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """However often a command reads the file, the line being written is one warning, not one per pass."""
    traces = _ok_then(tmp_path, _failed_line()[:1500])
    run(*argv, "--source", str(traces))
    warnings = [r for r in caplog.records if "still being written" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


def test_a_line_still_being_written_keeps_a_require_complete_gate_from_passing(tmp_path: Path) -> None:
    """--require-complete needs every session; one still being written may be the failing one: exit 3."""
    traces = _ok_then(tmp_path, _failed_line()[:1500])
    code, out, _ = run("gate", "--source", str(traces), *_GATE, "--require-complete")
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and "still being written" in out


def test_replay_still_shows_a_file_whose_last_line_is_being_written(tmp_path: Path) -> None:
    """Watching a live file keeps working: the sessions written so far are shown."""
    traces = _ok_then(tmp_path, _failed_line()[:1500])
    code, out, err = run("sessions", "--source", str(traces))
    assert code == 0 and "s_0001" in out and "s_0002" not in out, err


# --- an end state the reader does not know ---------------------------------------------------------


def _ended(n: int, state: Any, *, fail: bool = True) -> dict[str, Any]:
    """Session ``n`` as recorded, but with ``state`` written as its end state (a hand edit, another writer)."""
    line = session_line(n, fail=fail)
    root = line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    for attr in root["attributes"]:
        if attr["key"] == "agentops.session.end_state":
            attr["value"] = {"intValue": str(state)} if isinstance(state, int) else {"stringValue": state}
    return line


@pytest.mark.parametrize("spelling", ["fail", "FAIL", " Fail "])
def test_a_fail_end_state_in_another_case_fails_the_gate(tmp_path: Path, spelling: str) -> None:
    """The spellings end_session() accepts mean what they say when read back: a failure (exit 1)."""
    traces = write_file(tmp_path / "t.jsonl", [_ended(1, spelling)])
    code, out, _ = run("gate", "--source", str(traces), *_GATE)
    assert code == 1, out
    assert "Failed: 1/1" in out


def test_sessions_and_replay_show_the_canonical_end_state(tmp_path: Path) -> None:
    """What was written as 'fail' is listed and filtered as Fail."""
    traces = write_file(tmp_path / "t.jsonl", [_ended(1, "fail"), _ended(2, "success", fail=False)])
    code, out, _ = run("sessions", "--source", str(traces), "--state", "Fail", "--json")
    assert code == 0
    assert [(s["session_id"], s["end_state"]) for s in json.loads(out)["sessions"]] == [("s_0001", "Fail")]


@pytest.mark.parametrize("state", ["Bogus", 2, ""])
def test_an_unknown_end_state_keeps_the_gate_from_passing(tmp_path: Path, state: Any) -> None:
    """An end state that is none of the three is not a pass: INSUFFICIENT DATA (exit 3), naming the value."""
    traces = write_file(tmp_path / "t.jsonl", [_ended(1, state)])
    code, out, _ = run("gate", "--source", str(traces), *_GATE)
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and "unknown end state" in out
    assert f"s_0001: {str(state)!r}" in out


def test_replay_names_an_unknown_end_state_as_an_issue(tmp_path: Path) -> None:
    """The replay shows the value as written and says it is not one the tools know."""
    traces = write_file(tmp_path / "t.jsonl", [_ended(1, "Bogus")])
    code, out, _ = run("replay", "s_0001", "--source", str(traces))
    assert code == 0 and "Bogus" in out and "end state 'Bogus' is not Success, Fail or Indeterminate" in out


def test_diff_does_not_call_sessions_with_an_unknown_end_state_identical(tmp_path: Path) -> None:
    """Two runs both ending 'Bogus' agree on nothing the diff understands: not 'identical' (exit 1)."""
    traces = write_file(tmp_path / "t.jsonl", [_ended(1, "Bogus"), _ended(2, "Bogus")])
    code, out, _ = run("diff", "s_0001", "s_0002", "--source", str(traces))
    assert code == 1 and "identical" not in out and "Bogus" in out


def _without_end_state(n: int, *, fail: bool = False) -> dict[str, Any]:
    """Session ``n`` as recorded, but with the end state gone from its root (a collector processor that
    drops attributes, a hand edit): the root is still ours, by its scope and session attributes."""
    line = session_line(n, fail=fail)
    root = line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    root["attributes"] = [a for a in root["attributes"] if a["key"] != "agentops.session.end_state"]
    return line


def test_a_session_root_without_its_end_state_keeps_the_gate_from_passing(tmp_path: Path) -> None:
    """A root of ours whose end state is gone is not judged by its span status: INSUFFICIENT DATA (exit 3)."""
    traces = write_file(tmp_path / "t.jsonl", [_without_end_state(1)])
    code, out, _ = run("gate", "--source", str(traces), *_GATE)
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and "s_0001: no end state recorded" in out


def test_replay_shows_a_missing_end_state_as_unknown(tmp_path: Path) -> None:
    """The replay does not guess Success from the root's status: it says Unknown and names what is missing."""
    traces = write_file(tmp_path / "t.jsonl", [_without_end_state(1)])
    code, out, _ = run("replay", "s_0001", "--source", str(traces))
    assert code == 0, out
    assert "Status: Unknown" in out and "Status: Success" not in out
    assert "no end state recorded (agentops.session.end_state missing from the root)" in out


def test_sessions_does_not_list_a_missing_end_state_as_success(tmp_path: Path) -> None:
    """Filtering on Success leaves out a session whose root lost its end state; the listing shows none."""
    traces = write_file(tmp_path / "t.jsonl", [_without_end_state(1), session_line(2, fail=False)])
    code, out, _ = run("sessions", "--source", str(traces), "--json")
    assert code == 0
    assert {s["session_id"]: s["end_state"] for s in json.loads(out)["sessions"]} == {"s_0001": None,
                                                                                     "s_0002": "Success"}
    code, out, _ = run("sessions", "--source", str(traces), "--state", "Success", "--json")
    assert [s["session_id"] for s in json.loads(out)["sessions"]] == ["s_0002"]


def test_diff_does_not_call_two_sessions_without_an_end_state_identical(tmp_path: Path) -> None:
    """Two runs whose roots both lost their end state may have ended differently: not 'identical' (exit 1)."""
    traces = write_file(tmp_path / "t.jsonl", [_without_end_state(1), _without_end_state(2)])
    code, out, _ = run("diff", "s_0001", "s_0002", "--source", str(traces))
    assert code == 1 and "identical" not in out and "no end state recorded" in out


def test_an_end_state_assertion_on_a_session_read_back_without_one_fails(tmp_path: Path) -> None:
    """assert_ended_with on a timeline whose root lost its end state fails, saying the end state is missing."""
    traces = write_file(tmp_path / "t.jsonl", [_without_end_state(1)])
    timeline = reassemble(open_source(str(traces)).search()).timeline_for("s_0001")
    with pytest.raises(AgentAssertionError, match="has no recorded end state"):
        assert_ended_with(timeline, "Success")


# --- a root cost that is not a price -----------------------------------------------------------------


def _root_cost(n: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Session ``n`` as recorded, but with ``raw`` (an OTLP AnyValue) as the root's session cost."""
    line = session_line(n, fail=False)
    root = line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    for attr in root["attributes"]:
        if attr["key"] == "agentops.session.cost_usd":
            attr["value"] = raw
    return line


@pytest.mark.parametrize("raw", [{"doubleValue": "NaN"}, {"doubleValue": "Infinity"}, {"doubleValue": -5.0}])
def test_a_root_cost_that_is_not_a_price_is_never_within_the_cost_bound(tmp_path: Path, raw: Any) -> None:
    """A NaN, infinite or negative session cost is unknown, not cheap: the cost bound fails, saying why."""
    traces = write_file(tmp_path / "t.jsonl", [_root_cost(1, raw)])
    code, out, _ = run("gate", "--source", str(traces), *_GATE, "--max-cost-per-session", "1")
    assert code == 1 and "PASS" not in out, out
    assert "s_0001: the session's cost on its root was not a price" in out


# --- a count that is not a whole number --------------------------------------------------------------

_NOT_WHOLE = [(0, "gen_ai.usage.input_tokens", "Infinity"), (0, "agentops.session.llm_calls", "NaN"),
              (1, "gen_ai.usage.input_tokens", "NaN"), (2, "agentops.seq", "NaN"), (1, "agentops.seq", 1.5)]


def _not_whole(span: int, key: str, value: Any) -> dict[str, Any]:
    """Session 1 with ``key`` of span ``span`` (root, LLM call, tool) written as a double that counts nothing."""
    line = session_line(1, fail=False)
    spans = line["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[2]["startTimeUnixNano"] = spans[1]["startTimeUnixNano"]  # a tie: agentops.seq decides the order
    attrs = [a for a in spans[span]["attributes"] if a["key"] != key]
    spans[span]["attributes"] = [*attrs, {"key": key, "value": {"doubleValue": value}}]
    return line


@pytest.mark.parametrize(("span", "key", "value"), _NOT_WHOLE)
def test_replay_and_sessions_name_a_count_that_is_not_a_whole_number(tmp_path: Path, span: int, key: str,
                                                                      value: Any) -> None:
    """A NaN, infinite or fractional count is named as unreadable, never a traceback."""
    traces = write_file(tmp_path / "t.jsonl", [_not_whole(span, key, value)])
    for argv in (["replay", "s_0001"], ["replay", "s_0001", "--json"], ["sessions"], ["sessions", "--json"]):
        code, out, err = run(*argv, "--source", str(traces))
        assert code == 0, (argv, out, err)
    code, out, _ = run("replay", "s_0001", "--source", str(traces))
    assert "could not be read" in out and f"{key} is {value}" in out.replace("'", ""), out


@pytest.mark.parametrize(("span", "key", "value"), _NOT_WHOLE)
def test_a_count_that_is_not_a_whole_number_keeps_the_gate_from_passing(tmp_path: Path, span: int, key: str,
                                                                         value: Any) -> None:
    """Like any value that could not be read: INSUFFICIENT DATA (exit 3), not a crash read as FAIL."""
    traces = write_file(tmp_path / "t.jsonl", [_not_whole(span, key, value)])
    code, out, _ = run("gate", "--source", str(traces), *_GATE)
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and "could not be read" in out


# --- sessions the program itself could not judge ----------------------------------------------------


def test_sessions_that_ended_indeterminate_are_no_evidence_of_a_pass(tmp_path: Path) -> None:
    """Every test skipped (each session ended Indeterminate): nothing was judged, so no PASS (exit 3)."""
    traces = write_file(tmp_path / "t.jsonl", [_ended(n, "Indeterminate", fail=False) for n in range(1, 4)])
    code, out, _ = run("gate", "--source", str(traces), *_GATE)
    assert code == 3, out
    assert "Failed: 0/0" in out and "3 sessions ended Indeterminate (not judged)" in out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA")


def test_indeterminate_sessions_are_left_out_of_the_failure_rate(tmp_path: Path) -> None:
    """One success, one failure and two Indeterminate runs: the rate is 1 of the 2 judged, and the rest listed."""
    lines = [_ended(1, "Success", fail=False), _ended(2, "Fail"), _ended(3, "Indeterminate", fail=False),
             _ended(4, "Indeterminate", fail=False)]
    code, out, _ = run("gate", "--source", str(write_file(tmp_path / "t.jsonl", lines)), "--since", "1h",
                       "--max-failure-rate", "0.6",
                       "--json")
    doc = json.loads(out)
    assert code == 0, out
    assert (doc["sessions"], doc["failures"], doc["indeterminate"]) == (2, 1, ["s_0003", "s_0004"])


# --- one session id, several roots ------------------------------------------------------------------


def _two_roots(tmp_path: Path, *, second_fails: bool) -> Path:
    """Run 1 ended Success; run 2, a separate trace a second later, also wrote session.id s_0001."""
    second = session_line(2, fail=second_fails, start_ns=NOW_NS + 10**9)
    for span in second["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for attr in span["attributes"]:
            if attr["key"] in ("session.id", "gen_ai.conversation.id"):
                attr["value"] = {"stringValue": "s_0001"}
    return write_file(tmp_path / "t.jsonl", [session_line(1, fail=False), second])


@pytest.mark.parametrize("second_fails", [True, False])
def test_two_roots_with_one_session_id_keep_the_gate_from_passing(tmp_path: Path, second_fails: bool) -> None:
    """Two runs merged under one session id can't be counted or judged as one: exit 3, naming the session."""
    code, out, _ = run("gate", "--source", str(_two_roots(tmp_path, second_fails=second_fails)), *_GATE)
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA")
    assert "1 session with more than one root span (s_0001: 2 roots)" in out
