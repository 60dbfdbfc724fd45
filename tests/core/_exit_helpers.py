"""Run a small agent in a fresh interpreter, stop it the way the world does, read back what it left.

Signals and interpreter exit can only be tested from outside the process: each scenario is a real
``python`` child using the public API, and the spans are read back with the project's own reader
(the local file) or received by a real OTLP/HTTP endpoint on loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from agentops_otel import semconv
from agentops_otel.read.otlp_json import read_otlp_file
from agentops_otel.testing._prompt_close import PromptlyClosed

REPO = Path(__file__).resolve().parents[2]
READY = "agent ready"
SINK = Path(".agentops-otel") / "traces.jsonl"
CLOCK = ('import atexit, time; _t = []; '
         'atexit.register(lambda: _t and print("exit work took", time.monotonic() - _t[0], flush=True))')
"""First line of a child: an ``atexit`` handler registered before ``init()``'s runs after it, and
prints how long exit work took since :data:`CLOCK_READY` (interpreter teardown, which is not ours
and takes seconds on a busy machine, is left out)."""
CLOCK_READY = f'_t.append(time.monotonic()); print("{READY}", flush=True)'
CLOCK_CONFTEST = """
import atexit, time
_t = []
def pytest_sessionfinish(session, exitstatus):
    _t.append(time.monotonic())
atexit.register(lambda: _t and print("exit work took", time.monotonic() - _t[0], flush=True))
"""
"""The same clock for a pytest run, started when the test session finishes."""


@dataclass
class Outcome:
    """What a finished child left behind."""

    returncode: int
    stdout: str
    stderr: str
    seconds_after_ready: float
    """From the child saying it is ready (or being signalled) to its exit: the time exit took."""


def child_env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: this checkout first on the path, no OTel settings from the caller but one: these
    children never call anthropic, so init() is told to skip importing it (over a second of each start)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1",
           "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentops_anthropic"}
    env.update(extra or {})
    return env


def start(code: str, tmp_path: Path, env: dict[str, str] | None = None,
          argv: list[str] | None = None) -> subprocess.Popen[str]:
    """Start ``code`` (or ``argv``) in ``tmp_path`` and wait until it prints :data:`READY`."""
    args = argv if argv is not None else [sys.executable, "-c", textwrap.dedent(code)]
    proc = subprocess.Popen(args, cwd=tmp_path, env=child_env(tmp_path, env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line)
        if READY in line:
            return proc
    proc.wait(timeout=60)
    raise AssertionError(f"child never got ready (rc={proc.returncode}):\n{''.join(seen)}\n{proc.stderr.read()}")  # type: ignore[union-attr]


def finish(proc: subprocess.Popen[str], send: signal.Signals | None = None, timeout: float = 120) -> Outcome:
    """Optionally signal the child, then wait for it and time its exit."""
    began = time.monotonic()
    if send is not None:
        proc.send_signal(send)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # A child that never left: make it print where every thread of it stands (faulthandler, set in
        # child_env, dumps them on SIGABRT), so a hang is diagnosed from the failure itself.
        proc.send_signal(signal.SIGABRT)
        out, err = proc.communicate(timeout=30)
        raise AssertionError(f"the child did not exit within {timeout} s; its threads:\n{err}\n{out}") from None
    return Outcome(proc.returncode, out, err, time.monotonic() - began)


def run(code: str, tmp_path: Path, env: dict[str, str] | None = None) -> Outcome:
    """Run ``code`` to its own end."""
    return finish(start(code, tmp_path, env))


def exit_work_seconds(outcome: Outcome) -> float:
    """What :data:`CLOCK` printed."""
    lines = [line for line in outcome.stdout.splitlines() if line.startswith("exit work took")]
    assert lines, f"no exit clock in the output:\n{outcome.stdout}\n{outcome.stderr}"
    return float(lines[-1].split()[-1])


def span_names(path: Path) -> list[str]:
    """Span names in an OTLP JSON lines file, read with the project's reader."""
    if not path.exists():
        return []
    return [record.name for record in read_otlp_file(path)]


def end_states(path: Path, session: str) -> list[object]:
    """The end state on every root span of the session named ``session`` in the file, one per write."""
    if not path.exists():
        return []
    return [record.attributes.get(semconv.SESSION_END_STATE) for record in read_otlp_file(path)
            if record.name == f"invoke_agent {session}"]


def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused, like a backend that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers, like a backend that hangs.

    The kernel completes the handshake for the listen backlog, so the exporter sends its request
    and then waits for a response that never comes.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


class _PromptServer(PromptlyClosed, ThreadingHTTPServer):
    """Closed at once at the end of each test, not at its next poll (half a second by default)."""


class OTLPReceiver:
    """A real OTLP/HTTP endpoint on loopback that keeps every span name it receives, answering each
    request after ``delay`` seconds (a backend slower than the program)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.names: list[str] = []
        received = self.names

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = ExportTraceServiceRequest.FromString(body)
                time.sleep(delay)
                received.extend(span.name for rs in request.resource_spans for ss in rs.scope_spans
                                for span in ss.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = _PromptServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def otlp_receiver(delay: float = 0.0) -> Iterator[OTLPReceiver]:
    """Serve an :class:`OTLPReceiver` for the duration of the block."""
    receiver = OTLPReceiver(delay)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
