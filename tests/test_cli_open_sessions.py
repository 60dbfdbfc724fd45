"""``agentops-otel sessions --open`` lists the sessions a program never ended, and only those."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # the agent and the CLI run as child interpreters

AGENT = """
import os, sys
import agentops_otel as agentops
agentops.init()

@agentops.tool
def lookup(x):
    return x

with agentops.session("finished"):
    lookup(1)
forgotten = agentops.start_session("forgotten")
lookup(2)
print(forgotten.id, flush=True)
if sys.argv[1] == "crash":
    agentops.flush()
    os._exit(0)  # killed: the open session's root never reaches the file
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("ending", ["exit", "crash"])
def test_sessions_open_lists_only_the_sessions_never_ended(tmp_path: Path, ending: str) -> None:
    """A session left open (ended by our exit hook, or killed so its root never arrived) is listed; a finished
    one is not."""
    (tmp_path / "agent.py").write_text(AGENT)
    forgotten = _run(["agent.py", ending], tmp_path).stdout.split()[0]
    listed = json.loads(_run(["-m", "agentops_otel", "sessions", "--open", "--json"], tmp_path).stdout)
    assert [s["session_id"] for s in listed["sessions"]] == [forgotten]
    everything = json.loads(_run(["-m", "agentops_otel", "sessions", "--json"], tmp_path).stdout)
    assert len(everything["sessions"]) == 2
