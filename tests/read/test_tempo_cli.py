"""The CLI against a stand-in Tempo answering in Tempo's formats: cut traces, tenants, auth."""

from __future__ import annotations

import io

import pytest
from fake_backend import FakeBackend
from opentelemetry.sdk.trace import ReadableSpan
from otlp_samples import make_session_spans, tempo_dialect

from agentops_otel import semconv as sc
from agentops_otel.cli import main


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _cut_trace(spans: list[ReadableSpan]) -> dict[str, object]:
    """Tempo's v2 answer for a trace over its size limit: the root is among the spans it dropped."""
    kept = [s for s in spans if not s.name.startswith(sc.SPAN_SESSION)]
    return {"trace": tempo_dialect(kept), "status": "PARTIAL",
            "message": "trace exceeds max size (max bytes: 5000000), partial trace returned"}


def test_replay_of_a_cut_trace_says_partial(backend: FakeBackend) -> None:
    """A PARTIAL trace replays as cut by Tempo, never as "root span missing"."""
    spans = make_session_spans("sess-cut")
    tid = format(spans[0].context.trace_id, "032x")
    backend.route(f"/api/v2/traces/{tid}", (200, _cut_trace(spans)))
    code, out, err = _run("replay", tid, "--source", "tempo://" + backend.url.removeprefix("http://"),
                          "--no-color")
    assert code == 0, err
    assert "Status: Partial" in out and "trace cut by the backend" in out and "max size" in out
    assert "root span missing" not in out


def test_sessions_lists_a_session_whose_root_was_cut(backend: FakeBackend) -> None:
    """`sessions` lists a session found by search whose fetched trace lacks the root."""
    spans = make_session_spans("sess-cut")
    tid = format(spans[0].context.trace_id, "032x")
    backend.route("/api/search", (200, {"traces": [{"traceID": tid.lstrip("0")}]}))
    backend.route("/api/v2/traces/", (200, _cut_trace(spans)))
    code, out, err = _run("sessions", "--source", "tempo://" + backend.url.removeprefix("http://"), "--no-color")
    assert code == 0, err
    assert "sess-cut" in out and "Partial" in out


@pytest.mark.parametrize("how", ["flag", "env"])
def test_headers_from_the_cli(backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """--header (or AGENTOPS_OTEL_SOURCE_HEADERS) reaches every request to the backend."""
    spans = make_session_spans("sess-h")
    tid = format(spans[0].context.trace_id, "032x")
    backend.route(f"/api/v2/traces/{tid}", (200, {"trace": tempo_dialect(spans)}))
    argv = ["replay", tid, "--source", "tempo://" + backend.url.removeprefix("http://")]
    if how == "flag":
        argv += ["--header", "X-Scope-OrgID: team-a", "-H", "Authorization: Bearer s3cret"]
    else:
        monkeypatch.setenv(sc.ENV_SOURCE_HEADERS, "X-Scope-OrgID=team-a,Authorization=Bearer s3cret")
    code, _, err = _run(*argv)
    assert code == 0, err
    assert [(h["x-scope-orgid"], h["authorization"]) for h in backend.headers] == [("team-a", "Bearer s3cret")]


def test_bad_header_is_one_line_without_its_value(backend: FakeBackend) -> None:
    """A header that is not 'Name: value' is a usage error that does not echo the value."""
    code, _, err = _run("replay", "ab" * 16, "--source", "tempo://" + backend.url.removeprefix("http://"),
                        "--header", "no separator here s3cret")
    assert code == 2 and "header" in err and "s3cret" not in err


def _gate_cut(backend: FakeBackend, *args: str) -> tuple[int, str, str]:
    """The gate over a window holding one session whose trace Tempo cut before its root."""
    spans = make_session_spans("sess-cut")
    tid = format(spans[0].context.trace_id, "032x")
    backend.route("/api/search", (200, {"traces": [{"traceID": tid.lstrip("0")}]}))
    backend.route("/api/v2/traces/", (200, _cut_trace(spans)))
    return _run("gate", "--source", "tempo://" + backend.url.removeprefix("http://"), "--since", "2000-01-01",
                "--no-color", *args)


def test_gate_never_passes_a_session_whose_root_tempo_cut(backend: FakeBackend) -> None:
    """Its end state was cut with the root: counted as failed like a root that never arrived, not a pass."""
    code, out, err = _gate_cut(backend, "--max-failure-rate", "0")
    assert code == 1, out + err
    assert "Failed: 1/1" in out and "PASS" not in out


def test_gate_lists_a_cut_trace_as_not_seen(backend: FakeBackend) -> None:
    """Tempo showed only part of the session: named under Not seen, so --require-complete has no verdict."""
    code, out, err = _gate_cut(backend, "--max-failure-rate", "1", "--require-complete")
    assert code == 3, out + err
    assert "Not seen" in out and "sess-cut" in out and "max size" in out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA")


@pytest.mark.parametrize("scheme", ["jaeger", "tempo"])
def test_gate_against_a_server_that_is_not_the_query_api_exits_2(backend: FakeBackend, scheme: str) -> None:
    """Pointed at a port answering 404 to everything, the gate says so (exit 2), even with --min-sessions 0."""
    backend.route("/", (404, "404 page not found"))
    code, out, err = _run("gate", "--source", f"{scheme}://" + backend.url.removeprefix("http://"),
                          "--max-failure-rate", "0.05", "--min-sessions", "0")
    assert (code, out) == (2, "")
    assert "query API (HTTP 404 on /api/" in err
