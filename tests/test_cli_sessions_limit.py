"""``agentops-otel sessions`` says what its --limit left out, and never shows a nested session as if it stood alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_cli import NOW_NS, run, session_line, write_file

MS = 1_000_000


def _many(tmp_path: Path, n: int) -> Path:
    return write_file(tmp_path / "traces.jsonl",
                      [session_line(i, fail=False, start_ns=NOW_NS + i * MS) for i in range(1, n + 1)])


def _nested_started_later(tmp_path: Path) -> Path:
    """s_0001 holding s_0002, which starts 10 ms later (so a newest-first cut keeps the child)."""
    outer = session_line(1, fail=False, tags=("test",))
    inner = session_line(2, fail=True, tags=("support",), start_ns=NOW_NS + 10 * MS)
    spans: list[dict[str, Any]] = inner["resourceSpans"][0]["scopeSpans"][0]["spans"]
    outer_root = outer["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    for span in spans:
        span["traceId"] = outer_root["traceId"]
    spans[0]["parentSpanId"] = outer_root["spanId"]
    spans[0]["attributes"].append({"key": "agentops.session.parent_id", "value": {"stringValue": "s_0001"}})
    return write_file(tmp_path / "nested.jsonl", [outer, inner])


def test_the_default_limit_says_how_many_sessions_it_left_out(tmp_path: Path) -> None:
    """22 sessions listed with the default limit: 20 rows, then a line naming the 2 left out and --limit."""
    code, out, err = run("sessions", "--source", str(_many(tmp_path, 22)))
    assert code == 0
    assert len(out.splitlines()) == 1 + 20
    assert "2 more sessions" in err and "--limit 0" in err


def test_a_listing_within_the_limit_says_nothing_more(tmp_path: Path) -> None:
    """Every session shown: no line about more."""
    code, _out, err = run("sessions", "--source", str(_many(tmp_path, 3)))
    assert (code, err) == (0, "")


def test_sessions_json_counts_the_sessions_left_out(tmp_path: Path) -> None:
    """--json carries the same information: how many sessions the limit left out."""
    code, out, _ = run("sessions", "--source", str(_many(tmp_path, 4)), "--limit", "3", "--json")
    doc = json.loads(out)
    assert code == 0 and len(doc["sessions"]) == 3 and doc["more"] == 1


def test_a_nested_session_listed_without_its_parent_names_the_parent(tmp_path: Path) -> None:
    """--limit 1 keeps the newest session, a nested one: its row says which session holds it, not listed."""
    code, out, err = run("sessions", "--source", str(_nested_started_later(tmp_path)), "--limit", "1")
    [row] = out.splitlines()[1:]
    assert code == 0 and row.startswith("s_0002")
    assert "nested in s_0001, not listed" in row
    assert "1 more session " in err
