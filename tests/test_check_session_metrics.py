"""``examples/ci/check_session_metrics.py``, the story's CI script, from the pipeline's side: it is a thin
wrapper around ``agentops-otel gate`` and must reach the gate's verdict on the same sessions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from test_cli import NOW_NS, session_line, write_file

from agentops_otel import semconv as sc

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "ci" / "check_session_metrics.py"
HOUR_NS = 3600 * 10**9


def _of_run(line: dict[str, Any], run_id: str) -> dict[str, Any]:
    """The session as recorded in CI: its root carries the run it belongs to."""
    root = line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    root["attributes"].append({"key": sc.RUN_ID, "value": {"stringValue": run_id}})
    return line


def _exit_code(*argv: str, run_id: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_", "GITHUB_"))}
    env.update(PYTHONPATH=str(ROOT), **{sc.ENV_RUN_ID: run_id})
    return subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120).returncode


def test_this_run_judges_the_whole_run_as_the_gate_does(tmp_path: Path) -> None:
    """With --this-run the script judges every session of a run that began two hours ago (the gate's 24 h
    window for a run), not only the last hour's: a failure early in a long job is not passed over."""
    traces = write_file(tmp_path / "t.jsonl", [
        _of_run(session_line(1, fail=True, start_ns=NOW_NS - 2 * HOUR_NS), "run-7"),
        _of_run(session_line(2, fail=False), "run-7"),
    ])
    gate = _exit_code("-m", "agentops_otel", "gate", "--source", str(traces), "--this-run",
                      "--max-failure-rate", "0.05", run_id="run-7")
    script = _exit_code(str(SCRIPT), "--source", str(traces), "--this-run", "--max-failure-rate", "0.05",
                        run_id="run-7")
    assert (gate, script) == (1, 1)
