"""Export: coexist with the user's provider, pick OTLP by env, write OTLP JSON lines by default."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _exit_helpers import closed_port
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import export, semconv
from agentops_otel._otlp_json import OTLPJsonFileExporter
from agentops_otel.read import read_otlp_file
from agentops_otel.reassemble import reassemble


def _run(code: str, env: dict[str, str], tmp_path: Path) -> str:
    """Run in a fresh interpreter: the global provider can be set once per process."""
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentops_anthropic"}  # no anthropic call: init() skips its import
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env={**base, **env},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow  # a child interpreter
def test_user_provider_keeps_its_exporter_and_gets_our_spans(tmp_path: Path) -> None:
    """A provider the user set stays global, its exporter receives session spans, and we add no exporter."""
    out = _run("""
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import agentops_otel as agentops
        mine = InMemorySpanExporter(); provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(mine)); trace.set_tracer_provider(provider)
        with trace.get_tracer("app").start_as_current_span("app work"):
            pass
        agentops.init()
        with agentops.session("s"):
            pass
        assert trace.get_tracer_provider() is provider
        print(sorted(s.name for s in mine.get_finished_spans()))
        import os; print(os.path.exists(".agentops-otel"))
    """, {}, tmp_path)
    assert out.splitlines() == ["['app work', 'invoke_agent s']", "False"]


@pytest.mark.slow  # a child interpreter
def test_flush_is_false_when_no_provider_could_export_anything(tmp_path: Path) -> None:
    """init(tracer_provider=<the API's placeholder>) is refused, and flush() then says nothing was delivered."""
    out = _run("""
        from opentelemetry import trace
        import agentops_otel as agentops
        try:
            agentops.init(tracer_provider=trace.get_tracer_provider())
        except TypeError as exc:
            print("TypeError:", exc)
        with agentops.session("s") as s:
            pass
        print(s.not_exported)
        print(agentops.flush())
    """, {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}, tmp_path)
    refused, not_exported, flushed = out.splitlines()
    assert refused.startswith("TypeError: init(tracer_provider=...) takes an OpenTelemetry SDK TracerProvider")
    assert not_exported and flushed == "False"


@pytest.mark.slow  # a child interpreter
def test_default_sink_writes_collector_format_lines(tmp_path: Path) -> None:
    """With no endpoint configured, spans land as OTLP JSON lines (hex ids, string int64, int enums)."""
    _run("""
        import agentops_otel as agentops
        agentops.init(service_name="demo")
        @agentops.tool
        def t(x): return x
        with agentops.session("s", tags=["a"]):
            t(1)
    """, {}, tmp_path)
    lines = (tmp_path / ".agentops-otel" / "traces.jsonl").read_text().splitlines()
    spans = [sp for line in lines for rs in json.loads(line)["resourceSpans"]
             for ss in rs["scopeSpans"] for sp in ss["spans"]]
    resource = json.loads(lines[0])["resourceSpans"][0]["resource"]["attributes"]
    assert {"key": "service.name", "value": {"stringValue": "demo"}} in resource
    root = next(s for s in spans if s["name"] == "invoke_agent s")
    child = next(s for s in spans if s["name"] == "execute_tool t")
    assert len(root["traceId"]) == 32 and len(root["spanId"]) == 16
    assert child["parentSpanId"] == root["spanId"] and "parentSpanId" not in root
    assert root["kind"] == 1 and root["status"]["code"] == 1
    seq = next(a for a in child["attributes"] if a["key"] == semconv.SEQ)
    assert seq["value"] == {"intValue": "2"}
    tags = next(a for a in root["attributes"] if a["key"] == semconv.TAGS)
    assert tags["value"] == {"arrayValue": {"values": [{"stringValue": "a"}]}}


def test_default_sink_writes_tags_of_a_str_subclass(tmp_path: Path) -> None:
    """A tag given as a str subclass reaches the file as its text (the line is not lost)."""
    _run("""
        import agentops_otel as agentops
        class Tag(str): pass
        agentops.init(service_name="demo")
        with agentops.session("s", tags=[Tag("nightly")]):
            pass
    """, {}, tmp_path)
    lines = (tmp_path / ".agentops-otel" / "traces.jsonl").read_text().splitlines()
    spans = [sp for line in lines for rs in json.loads(line)["resourceSpans"]
             for ss in rs["scopeSpans"] for sp in ss["spans"]]
    root = next(s for s in spans if s["name"] == "invoke_agent s")
    tags = next(a for a in root["attributes"] if a["key"] == semconv.TAGS)
    assert tags["value"] == {"arrayValue": {"values": [{"stringValue": "nightly"}]}}


@pytest.mark.parametrize(("env", "expected"), [
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, "OTLP HTTP"),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTLP gRPC"),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:1/v1/traces"}, "OTLP HTTP"),
    ({"OTEL_TRACES_EXPORTER": "none"}, "nowhere"),
    ({}, "file .agentops-otel/traces.jsonl"),
])
def test_exporter_follows_standard_variables(env: dict[str, str], expected: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_* variables choose gRPC, HTTP, none, or (no endpoint) the local file sink."""
    for key in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_TRACES_EXPORTER", "AGENTOPS_OTEL_FILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    exporter, where = export.build_exporter()
    assert where.startswith(expected)
    if exporter is not None:
        exporter.shutdown()


def test_explicit_provider_argument_is_used(span_exporter: InMemorySpanExporter,
                                            tracer_provider: TracerProvider) -> None:
    """init(tracer_provider=...) plugs into that provider; spans reach its exporter."""
    mine = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(mine))
    try:
        agentops.init(tracer_provider=provider, instrument_llm_calls=False)
        with agentops.session("elsewhere") as s:
            pass
        assert [x.name for x in mine.get_finished_spans()] == ["invoke_agent elsewhere"]
        assert span_exporter.get_finished_spans() == ()
        assert s.end_state == "Success"
    finally:
        agentops.init(tracer_provider=tracer_provider, instrument_llm_calls=False)


def test_file_exporter_failure_is_reported_not_raised(tmp_path: Path, span_exporter: InMemorySpanExporter) -> None:
    """An unwritable sink path fails the export quietly (logged), never the app."""
    from opentelemetry.sdk.trace.export import SpanExportResult

    with agentops.session("s"):
        pass
    blocker = tmp_path / "file"
    blocker.write_text("x")
    exporter = OTLPJsonFileExporter(blocker / "sub" / "traces.jsonl")
    assert exporter.export(span_exporter.get_finished_spans()) is SpanExportResult.FAILURE


def test_a_run_after_a_crash_mid_write_starts_a_line_of_its_own(tmp_path: Path,
                                                                 span_exporter: InMemorySpanExporter) -> None:
    """A process killed mid-write leaves a cut last line; the next run's spans must not be glued onto it,
    where no reader could ever read them again."""
    with agentops.session("after the crash"):
        pass
    trace_file = tmp_path / "traces.jsonl"
    cut = b'{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"agentops'
    trace_file.write_bytes(cut)

    OTLPJsonFileExporter(trace_file).export(span_exporter.get_finished_spans())

    first, second = trace_file.read_bytes().split(b"\n")[:2]
    assert first == cut  # the remnant stays as it was, on its own line
    (trace_file.with_suffix(".rest.jsonl")).write_bytes(second + b"\n")
    [found] = reassemble(read_otlp_file(trace_file.with_suffix(".rest.jsonl"))).sessions
    assert found.summary.name == "after the crash"


SINK_ERRORS = """
    import sys
    import agentops_otel as agentops
    agentops.init()
    print("--- init done", file=sys.stderr, flush=True)
    with agentops.session("s"):
        pass
    print(agentops.flush())
"""


def _sink_error(path: Path, tmp_path: Path, **env: str) -> tuple[str, str, str]:
    """Run an agent whose AGENTOPS_OTEL_FILE is ``path``: what init() said, what came after, and flush()."""
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AGENTOPS_OTEL_FILE": str(path),
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentops_anthropic",  # no anthropic call: init() skips its import
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **env}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(SINK_ERRORS)], cwd=tmp_path, env=base,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    at_init, _, later = proc.stderr.partition("--- init done")
    return at_init, later, proc.stdout.strip()


@pytest.mark.slow  # a child interpreter
def test_a_directory_as_the_trace_file_is_named_at_init(tmp_path: Path) -> None:
    """AGENTOPS_OTEL_FILE naming a directory is a configuration error said once, at init(), not an internal one."""
    at_init, later, flushed = _sink_error(tmp_path, tmp_path)
    assert f"AGENTOPS_OTEL_FILE={str(tmp_path)!r} is a directory" in at_init, at_init
    assert "internal error" not in at_init + later and "Traceback" not in at_init + later, at_init + later
    assert later.strip() == "" and flushed == "False"


@pytest.mark.slow  # a child interpreter
def test_an_unusable_fallback_file_is_named_as_the_fallback(tmp_path: Path) -> None:
    """With an OTLP backend the file only takes what the backend does not: the warning says so, rather than
    that every span is lost."""
    at_init, _, _ = _sink_error(tmp_path, tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{closed_port()}",
                                AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS="500")
    assert f"AGENTOPS_OTEL_FILE={str(tmp_path)!r} is a directory" in at_init, at_init
    assert "spans the OTLP backend does not take would be lost" in at_init, at_init
    assert "spans meant for the file are lost" not in at_init, at_init


@pytest.mark.slow  # a child interpreter
def test_a_trace_file_below_a_file_is_named_at_init(tmp_path: Path) -> None:
    """AGENTOPS_OTEL_FILE below something that is a file, not a folder, is named at init(), with that file."""
    (tmp_path / "notes").write_text("x")
    at_init, later, flushed = _sink_error(tmp_path / "notes" / "traces.jsonl", tmp_path)
    assert "AGENTOPS_OTEL_FILE=" in at_init, at_init
    assert f"{str(tmp_path / 'notes')!r} is a file, not a folder" in at_init, at_init
    assert "internal error" not in at_init + later and "Traceback" not in at_init + later, at_init + later
    assert later.strip() == "" and flushed == "False"


@pytest.mark.slow  # a child interpreter
def test_a_trace_file_that_cannot_be_created_is_named_when_written(tmp_path: Path) -> None:
    """A folder the system refuses to create (a name too long) is a configuration error naming the variable."""
    at_init, later, flushed = _sink_error(tmp_path / ("x" * 300) / "traces.jsonl", tmp_path)
    assert "AGENTOPS_OTEL_FILE=" in at_init + later and "File name too long" in at_init + later, at_init + later
    assert "internal error" not in at_init + later and "Traceback" not in at_init + later, at_init + later
    assert (at_init + later).count("AGENTOPS_OTEL_FILE=") == 1 and flushed == "False"


@pytest.mark.slow  # a child interpreter
def test_a_file_that_is_not_a_trace_file_is_never_appended_to(tmp_path: Path) -> None:
    """AGENTOPS_OTEL_FILE naming the user's own file (a replay page, a script) is refused at init(), and the
    file is left exactly as it was: appending spans to it would damage it and make the spans unreadable."""
    page = tmp_path / "replay.html"
    page.write_text("<!doctype html>\n<p>my replay page</p>\n")
    at_init, later, flushed = _sink_error(page, tmp_path)
    assert f"AGENTOPS_OTEL_FILE={str(page)!r} is not a trace file" in at_init, at_init
    assert page.read_text() == "<!doctype html>\n<p>my replay page</p>\n"
    assert "internal error" not in at_init + later and "Traceback" not in at_init + later, at_init + later
    assert flushed == "False"


def test_an_existing_trace_file_is_appended_to(tmp_path: Path, span_exporter: InMemorySpanExporter) -> None:
    """A file that already holds OTLP JSON lines (an earlier run's) takes the next run's spans after them."""
    trace_file = tmp_path / "traces.jsonl"
    with agentops.session("first"):
        pass
    OTLPJsonFileExporter(trace_file).export(span_exporter.get_finished_spans())
    span_exporter.clear()
    with agentops.session("second"):
        pass
    OTLPJsonFileExporter(trace_file).export(span_exporter.get_finished_spans())
    names = sorted(s.summary.name for s in reassemble(read_otlp_file(trace_file)).sessions)
    assert names == ["first", "second"]


@pytest.mark.slow  # a child interpreter
def test_a_named_pipe_as_the_trace_file_does_not_block_init(tmp_path: Path) -> None:
    """AGENTOPS_OTEL_FILE naming a pipe (a log shipper reading it) is streamed to: init() never reads it
    to check what it holds, which would block the program until something writes to the pipe."""
    import os

    fifo = tmp_path / "spans.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AGENTOPS_OTEL_FILE": str(fifo),
               "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        proc = subprocess.run([sys.executable, "-c", "import agentops_otel as a; a.init(); print('ready')"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    finally:
        os.close(reader)
    assert proc.stdout.strip() == "ready", proc.stderr
