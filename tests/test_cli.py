"""The agentops-otel CLI against OTLP JSON files and a local server that answers like Jaeger's v3 API."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from agentops_otel.cli import main, parse_time

NOW_NS = time.time_ns() - 60 * 1_000_000_000  # a minute ago: inside gate's default 1h window
SERVICE = "billing-bot"


# --- OTLP JSON, as the collector's file exporter writes it ----------------------------------------


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [_value(x) for x in v]}}
    return {"stringValue": str(v)}


def _attrs(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in d.items() if v is not None]


def _span(trace_id: str, span_id: str, parent: str | None, name: str, kind: int, start: int, end: int,
          attrs: dict[str, Any], *, error: tuple[str, str] | None = None) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": trace_id, "spanId": span_id, "parentSpanId": parent or "", "name": name, "kind": kind,
        "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), "attributes": _attrs(attrs),
        "status": {"code": 2, "message": error[1]} if error else {"code": 1},
    }
    if error:
        span["events"] = [{"name": "exception", "timeUnixNano": str(end), "attributes": _attrs(
            {"exception.type": error[0], "exception.message": error[1],
             "exception.stacktrace": f"Traceback (most recent call last):\n{error[0]}: {error[1]}"})}]
    return span


def session_line(n: int, *, fail: bool, cost: float = 0.002, tags: tuple[str, ...] = ("support",),
                 start_ns: int = NOW_NS, service: str = SERVICE) -> dict[str, Any]:
    """One agent run as one trace: root, an LLM call, then fetch_customer_data (raising when ``fail``)."""
    trace_id = f"{n:032x}"
    sid = f"s_{n:04d}"
    root, llm, tool = f"{n:08x}00000001", f"{n:08x}00000002", f"{n:08x}00000003"
    ms = 1_000_000
    customer = None if fail else "C-42"
    error = ("ValueError", "customer_id cannot be None") if fail else None
    common = {"session.id": sid, "agentops.tags": list(tags)}
    spans = [
        _span(trace_id, root, None, "invoke_agent support-agent", 1, start_ns, start_ns + 4200 * ms, {
            **common, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support-agent",
            "gen_ai.conversation.id": sid, "agentops.session.name": "support-agent",
            "agentops.session.end_state": "Fail" if fail else "Success",
            "agentops.session.end_reason": "ValueError: customer_id cannot be None" if fail else None,
            "agentops.session.cost_usd": cost, "agentops.session.cost_micros": round(cost * 1e6),
            "agentops.session.cost_complete": True, "agentops.session.llm_calls": 1,
            "agentops.session.tool_calls": 1, "agentops.session.errors": 1 if fail else 0,
            "agentops.session.failed_span_id": tool if fail else None,
            "agentops.session.failed_span_name": "execute_tool fetch_customer_data" if fail else None,
            "gen_ai.usage.input_tokens": 412, "gen_ai.usage.output_tokens": 38, "agentops.seq": 0,
            "error.type": "ValueError" if fail else None,
        }, error=error),
        _span(trace_id, llm, root, "chat gpt-4o", 3, start_ns + 10 * ms, start_ns + 1200 * ms, {
            **common, "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 412, "gen_ai.usage.output_tokens": 38, "agentops.cost.usd": cost,
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "I was charged twice"}]}]),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": "Looking into it"}]}]),
            "agentops.seq": 1,
        }),
        _span(trace_id, tool, root, "execute_tool fetch_customer_data", 1, start_ns + 1890 * ms,
              start_ns + 1891 * ms, {
                  **common, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "fetch_customer_data",
                  "gen_ai.tool.call.arguments": json.dumps({"customer_id": customer}),
                  "gen_ai.tool.call.result": None if fail else json.dumps({"name": "Ada"}),
                  "error.type": "ValueError" if fail else None, "agentops.seq": 2,
              }, error=error),
    ]
    return {"resourceSpans": [{
        "resource": {"attributes": _attrs({"service.name": service})},
        "scopeSpans": [{"scope": {"name": "agentops_otel"}, "spans": spans}],
    }]}


def write_file(path: Path, lines: list[dict[str, Any]]) -> Path:
    """Write OTLP JSON lines, one resourceSpans object per line."""
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    """Four sessions: 1 and 3 succeed, 2 fails on customer_id=None, 4 succeeds but costs $0.02."""
    return write_file(tmp_path / "traces.jsonl", [
        session_line(1, fail=False), session_line(2, fail=True), session_line(3, fail=False),
        session_line(4, fail=False, cost=0.02, tags=("support", "expensive")),
    ])


def run(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process, returning (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_version_is_printed_by_both_entry_points() -> None:
    """`agentops-otel --version` and `python -m agentops_otel --version` say which version is installed."""
    import subprocess
    import sys
    from importlib.metadata import version

    proc = subprocess.run([sys.executable, "-m", "agentops_otel", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"agentops-otel {version('agentops-otel-replay')}"
    code, out, _ = run("--version")
    assert (code, out.strip()) == (0, f"agentops-otel {version('agentops-otel-replay')}")


# --- replay ----------------------------------------------------------------------------------------


def test_replay_session_from_file(traces: Path) -> None:
    """Replaying a session id shows the headline and marks the failing tool call."""
    code, out, err = run("replay", "s_0002", "--source", str(traces))
    assert (code, err) == (0, "")
    assert out.startswith("Session: s_0002 | Duration: 4.2s | Cost: $0.002 | Status: Fail\n")
    assert "← ERROR ValueError: customer_id cannot be None" in out
    assert "\x1b[" not in out


def test_replay_by_trace_id(traces: Path) -> None:
    """A 32-hex id is looked up as a trace first."""
    code, out, _ = run("replay", f"{3:032x}", "--source", str(traces))
    assert code == 0
    assert out.startswith("Session: s_0003 ")


def test_replay_file_without_id_shows_every_session(traces: Path) -> None:
    """For a file source the id is optional: all sessions are replayed."""
    code, out, _ = run("replay", "--source", str(traces))
    assert code == 0
    assert [ln.split(" |")[0] for ln in out.splitlines() if ln.startswith("Session: ")] == [
        "Session: s_0001", "Session: s_0002", "Session: s_0003", "Session: s_0004"]


def test_replay_of_a_file_named_as_the_argument_shows_every_session(traces: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`replay FILE`, without --source, replays every session in FILE rather than looking for a session so named."""
    monkeypatch.chdir(traces.parent)
    monkeypatch.delenv("AGENTOPS_OTEL_FILE", raising=False)
    code, out, err = run("replay", traces.name)
    assert (code, err) == (0, "")
    assert out == run("replay", "--source", str(traces))[1]


def test_replay_json(traces: Path) -> None:
    """--json prints the timeline@1 document."""
    code, out, _ = run("replay", "s_0002", "--source", str(traces), "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["schema"] == "agentops-otel/timeline@1"
    assert doc["summary"]["end_state"] == "Fail"
    assert doc["steps"][doc["summary"]["failed_step_index"]]["name"] == "fetch_customer_data"


def test_replay_html(traces: Path, tmp_path: Path) -> None:
    """--html writes the self-contained page and says so on stderr."""
    out_file = tmp_path / "replay.html"
    code, out, err = run("replay", "s_0002", "--source", str(traces), "--html", str(out_file))
    assert code == 0
    assert err == f"wrote {out_file} (1 session)\n"
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "s_0002" in page
    assert out.startswith("Session: s_0002")


def test_replay_html_refuses_to_write_over_the_trace_file(traces: Path) -> None:
    """--html naming the source file exits 2 and leaves the traces as they were."""
    before = traces.read_bytes()
    err = _one_line_error(*run("replay", "s_0002", "--source", str(traces), "--html", str(traces)))
    assert "not an HTML replay" in err and str(traces) in err
    assert traces.read_bytes() == before


def test_replay_html_refuses_to_write_over_a_file_of_the_users(traces: Path, tmp_path: Path) -> None:
    """An existing file that is not a replay this tool wrote is left alone, exit 2."""
    page = tmp_path / "notes.html"
    page.write_text("<!doctype html><p>my notes</p>\n", encoding="utf-8")
    _one_line_error(*run("replay", "s_0002", "--source", str(traces), "--html", str(page)))
    assert page.read_text(encoding="utf-8") == "<!doctype html><p>my notes</p>\n"


def test_replay_html_replaces_its_own_earlier_page(traces: Path, tmp_path: Path) -> None:
    """Writing the replay again to the same path updates it."""
    page = tmp_path / "replay.html"
    assert run("replay", "s_0001", "--source", str(traces), "--html", str(page))[0] == 0
    assert run("replay", "s_0002", "--source", str(traces), "--html", str(page))[0] == 0
    assert "s_0002" in page.read_text(encoding="utf-8")


def test_replay_html_is_private(traces: Path, tmp_path: Path) -> None:
    """The page holds prompts and tool values: only its owner may read it, whatever the umask."""
    page = tmp_path / "replay.html"
    old = os.umask(0o022)
    try:
        assert run("replay", "s_0002", "--source", str(traces), "--html", str(page))[0] == 0
    finally:
        os.umask(old)
    assert page.stat().st_mode & 0o777 == 0o600


def test_replay_uses_the_default_file(traces: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --source the embedded default file (AGENTOPS_OTEL_FILE) is read."""
    monkeypatch.setenv("AGENTOPS_OTEL_FILE", str(traces))
    code, out, _ = run("replay", "s_0001")
    assert code == 0 and out.startswith("Session: s_0001 ")


# --- errors ----------------------------------------------------------------------------------------


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("agentops-otel: error: ")
    return err


def test_unknown_session_is_one_line(traces: Path) -> None:
    """An unknown id exits 2 with one line naming the id and the source."""
    err = _one_line_error(*run("replay", "nope", "--source", str(traces)))
    assert "'nope'" in err and str(traces) in err


def test_missing_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing default file says where it looked and how to point elsewhere."""
    monkeypatch.setenv("AGENTOPS_OTEL_FILE", str(tmp_path / "absent.jsonl"))
    err = _one_line_error(*run("sessions"))
    assert "absent.jsonl" in err and "--source" in err


def test_a_directory_as_source_says_it_is_a_directory(tmp_path: Path) -> None:
    """--source naming a folder is not "no such file": it says the folder is one and what --source takes."""
    err = _one_line_error(*run("sessions", "--source", str(tmp_path)))
    assert "is a directory" in err and "no such file" not in err and ".jsonl" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_as_source_says_it_is_not_a_file(tmp_path: Path) -> None:
    """--source <(zcat traces.gz) names a pipe: said so, with what to do, not "no such file"."""
    pipe = tmp_path / "traces.jsonl"
    os.mkfifo(pipe)
    err = _one_line_error(*run("sessions", "--source", str(pipe)))
    assert "not a regular file" in err and "no such file" not in err and "save it to a file" in err


def test_malformed_file_is_one_line(tmp_path: Path) -> None:
    """A file that is not OTLP JSON exits 2 without a traceback."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not json\n", encoding="utf-8")
    _one_line_error(*run("replay", "s_1", "--source", str(bad)))


def _snake_case(line: dict[str, Any]) -> dict[str, Any]:
    """The line as protobuf's MessageToJson(preserving_proto_field_name=True) names its containers."""
    rs = line["resourceSpans"][0]
    return {"resource_spans": [{"resource": rs["resource"], "scope_spans": rs["scopeSpans"]}]}


@pytest.mark.parametrize("spelling", ["proto field names", "unknown object", "misspelled key"])
def test_gate_does_not_pass_over_a_line_it_cannot_read_as_otlp(tmp_path: Path, spelling: str) -> None:
    """A JSON line holding no resourceSpans is a read error naming the line, not an empty document."""
    failed = session_line(2, fail=True)
    odd = {"proto field names": _snake_case(failed), "unknown object": {"foo": 1},
           "misspelled key": {"resourceSpan": failed["resourceSpans"]}}[spelling]
    path = write_file(tmp_path / "traces.jsonl", [session_line(1, fail=False), odd, session_line(3, fail=False)])
    err = _one_line_error(*run("gate", "--source", str(path), "--max-failure-rate", "0.05"))
    assert "traces.jsonl, line 2" in err and "resourceSpans" in err
    if spelling == "proto field names":
        assert "resource_spans" in err


def test_empty_otlp_documents_are_read_as_no_spans(tmp_path: Path) -> None:
    """`{}` and `{"resourceSpans": []}` are what exporters write for an empty batch: no spans, no error."""
    path = tmp_path / "traces.jsonl"
    path.write_text('{}\n{"resourceSpans": []}\n' + json.dumps(session_line(1, fail=False)) + "\n")
    code, out, _ = run("sessions", "--source", str(path))
    assert code == 0 and "s_0001" in out


def test_gate_on_a_file_holding_no_trace_export_is_an_error_naming_it(tmp_path: Path) -> None:
    """Pointed at the logs file by mistake, the gate exits 2 naming it instead of judging no sessions."""
    path = write_file(tmp_path / "logs.jsonl", [{"resourceLogs": [{"scopeLogs": []}]}, {}])
    err = _one_line_error(*run("gate", "--source", str(path), "--max-failure-rate", "0.05"))
    assert "logs.jsonl" in err and "trace export" in err


def test_a_file_nested_deeper_than_the_reader_goes_is_one_line(tmp_path: Path) -> None:
    """A hostile (or corrupt) trace file with an attribute nested thousands deep exits 2, no traceback."""
    value = '{"arrayValue":{"values":[' * 3000 + '{"stringValue":"x"}' + "]}}" * 3000
    span = ('{"traceId":"' + "0" * 31 + '1","spanId":"' + "0" * 15 + '1","name":"s","kind":1,'
            '"startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"deep","value":' + value + "}]}")
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"x"},'
                    '"spans":[' + span + "]}]}]}\n", encoding="utf-8")
    err = _one_line_error(*run("replay", "--source", str(deep)))
    assert "deep.jsonl" in err and "nested" in err


def _with_deep_tool_payloads(n: int) -> dict[str, Any]:
    """A session whose tool arguments and result are JSON text nested deeper than Python's parser goes."""
    line = session_line(n, fail=False)
    deep = "[" * 3000 + "]" * 3000
    tool = line["resourceSpans"][0]["scopeSpans"][0]["spans"][2]
    for attr in tool["attributes"]:
        if attr["key"] in ("gen_ai.tool.call.arguments", "gen_ai.tool.call.result"):
            attr["value"] = {"stringValue": deep}
    return line


@pytest.mark.parametrize("view", [(), ("--json",), ("--html", "{tmp}/out.html")])
def test_recorded_text_nested_deeper_than_the_parser_goes_is_shown_as_text(tmp_path: Path,
                                                                           view: tuple[str, ...]) -> None:
    """Recorded payloads are shown parsed when they parse; text the parser can't take is shown as text."""
    traces = write_file(tmp_path / "deep.jsonl", [_with_deep_tool_payloads(1)])
    code, out, err = run("replay", "s_0001", "--source", str(traces),
                         *(v.format(tmp=tmp_path) for v in view))
    assert code == 0 and "Traceback" not in err
    shown = (tmp_path / "out.html").read_text(encoding="utf-8") if "--html" in view else out
    assert "[[[[[[[[" in shown


def test_diff_of_sessions_with_deeply_nested_payloads_runs(tmp_path: Path) -> None:
    """`diff` compares such payloads as text rather than failing."""
    traces = write_file(tmp_path / "deep.jsonl", [_with_deep_tool_payloads(1), session_line(2, fail=False)])
    code, _out, err = run("diff", "s_0001", "s_0002", "--source", str(traces))
    assert code == 1 and "Traceback" not in err


def test_export_test_args_nested_too_deeply_is_one_line(traces: Path) -> None:
    """A hand-typed --args that is nested past the parser's depth is a usage error, not a traceback."""
    err = _one_line_error(*run("export-test", "s_0001", "--source", str(traces), "--call", "m:f",
                               "--args", "[" * 100_000))
    assert "--args" in err


def test_unreachable_backend_is_one_line() -> None:
    """A Jaeger that does not answer exits 2 with one line."""
    _one_line_error(*run("replay", "s_0001", "--source", "jaeger://127.0.0.1:9", "--timeout", "2"))


_BROKEN_URLS = ["jaeger://[::1", "tempo://[::1:3200", "http://[zz]:16686"]


@pytest.mark.parametrize("argv", [("gate", "--max-failure-rate", "0.05", "--source", url)
                                  for url in [*_BROKEN_URLS, "prometheus://[::1"]]
                         + [("sessions", "--source", url) for url in _BROKEN_URLS])
def test_a_malformed_source_url_is_one_line(argv: tuple[str, ...]) -> None:
    """A source URL with a broken IPv6 host exits 2 naming it, never a traceback (exit 1 is the gate's FAIL)."""
    err = _one_line_error(*run(*argv))
    assert repr(argv[-1]) in err and "invalid" in err


def test_backend_needs_an_id() -> None:
    """Replaying a backend without an id is a usage error pointing at `sessions`."""
    err = _one_line_error(*run("replay", "--source", "jaeger://127.0.0.1:9"))
    assert "agentops-otel sessions" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse errors (missing command, bad rate) exit 2."""
    assert main([]) == 2
    assert main(["gate", "--max-failure-rate", "lots"]) == 2
    assert "invalid rate" in capsys.readouterr().err


# --- sessions --------------------------------------------------------------------------------------


def test_sessions_table(traces: Path) -> None:
    """The listing has one row per session, newest first, with state, cost, steps and a link."""
    code, out, _ = run("sessions", "--source", str(traces))
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["SESSION", "START", "(UTC)", "NAME", "STATE", "DURATION", "COST", "STEPS", "URL"]
    assert len(lines) == 5
    row = next(ln for ln in lines if ln.startswith("s_0002"))
    assert "Fail" in row and "4.2s" in row and "$0.002" in row
    assert f"/trace/{2:032x}" in row


def test_sessions_filters(traces: Path) -> None:
    """--state, --tag and --limit narrow the listing."""
    _, out, _ = run("sessions", "--source", str(traces), "--state", "Fail")
    assert [ln.split()[0] for ln in out.splitlines()[1:]] == ["s_0002"]
    _, out, _ = run("sessions", "--source", str(traces), "--tag", "expensive")
    assert [ln.split()[0] for ln in out.splitlines()[1:]] == ["s_0004"]
    _, out, _ = run("sessions", "--source", str(traces), "--limit", "2", "--json")
    assert len(json.loads(out)["sessions"]) == 2


@pytest.mark.parametrize("state", ["fail", "FAIL", "Fail"])
def test_sessions_state_is_matched_in_any_case(traces: Path, state: str) -> None:
    """--state takes the end state in any case, as end_session() and assert_ended_with do."""
    code, out, err = run("sessions", "--source", str(traces), "--state", state)
    assert (code, err) == (0, "")
    assert [ln.split()[0] for ln in out.splitlines()[1:]] == ["s_0002"]


def test_sessions_state_that_is_no_end_state_is_refused(traces: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A state that is none of the three is a usage error naming the choices, not an empty listing."""
    code, out, _ = run("sessions", "--source", str(traces), "--state", "failed")
    err = capsys.readouterr().err
    assert (code, out) == (2, "") and "'failed'" in err and "Indeterminate" in err


def _nested(tmp_path: Path) -> Path:
    """A test's session s_0001 (tagged test, passing) holding the agent's session s_0002 (tagged support, failing),
    as agentops_session_per_test lays them out."""
    outer, inner = session_line(1, fail=False, tags=("test",)), session_line(2, fail=True, tags=("support",))
    inner_spans = inner["resourceSpans"][0]["scopeSpans"][0]["spans"]
    outer_root = outer["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    for span in inner_spans:
        span["traceId"] = outer_root["traceId"]
    inner_spans[0]["parentSpanId"] = outer_root["spanId"]
    inner_spans[0]["attributes"].append({"key": "agentops.session.parent_id", "value": {"stringValue": "s_0001"}})
    return write_file(tmp_path / "nested.jsonl", [outer, inner])


@pytest.mark.parametrize("flt", [("--tag", "support"), ("--state", "Fail")])
def test_sessions_filters_find_a_nested_session(tmp_path: Path, flt: tuple[str, str]) -> None:
    """A nested session matching --tag or --state is listed, though its parent does not match: marked nested in
    the parent that is not listed."""
    code, out, err = run("sessions", "--source", str(_nested(tmp_path)), *flt)
    rows = out.splitlines()[1:]
    assert code == 0 and err == ""
    assert len(rows) == 1 and rows[0].startswith("s_0002") and "Fail" in rows[0]
    assert "(nested in s_0001, not listed)" in rows[0]


def test_sessions_tag_on_a_parent_leaves_out_its_untagged_children(tmp_path: Path) -> None:
    """--tag lists the sessions carrying the tag: the tagged parent, not the nested session it holds."""
    code, out, err = run("sessions", "--source", str(_nested(tmp_path)), "--tag", "test")
    rows = out.splitlines()[1:]
    assert code == 0 and err == ""
    assert [row.split()[0] for row in rows] == ["s_0001"]


def test_gate_filters_still_judge_only_outermost_runs(tmp_path: Path) -> None:
    """The gate's --tag selects runs by their outermost session: a nested session's own tag makes no run."""
    code, out, _ = run("gate", "--source", str(_nested(tmp_path)), "--tag", "support", "--max-failure-rate", "0.5")
    assert code == 3 and "only 0 sessions found" in out
    code, out, _ = run("gate", "--source", str(_nested(tmp_path)), "--tag", "test", "--max-failure-rate", "0.5",
                       "--json")
    assert code == 0 and json.loads(out)["sessions"] == 1


def test_sessions_json(traces: Path) -> None:
    """--json lists the summaries with step counts and links."""
    code, out, _ = run("sessions", "--source", str(traces), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["schema"] == "agentops-otel/sessions@1"
    assert {s["session_id"]: s["steps"] for s in doc["sessions"]} == {
        "s_0001": 2, "s_0002": 2, "s_0003": 2, "s_0004": 2}


# --- gate ------------------------------------------------------------------------------------------


def test_gate_fails_above_the_failure_rate(traces: Path) -> None:
    """1 of 4 sessions failed: a 5% bound is broken (exit 1), the figures and the failed link shown."""
    code, out, _ = run("gate", "--source", str(traces), "--since", "1h", "--max-failure-rate", "0.05")
    assert code == 1
    assert "Failed: 1/4 = 25.0% (max 5.0%)" in out
    assert "  s_0002  " in out
    assert out.splitlines()[-1] == "FAIL: failure rate 25.0% > 5.0%"


def test_gate_passes_within_bounds(traces: Path) -> None:
    """A 30% bound holds: exit 0 and PASS."""
    code, out, _ = run("gate", "--source", str(traces), "--max-failure-rate", "30%")
    assert code == 0
    assert out.splitlines()[-1] == "PASS"


def test_gate_cost_bound(traces: Path) -> None:
    """A session over the per-session cost bound breaks the gate."""
    code, out, _ = run("gate", "--source", str(traces), "--max-failure-rate", "0.5",
                       "--max-cost-per-session", "0.01")
    assert code == 1
    assert "Cost per session: max $0.02, mean $0.0065 (bound $0.01)" in out
    assert out.splitlines()[-1] == "FAIL: 1 session cost more than $0.01"


@pytest.mark.parametrize(("option", "value"), [("--max-cost-per-session", "nan"),
                                               ("--max-cost-per-session", "inf"),
                                               ("--timeout", "nan"), ("--since", "inf")])
def test_gate_refuses_numbers_that_are_no_bound(traces: Path, capsys: pytest.CaptureFixture[str],
                                                option: str, value: str) -> None:
    """NaN compares false with every cost, so a NaN bound would pass anything: a usage error naming it."""
    code, out, _ = run("gate", "--source", str(traces), "--max-failure-rate", "0.5", option, value)
    err = capsys.readouterr().err
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"agentops-otel gate: error: argument {option}: " in err and value in err.splitlines()[-1]


@pytest.mark.parametrize(("bound", "value"), [("max_cost", float("nan")), ("max_failure_rate", float("nan")),
                                             ("max_failure_rate", 1.5), ("max_cost", -0.01)])
def test_the_gate_api_refuses_numbers_that_are_no_bound(bound: str, value: float) -> None:
    """``evaluate_gate`` called from a script refuses a NaN or out-of-range bound, naming it, as the CLI does."""
    from agentops_otel.gate import evaluate_gate

    kwargs: dict[str, Any] = {"max_failure_rate": 0.5, bound: value}
    with pytest.raises(ValueError, match=f"^{bound}={value!r} is not a bound"):
        evaluate_gate([], **kwargs)


_ROOT, _TOOL = 0, 2
"""Span indexes in session_line: the root, and the tool span (named by convention: nothing reads its
attributes while reassembling)."""


def _with_unreadable_attribute(line: dict[str, Any], span: int = _ROOT) -> dict[str, Any]:
    """One attribute on a span whose value can't be read (an int64 that is not a number)."""
    target = line["resourceSpans"][0]["scopeSpans"][0]["spans"][span]
    target["attributes"].append({"key": "vendor.retries", "value": {"intValue": "abc"}})
    return line


def test_one_unreadable_attribute_loses_only_itself(tmp_path: Path) -> None:
    """The rest of the span is read (the session still shows Fail) and the replay says what was lost."""
    traces = write_file(tmp_path / "t.jsonl", [_with_unreadable_attribute(session_line(1, fail=True))])
    code, out, err = run("replay", "s_0001", "--source", str(traces))
    assert code == 0 and "Traceback" not in err
    assert "Fail" in out and "Indeterminate" not in out
    assert "vendor.retries" in out


def test_the_gate_does_not_pass_sessions_with_unreadable_attributes(tmp_path: Path) -> None:
    """Data that could not be read is not judged as if it were fine: INSUFFICIENT DATA (exit 3)."""
    traces = write_file(tmp_path / "t.jsonl", [_with_unreadable_attribute(session_line(1, fail=False))])
    code, out, _ = run("gate", "--source", str(traces), "--since", "1h", "--max-failure-rate", "0.5")
    assert code == 3
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and "could not be read" in out


def test_an_unreadable_attribute_on_a_span_nothing_reads_still_keeps_the_gate_from_passing(tmp_path: Path) -> None:
    """Whether a span's attributes happened to be decoded does not decide whether the loss is seen."""
    traces = write_file(tmp_path / "t.jsonl", [_with_unreadable_attribute(session_line(1, fail=False), _TOOL)])
    code, out, _ = run("gate", "--source", str(traces), "--since", "1h", "--max-failure-rate", "0.5")
    assert code == 3 and "could not be read" in out
    _, shown, _ = run("replay", "s_0001", "--source", str(traces))
    assert "vendor.retries" in shown


def test_an_unreadable_attribute_in_a_nested_session_keeps_the_gate_from_passing(tmp_path: Path) -> None:
    """The gate judges top-level runs; a nested session's unreadable data is part of its run."""
    outer, inner = session_line(1, fail=False), _with_unreadable_attribute(session_line(2, fail=False))
    inner_spans = inner["resourceSpans"][0]["scopeSpans"][0]["spans"]
    outer_root = outer["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    for span in inner_spans:
        span["traceId"] = outer_root["traceId"]
    inner_spans[0]["parentSpanId"] = outer_root["spanId"]
    inner_spans[0]["attributes"].append({"key": "agentops.session.parent_id", "value": {"stringValue": "s_0001"}})
    traces = write_file(tmp_path / "t.jsonl", [outer, inner])
    code, out, _ = run("gate", "--source", str(traces), "--since", "1h", "--max-failure-rate", "0.5")
    assert code == 3 and "could not be read" in out


def test_an_unreadable_resource_attribute_keeps_the_gate_from_passing(tmp_path: Path) -> None:
    """A bad value on the resource (the service's own attributes) is a loss like any other, not silence."""
    line = session_line(1, fail=False)
    line["resourceSpans"][0]["resource"]["attributes"].append(
        {"key": "service.instance.id", "value": {"intValue": "abc"}})
    traces = write_file(tmp_path / "t.jsonl", [line])
    code, out, _ = run("gate", "--source", str(traces), "--since", "1h", "--max-failure-rate", "0.5")
    assert code == 3 and "could not be read" in out
    _, shown, _ = run("replay", "s_0001", "--source", str(traces))
    assert "service.instance.id" in shown


def test_a_span_event_with_an_unreadable_attribute_is_one_line(tmp_path: Path) -> None:
    """A bad value inside an event (an exception's attributes) is a clear error, not a traceback."""
    line = session_line(1, fail=True)
    event = line["resourceSpans"][0]["scopeSpans"][0]["spans"][2]["events"][0]
    event["attributes"].append({"key": "vendor.retries", "value": {"intValue": "abc"}})
    traces = write_file(tmp_path / "t.jsonl", [line])
    err = _one_line_error(*run("replay", "s_0001", "--source", str(traces)))
    assert "event" in err


def test_diff_does_not_call_sessions_identical_when_values_could_not_be_read(tmp_path: Path) -> None:
    """Two sessions whose tool arguments can't be read (a string written as a number) are not 'identical'."""
    lines = []
    for n, bad in ((1, 111), (2, 222)):
        line = session_line(n, fail=False)
        tool = line["resourceSpans"][0]["scopeSpans"][0]["spans"][2]
        for attr in tool["attributes"]:
            if attr["key"] == "gen_ai.tool.call.arguments":
                attr["value"] = {"stringValue": bad}
        lines.append(line)
    traces = write_file(tmp_path / "t.jsonl", lines)
    code, out, _ = run("diff", "s_0001", "s_0002", "--source", str(traces))
    assert code == 1 and "identical" not in out and "could not be read" in out


def test_gate_min_sessions_and_window(traces: Path) -> None:
    """Sessions outside --since/--until don't count, and too few sessions are INSUFFICIENT DATA (exit 3)."""
    window = ("--since", "3h", "--until", "2h")
    code, out, _ = run("gate", "--source", str(traces), *window, "--max-failure-rate", "0.05")
    assert code == 3
    assert out.splitlines()[-1] == "INSUFFICIENT DATA: only 0 sessions found, need at least 1"
    code, _, _ = run("gate", "--source", str(traces), *window, "--max-failure-rate", "0.05", "--min-sessions", "0")
    assert code == 0


def test_gate_json(traces: Path) -> None:
    """--json gives the figures to scripts, with the same exit code."""
    code, out, _ = run("gate", "--source", str(traces), "--max-failure-rate", "0.05", "--tag", "support",
                       "--json")
    doc = json.loads(out)
    assert code == 1
    assert (doc["ok"], doc["sessions"], doc["failures"], doc["failed_sessions"]) == (False, 4, 1, ["s_0002"])


# --- diff ------------------------------------------------------------------------------------------


def test_diff_finds_the_diverging_call(traces: Path) -> None:
    """Passing vs failing run: same tool, different arguments at step 1; exit 1 like diff(1)."""
    code, out, _ = run("diff", "s_0001", "s_0002", "--source", str(traces))
    assert code == 1
    assert "Diverged at step #1: same tool, different arguments" in out
    assert '  customer_id: "C-42" → null' in out


def test_diff_identical(traces: Path) -> None:
    """Two runs that made the same calls exit 0."""
    code, out, _ = run("diff", "s_0001", f"{3:032x}", "--source", str(traces))
    assert code == 0
    assert "No divergence: identical" in out


def test_diff_does_not_call_sessions_identical_when_spans_were_lost(tmp_path: Path) -> None:
    """Same steps found, but one root counted more tool calls than arrived: not identical, exit 1."""
    lost = session_line(3, fail=False)
    root_attrs = lost["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]
    for attr in root_attrs:
        if attr["key"] == "agentops.session.tool_calls":
            attr["value"] = {"intValue": "3"}
    traces = write_file(tmp_path / "t.jsonl", [session_line(1, fail=False), lost])
    code, out, _ = run("diff", "s_0001", "s_0003", "--source", str(traces), "--no-color")
    assert code == 1 and "identical" not in out
    assert "No divergence: not recorded in full" in out
    assert "b not recorded in full: root reports 3 tool calls, 1 found" in out


def test_diff_does_not_call_sessions_identical_when_their_roots_never_arrived(tmp_path: Path) -> None:
    """Two sessions whose roots were lost (killed processes) are not identical, exit 1."""
    lines = [session_line(1, fail=False), session_line(3, fail=False)]
    for line in lines:
        del line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    traces = write_file(tmp_path / "t.jsonl", lines)
    code, out, _ = run("diff", "s_0001", "s_0003", "--source", str(traces), "--no-color")
    assert code == 1 and "identical" not in out
    assert "a not recorded in full: root span missing" in out and "b not recorded in full" in out


RECORD_REFUNDS = """
import agentops_otel as a

@a.tool
def refund(amount, note=""):
    return "ok"

a.init(capture_content=False)
with a.session("off-small"):
    refund(10)
with a.session("off-large"):
    refund(10000)
a.init(capture_content=True)
long = "x" * 5000  # past the default 4096-character bound: cut with a marker
with a.session("cut-a"):
    refund(10, note=long + "a")
with a.session("cut-b"):
    refund(10, note=long + "b")
with a.session("cut-b-more"):
    refund(11, note=long + "b")
with a.session("big-a"):
    refund(2**64 + 1)
with a.session("big-b"):
    refund(2**64 + 999)
a.init(capture_content="event_only")
with a.session("event-small"):
    refund(10, note="first refund")
with a.session("event-large"):
    refund(10000, note="first refund")
"""


@pytest.fixture(scope="module")
def refunds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Refund sessions recorded by a real process: without content capture, and with arguments cut."""
    path = tmp_path_factory.mktemp("refunds") / "t.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
    subprocess.run([sys.executable, "-c", RECORD_REFUNDS], check=True, timeout=60,
                   env={**env, "AGENTOPS_OTEL_FILE": str(path)})
    code, out, _ = run("sessions", "--source", str(path), "--json")
    assert code == 0
    return path, {s["name"]: s["session_id"] for s in json.loads(out)["sessions"]}


@pytest.mark.slow  # a child interpreter
def test_diff_does_not_call_sessions_identical_when_arguments_were_not_recorded(
        refunds: tuple[Path, dict[str, str]]) -> None:
    """refund(10) and refund(10000) recorded without content: the diff says the arguments are unknown."""
    path, ids = refunds
    code, out, _ = run("diff", ids["off-small"], ids["off-large"], "--source", str(path))
    assert code == 1 and "identical" not in out
    assert ("No divergence: content unknown: some arguments or messages were not recorded, were cut or were masked"
            in out)
    assert "  step #0 tool refund: arguments not recorded in a and b" in out


def test_diff_does_not_call_sessions_identical_when_arguments_were_cut(
        refunds: tuple[Path, dict[str, str]]) -> None:
    """Arguments that differ only past the recording bound are unknown, not identical."""
    path, ids = refunds
    code, out, _ = run("diff", ids["cut-a"], ids["cut-b"], "--source", str(path))
    assert code == 1 and "identical" not in out
    assert "  step #0 tool refund: arguments cut at the recording bound in a and b" in out


def test_diff_does_not_call_sessions_identical_when_numbers_were_too_big_to_record(
        refunds: tuple[Path, dict[str, str]]) -> None:
    """refund(2**64 + 1) and refund(2**64 + 999) are recorded by size only: unknown, not identical."""
    path, ids = refunds
    code, out, _ = run("diff", ids["big-a"], ids["big-b"], "--source", str(path))
    assert code == 1 and "identical" not in out
    assert "  step #0 tool refund: arguments cut at the recording bound in a and b" in out


def test_replay_shows_tool_arguments_captured_on_the_event_only(refunds: tuple[Path, dict[str, str]]) -> None:
    """Recorded with event_only capture, a tool's arguments and result are in the text replay of the trace."""
    path, ids = refunds
    code, out, _ = run("replay", ids["event-small"], "--source", str(path))
    assert code == 0
    assert 'tool    refund' in out and 'in: amount=10, note="first refund"  out: "ok"' in out, out


def test_diff_finds_tool_arguments_captured_on_the_event_only(refunds: tuple[Path, dict[str, str]]) -> None:
    """refund(10) and refund(10000) recorded event_only differ in their arguments, which the diff names."""
    path, ids = refunds
    code, out, _ = run("diff", ids["event-small"], ids["event-large"], "--source", str(path))
    assert code == 1 and "not recorded" not in out, out
    assert "amount" in out and "10000" in out, out


def test_diff_still_reports_a_divergence_beside_cut_content(refunds: tuple[Path, dict[str, str]]) -> None:
    """A difference in what was recorded is a divergence, whatever was cut."""
    path, ids = refunds
    code, out, _ = run("diff", ids["cut-a"], ids["cut-b-more"], "--source", str(path))
    assert code == 1
    assert "Diverged at step #0: same tool, different arguments" in out and "amount: 10 → 11" in out


RECORD_INPUTS = """
import anthropic, openai
import agentops_otel as a
from agentops_otel.testing import AnthropicServer, OpenAIServer

@a.tool
def lookup(query, password=None):
    return "r"

a.init(capture_content=True)
with AnthropicServer() as claude, OpenAIServer() as gpt:
    ac = anthropic.Anthropic(base_url=claude.base_url, api_key="x")
    oc = openai.OpenAI(base_url=gpt.base_url, api_key="x")
    for v, system, tool in (("a", "Be careful.", "read_only"), ("b", "Refund everything.", "delete_all")):
        with a.session(f"system-{v}"):
            ac.messages.create(model="claude-sonnet-4-5", max_tokens=10, system=system,
                               messages=[{"role": "user", "content": "hi"}])
        with a.session(f"tools-{v}"):
            oc.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], tools=[
                {"type": "function", "function": {"name": tool, "parameters": {"type": "object"}}}])
        with a.session(f"masked-{v}"):
            lookup("q", password=f"pw-{v}")
"""
RECORD_LONG = """
import agentops_otel as a

@a.tool
def lookup(query):
    return "r"

a.init(capture_content=True)
for v in "ab":
    with a.session(f"long-{v}"):
        lookup("x" * 70 + v)
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """Pairs of sessions recorded by a real process whose inputs differ where the diff used to miss it;
    the second file recorded with the SDK's own attribute length limit at 60 characters."""
    ids: dict[str, str] = {}
    paths = []
    for script, extra in ((RECORD_INPUTS, {}), (RECORD_LONG, {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "60"})):
        path = tmp_path_factory.mktemp("inputs") / "t.jsonl"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
        subprocess.run([sys.executable, "-c", script], check=True, timeout=60,
                       env={**env, **extra, "AGENTOPS_OTEL_FILE": str(path)})
        code, out, _ = run("sessions", "--source", str(path), "--json")
        assert code == 0
        ids.update({s["name"]: s["session_id"] for s in json.loads(out)["sessions"]})
        paths.append(path)
    return paths[0], paths[1], ids


@pytest.mark.slow  # a child interpreter
def test_diff_finds_different_system_prompts(inputs: tuple[Path, Path, dict[str, str]]) -> None:
    """Claude calls with the same messages under other system prompts diverge at that call."""
    path, _, ids = inputs
    code, out, _ = run("diff", ids["system-a"], ids["system-b"], "--source", str(path), "--no-color")
    assert code == 1
    assert "Diverged at step #0: same LLM call, different input" in out
    assert '  system instructions[0].content: "Be careful." → "Refund everything."' in out


def test_diff_finds_different_tool_definitions(inputs: tuple[Path, Path, dict[str, str]]) -> None:
    """OpenAI calls offered other tools (read_only against delete_all) diverge at that call."""
    path, _, ids = inputs
    code, out, _ = run("diff", ids["tools-a"], ids["tools-b"], "--source", str(path), "--no-color")
    assert code == 1
    assert "Diverged at step #0: same LLM call, different input" in out
    assert '  tool definitions[0].name: "read_only" → "delete_all"' in out


def test_diff_does_not_call_masked_arguments_identical(inputs: tuple[Path, Path, dict[str, str]]) -> None:
    """Two different passwords, both recorded as [REDACTED], are unknown, not identical."""
    path, _, ids = inputs
    code, out, _ = run("diff", ids["masked-a"], ids["masked-b"], "--source", str(path), "--no-color")
    assert code == 1 and "identical" not in out
    assert "  step #0 tool lookup: arguments masked in a and b" in out


def test_diff_does_not_call_arguments_cut_by_the_sdk_identical(inputs: tuple[Path, Path, dict[str, str]]) -> None:
    """Arguments cut by OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT (no marker of ours) are unknown, not identical."""
    _, path, ids = inputs
    code, out, _ = run("diff", ids["long-a"], ids["long-b"], "--source", str(path), "--no-color")
    assert code == 1 and "identical" not in out
    assert "  step #0 tool lookup: arguments cut after recording (no longer valid JSON) in a and b" in out


def test_diff_unknown_id(traces: Path) -> None:
    """An unknown id on either side is a one-line error."""
    _one_line_error(*run("diff", "s_0001", "s_9999", "--source", str(traces)))


# --- against a server that answers like Jaeger v3 --------------------------------------------------


class _Jaeger(BaseHTTPRequestHandler):
    """Just enough of Jaeger's /api/v3: traces by id, search by service/time/attributes, services."""

    lines: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    @staticmethod
    def _spans(line: dict[str, Any]) -> list[dict[str, Any]]:
        return [s for rs in line["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]

    @staticmethod
    def _flat(span: dict[str, Any]) -> dict[str, str]:
        out = {}
        for kv in span["attributes"]:
            v = kv["value"]
            out[kv["key"]] = str(next(iter(v.values())))
        return out

    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/api/v3/services":
            self._send(200, {"services": [SERVICE]})
            return
        if url.path.startswith("/api/v3/traces/"):
            tid = url.path.rsplit("/", 1)[1]
            hits = [ln for ln in self.lines if self._spans(ln)[0]["traceId"] == tid]
        elif url.path == "/api/v3/traces":
            def get(name: str) -> str | None:
                return q.get(f"query.{name}") or q.get("query." + "".join(
                    "_" + c.lower() if c.isupper() else c for c in name))
            service, tmin, tmax = get("serviceName"), get("startTimeMin"), get("startTimeMax")
            if not service or not tmin or not tmax:
                self._send(400, {"error": {"message": "service name and time range are required"}})
                return
            lo = datetime.fromisoformat(tmin.replace("Z", "+00:00")).timestamp() * 1e9
            hi = datetime.fromisoformat(tmax.replace("Z", "+00:00")).timestamp() * 1e9
            wanted = json.loads(get("attributes") or "{}")
            hits = []
            for ln in self.lines:
                spans = self._spans(ln)
                svc = ln["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"]
                if svc != service or not any(lo <= int(s["startTimeUnixNano"]) <= hi for s in spans):
                    continue
                if wanted and not any(all(self._flat(s).get(k) == str(v) for k, v in wanted.items())
                                      for s in spans):
                    continue
                hits.append(ln)
        else:
            self._send(404, {"error": {"message": "not found"}})
            return
        if not hits:
            self._send(404, {"error": {"httpCode": 404, "message": "trace not found"}})
            return
        self._send(200, {"result": {"resourceSpans": [rs for ln in hits for rs in ln["resourceSpans"]]}})


@pytest.fixture
def jaeger() -> Iterator[str]:
    """A local Jaeger-v3 look-alike holding ten sessions, two of them failed."""
    _Jaeger.lines = [session_line(n, fail=n in (3, 7)) for n in range(1, 11)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Jaeger)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"jaeger://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_gate_against_jaeger(jaeger: str) -> None:
    """The CI check against a Jaeger v3 API: 2 of 10 failed breaks a 5% bound, links point at Jaeger."""
    code, out, _ = run("gate", "--source", jaeger, "--since", "1h", "--max-failure-rate", "0.05")
    assert code == 1, out
    assert "Failed: 2/10 = 20.0% (max 5.0%)" in out
    host = jaeger.removeprefix("jaeger://")
    assert f"  s_0003  http://{host}/trace/{3:032x}" in out
    code, out, _ = run("gate", "--source", jaeger, "--since", "1h", "--max-failure-rate", "0.25")
    assert code == 0 and out.endswith("PASS\n")


def test_replay_and_diff_against_jaeger(jaeger: str) -> None:
    """Trace and session ids resolve through the backend the same way as through a file."""
    code, out, _ = run("replay", f"{7:032x}", "--source", jaeger)
    assert code == 0 and out.startswith("Session: s_0007 ")
    code, out, _ = run("diff", "s_0002", "s_0003", "--source", jaeger)
    assert code == 1 and "same tool, different arguments" in out


# --- entry points and helpers ----------------------------------------------------------------------


@pytest.mark.slow  # a child interpreter
def test_python_dash_m_runs_the_cli(traces: Path) -> None:
    """`python -m agentops_otel` is the same CLI, with the exit code passed through."""
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "agentops_otel", "gate", "--source", str(traces),
                           "--max-failure-rate", "0.05"], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "FAIL: failure rate 25.0% > 5.0%" in proc.stdout


@pytest.mark.parametrize("text, seconds_ago", [("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172800),
                                                ("1.5h", 5400), ("1w", 604800)])
def test_parse_time_durations(text: str, seconds_ago: int) -> None:
    """Durations mean that long before now."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_time(text, now=now) == now - timedelta(seconds=seconds_ago)


def test_parse_time_absolute() -> None:
    """ISO times (naive = UTC) and unix seconds are absolute."""
    assert parse_time("2026-01-01T10:00:00") == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert parse_time("2026-01-01T10:00:00Z") == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert parse_time("0") == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("command", ["sessions", "gate"])
def test_a_window_that_ends_before_it_starts_is_a_usage_error(traces: Path, command: str) -> None:
    """--until before --since is the user's mistake, said so (exit 2), not an empty window read as no sessions."""
    extra = ["--max-failure-rate", "0.1"] if command == "gate" else []
    code, _, err = run(command, "--source", str(traces), "--since", "2026-01-02", "--until", "2026-01-01", *extra)
    assert code == 2 and "--until" in err and "before --since" in err


@pytest.mark.parametrize("run_args", [(), ("--run", "build-7")])
def test_gate_until_before_its_default_since_is_a_usage_error(tmp_path: Path, run_args: tuple[str, ...]) -> None:
    """``gate --until 2h`` ends before the default window starts (1h ago): exit 2, not a PASS on no sessions."""
    traces = write_file(tmp_path / "traces.jsonl", [])
    until = "30h" if run_args else "2h"  # the default window is 24h under --run
    code, out, err = run("gate", "--source", str(traces), "--max-failure-rate", "0.1", "--min-sessions", "0",
                         "--until", until, *run_args)
    assert (code, out) == (2, "")
    assert "--until" in err and "before" in err and "default" in err and "--since" in err


@pytest.mark.parametrize("argv", [("replay", ""), ("replay", "  "), ("export-test", ""), ("diff", "", "s_0001")])
def test_an_empty_session_id_is_a_usage_error(traces: Path, argv: tuple[str, ...],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """An empty id (an unset shell variable) is the user's mistake, said so (exit 2), not every session shown."""
    code, out, _ = run(*argv, "--source", str(traces))
    assert code == 2 and "empty session id" in capsys.readouterr().err and "Session:" not in out


@pytest.mark.parametrize("argv", [("replay", "s_0002", "--html", ""), ("replay", "--html", " ")])
def test_an_empty_html_path_is_a_usage_error(traces: Path, argv: tuple[str, ...], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty --html (an unset shell variable) is the user's mistake (exit 2), not a page silently left out."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    code, out, _ = run(*argv, "--source", str(traces))
    assert code == 2 and "empty path" in capsys.readouterr().err and "Session:" not in out
    assert list(cwd.iterdir()) == []


@pytest.mark.parametrize("argv", [("sessions", "--source", ""), ("replay", "s_0001", "--source", " "),
                                  ("diff", "s_0001", "s_0002", "--source-b", "")])
def test_an_empty_source_is_a_usage_error(argv: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty --source (an unset shell variable) is refused, not read as the default file's sessions."""
    monkeypatch.setenv("AGENTOPS_OTEL_FILE", str(tmp_path / "default.jsonl"))
    (tmp_path / "default.jsonl").write_text(json.dumps(session_line(1, fail=False)) + "\n")
    code, out, _ = run(*argv)
    assert code == 2 and "empty source" in capsys.readouterr().err
    assert "s_0001" not in out


def test_an_uppercase_session_uuid_finds_its_session(tmp_path: Path) -> None:
    """A session UUID copied in upper case (as some tools show it) replays its session."""
    sid = "8905cc11-f12a-4c0e-aa85-3858565107ae"
    line = json.loads(json.dumps(session_line(1, fail=False)).replace("s_0001", sid))
    traces = write_file(tmp_path / "traces.jsonl", [line])
    code, out, err = run("replay", sid.upper(), "--source", str(traces))
    assert code == 0, err
    assert out.startswith(f"Session: {sid} ")
