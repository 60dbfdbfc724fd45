"""When standard output goes away or fills up, a verdict's exit code still says what was decided."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_recordings import ROOT, record

pytestmark = pytest.mark.slow  # the agent and the CLI run in child processes


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One passing and one failing session, recorded to a file."""
    return record(tmp_path_factory.mktemp("rec"), {
        "ok": {"steps": [{"tool": "lookup", "args": {"q": "a"}}]},
        "failed": {"steps": [{"tool": "lookup", "args": {"q": "a", "_fail": True}}]},
    })


def _cli(args: list[str], stdout: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "agentops_otel", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, env=env, timeout=120, check=False)


def _closed_pipe(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run with stdout a pipe whose reader has already gone (``gate ... | grep -q`` after its match)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return _cli(args, write)
    finally:
        os.close(write)


def test_gate_keeps_its_fail_exit_code_when_stdout_is_closed(recorded: tuple[Path, dict[str, str]]) -> None:
    """A failing gate whose reader went away still exits 1, never 0 (a pass under ``set -o pipefail``)."""
    traces, _ = recorded
    proc = _closed_pipe(["gate", "--source", str(traces), "--max-failure-rate", "0.1"])
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_diff_keeps_its_exit_code_when_stdout_is_closed(recorded: tuple[Path, dict[str, str]]) -> None:
    """``diff`` of two different runs exits 1 even when nobody reads its report."""
    traces, ids = recorded
    proc = _closed_pipe(["diff", ids["ok"], ids["failed"], "--source", str(traces)])
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_an_error_not_a_fail_verdict(recorded: tuple[Path, dict[str, str]]) -> None:
    """A gate whose report cannot be written exits 2 with one line, not a traceback read as FAIL (1)."""
    traces, _ = recorded
    with open("/dev/full", "w") as full:
        proc = _cli(["gate", "--source", str(traces), "--max-failure-rate", "0.9"], full.fileno())
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("agentops-otel: error: cannot write the output")
    assert len(proc.stderr.splitlines()) == 1
