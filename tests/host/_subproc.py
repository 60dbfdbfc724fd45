"""Run a snippet in a fresh interpreter that imports this checkout's ``agentops_otel``.

Host-safety behaviour depends on process-wide state (the global tracer provider, patched classes,
environment variables read at import), so each test gets its own process and a timeout: a deadlock
fails the test instead of hanging the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPENAI_ONLY = {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentops_anthropic"}
"""In every child's environment unless the test's own says otherwise (``{"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS":
""}`` for a child that calls anthropic): init() then skips importing anthropic, over a second of each child's
start, which these children never call."""


def run_python(code: str, tmp_path: Path, env: dict[str, str] | None = None, timeout: float = 90) -> str:
    """stdout of ``code`` run in ``tmp_path``; fails the test on a non-zero exit or a timeout."""
    return run_python_streams(code, tmp_path, env, timeout)[0]


PRELUDE = """
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from openai import OpenAI
import agentops_otel as agentops
from agentops_otel.testing import OpenAIServer

def memory_provider():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter

def chat(client):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])

def llm_names(exporter):
    return [s.name for s in exporter.get_finished_spans() if s.name.startswith("chat")]
"""


def run_python_streams(code: str, tmp_path: Path, env: dict[str, str] | None = None,
                       timeout: float = 90) -> tuple[str, str]:
    """stdout and stderr of ``code`` run in ``tmp_path`` (for the warnings a user sees); as :func:`run_python`."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
            **OPENAI_ONLY}
    try:
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path,
                              env={**base, **(env or {})}, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"timed out after {timeout}s (deadlock?): {exc.stderr!r}") from exc
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr
