"""The gate never passes on sessions it could not judge: a run that never ended, sessions it did not read,
a confidence level that is really an error rate."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentops_otel.cli import main

ROOT = Path(__file__).resolve().parents[1]

AGENT = """
import os, sys
import agentops_otel as agentops

agentops.init()

@agentops.tool
def lookup(x):
    return x

for i in range(int(sys.argv[2])):
    with agentops.session("finished"):
        lookup(i)
agentops.start_session("hung")
lookup(99)
if sys.argv[1] == "killed":
    agentops.flush()
    os._exit(0)  # a CI timeout's SIGKILL: the open session's root never reaches the file
"""


def _record(traces: Path, ending: str, finished: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_"))}
    env.update(PYTHONPATH=str(ROOT), AGENTOPS_OTEL_FILE=str(traces), AGENTOPS_OTEL_RUN_ID="r1")
    subprocess.run([sys.executable, "-c", AGENT, ending, str(finished)], env=env, check=True, timeout=120,
                   capture_output=True)


def _gate(traces: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["gate", "--source", str(traces), *args], stdout=out, stderr=out)
    return code, out.getvalue()


@pytest.mark.slow  # the agent runs as a child interpreter
@pytest.mark.parametrize("ending", ["exit", "killed"])
def test_a_session_that_never_ended_fails_the_gate(tmp_path: Path, ending: str) -> None:
    """A hung session (ended for the program at exit, or whose root never arrived) is a failure, named so."""
    traces = tmp_path / "traces.jsonl"
    _record(traces, ending, finished=3)
    code, text = _gate(traces, "--run", "r1", "--max-failure-rate", "0.1")
    assert code == 1, text
    assert "4 sessions" in text or ": 4" in text, text
    assert "never ended" in text.lower(), text


@pytest.mark.slow  # the agent runs as a child interpreter
def test_limit_under_require_complete_is_insufficient_data(tmp_path: Path) -> None:
    """--limit leaves sessions of the window unread: --require-complete must not call that complete."""
    traces = tmp_path / "traces.jsonl"
    _record(traces, "exit", finished=4)
    code, text = _gate(traces, "--run", "r1", "--limit", "2", "--require-complete", "--max-failure-rate", "0.5")
    assert code == 3, text
    assert "--limit" in text, text


@pytest.mark.parametrize("level, hint", [("0.05", "0.95"), ("95", "95%"), ("0.9999999999999999", "0.999")])
def test_a_confidence_level_that_cannot_be_meant_gets_a_clear_error(tmp_path: Path, level: str, hint: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """An error rate given as a level, a percentage without %, or a level beyond computing: exit 2, no traceback."""
    traces = tmp_path / "traces.jsonl"
    traces.write_text("")
    code, text = _gate(traces, "--confidence", level, "--max-failure-rate", "0.1")
    err = capsys.readouterr().err
    assert code == 2, text
    assert hint in err and "Traceback" not in err, err


def test_an_empty_run_id_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--run '' (an unset variable in a CI script) is an error, not a gate over no run."""
    traces = tmp_path / "traces.jsonl"
    traces.write_text("")
    code, _ = _gate(traces, "--run", "", "--max-failure-rate", "0.1")
    assert code == 2 and "empty run id" in capsys.readouterr().err


def test_help_says_too_few_sessions_is_insufficient_data_as_the_gate_does(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """--help describes --min-sessions by what a CI script sees: INSUFFICIENT DATA, exit 3, not a failure."""
    traces = tmp_path / "traces.jsonl"
    traces.write_text("")
    code, text = _gate(traces, "--min-sessions", "2", "--max-failure-rate", "0.1")
    assert code == 3 and text.splitlines()[-1].startswith("INSUFFICIENT DATA"), text
    assert main(["gate", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    described = help_text[help_text.index("--min-sessions MIN_SESSIONS "):].split(" --", 1)[0]
    assert "INSUFFICIENT DATA" in described and "exit 3" in described and "fail" not in described, described
