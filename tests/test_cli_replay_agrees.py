"""``replay <id>`` and ``replay`` (every session) tell the same steps for a session, nested or root-less."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

AGENT = """
import os, sys
import agentops_otel as agentops
agentops.init()

@agentops.tool
def lookup(x):
    return x

outer = agentops.start_session("outer")
lookup(1)
with agentops.session("inner") as inner:
    lookup(2)
lookup(3)
print(outer.id, inner.id, flush=True)
if sys.argv[1] == "lost-root":
    agentops.flush()
    os._exit(0)  # the outer root never reaches the file
"""


def _run(args: list[str], cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _steps(doc: Any, session_id: str) -> list[tuple[str, str]]:
    timelines = doc if isinstance(doc, list) else [doc]  # one session: a document; several: a list
    return [(s["name"], s["session_id"]) for t in timelines for s in t["steps"]
            if s["session_id"] == session_id or t["summary"]["session_id"] == session_id]


@pytest.mark.slow
@pytest.mark.parametrize("ending", ["exit", "lost-root"])
def test_replay_of_one_session_agrees_with_replay_of_all(tmp_path: Path, ending: str) -> None:
    """Each session's steps are the same whether it is replayed alone or among every session of the file."""
    (tmp_path / "agent.py").write_text(AGENT)
    outer, inner = _run(["agent.py", ending], tmp_path).split()
    every = json.loads(_run(["-m", "agentops_otel", "replay", "--json"], tmp_path))
    alone_outer = json.loads(_run(["-m", "agentops_otel", "replay", outer, "--json"], tmp_path))
    alone_inner = json.loads(_run(["-m", "agentops_otel", "replay", inner, "--json"], tmp_path))
    assert _steps(alone_outer, outer) == _steps(every, outer)
    # Inside the outer session the inner one is a step of its own (kind "session"); alone, it is the root.
    nested = [(s["name"], s["session_id"]) for s in every["steps"]
              if s["session_id"] == inner and s["kind"] != "session"]
    assert nested == _steps(alone_inner, inner)
    assert [name for name, _ in _steps(alone_inner, inner)] == ["lookup"]
