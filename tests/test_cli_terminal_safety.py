"""Recorded text never drives the terminal: escape sequences and invisible or bidi characters are shown, not obeyed.

A ``session.id`` comes from whoever set it (another instrumentation, a chat id from a request), and a tool
name or argument from the agent's code and its inputs; ``gate`` prints them into CI logs. A carriage
return or ``ESC[2K`` could erase a FAIL line there, and a right-to-left override (U+202E) or a
zero-width space makes two different names read the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_recordings import record
from test_cli import run, session_line, write_file

HOSTILE_ID = "s_evil\x1b[2K\rPASS\x1b[8m\u202eLIAF"
SHOWN_ID = "s_evil\\x1b[2K\\x0dPASS\\x1b[8m\\u202eLIAF"


def _raw(text: str) -> list[str]:
    """The characters in ``text`` that a terminal would obey or hide."""
    return [c for c in text if c in "\x1b\r\u202e\u200b\u2066\u2069"]


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A file whose failed session carries terminal escapes and a bidi override in its session.id."""
    line = json.loads(json.dumps(session_line(2, fail=True)).replace("s_0002", json.dumps(HOSTILE_ID)[1:-1]))
    return write_file(tmp_path / "traces.jsonl", [session_line(1, fail=False), line])


def test_gate_lists_a_hostile_session_id_escaped(hostile: Path) -> None:
    """The gate's list of failed sessions shows escapes as text; the verdict line stays readable."""
    code, out, _ = run("gate", "--source", str(hostile), "--max-failure-rate", "0.1")
    assert code == 1
    assert _raw(out) == []
    assert f"  {SHOWN_ID}  " in out
    assert out.rstrip().splitlines()[-1].startswith("FAIL: ")


def test_sessions_table_shows_a_hostile_session_id_escaped(hostile: Path) -> None:
    """The sessions table prints the id with its control characters escaped."""
    code, out, _ = run("sessions", "--source", str(hostile))
    assert code == 0
    assert _raw(out) == []
    assert SHOWN_ID in out


def test_replay_and_diff_headlines_escape_a_hostile_session_id(hostile: Path) -> None:
    """The replay's and the diff's headlines name the session with its control characters escaped."""
    code, out, _ = run("replay", HOSTILE_ID, "--source", str(hostile))
    assert code == 0 and _raw(out) == []
    assert out.startswith(f"Session: {SHOWN_ID} |")
    code, out, _ = run("diff", "s_0001", HOSTILE_ID, "--source", str(hostile))
    assert code == 1 and _raw(out) == []
    assert f"b: {SHOWN_ID} (Fail" in out


@pytest.mark.slow  # the agent runs in a child process
def test_replay_and_diff_show_invisible_characters_in_recorded_names(tmp_path: Path) -> None:
    """A zero-width space or a bidi override in a tool's name or argument is shown as an escape."""
    traces, ids = record(tmp_path, {
        "plain": {"steps": [{"tool": "lookup", "args": {"q": "file.png"}}]},
        "hidden": {"steps": [{"tool": "lookup\u200b", "args": {"q": "\u202egnp.exe"}}]},
    })
    code, out, _ = run("replay", ids["hidden"], "--source", str(traces))
    assert code == 0 and _raw(out) == []
    assert "lookup\\u200b" in out and "\\u202egnp.exe" in out
    code, out, _ = run("diff", ids["plain"], ids["hidden"], "--source", str(traces))
    assert code == 1 and _raw(out) == []
    assert "a: lookup\n" in out and "b: lookup\\u200b\n" in out
