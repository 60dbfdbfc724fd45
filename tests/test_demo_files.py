"""``make demo``'s files: the HTML replay holds customers' messages, so it is written private."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # a child interpreter running the whole demo (about 3 s)
def test_demo_writes_its_replay_page_private(tmp_path: Path) -> None:
    """With no trace file of ours (a collector, no export), .agentops-otel/ is still 0700 and git-ignored."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OTEL_TRACES_EXPORTER": "none",
           "AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS": "500"}
    proc = subprocess.run([sys.executable, "-c", "import os, runpy; os.umask(0o022); "
                           "runpy.run_module('examples.support_agent.demo', run_name='__main__')"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folder = tmp_path / ".agentops-otel"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / ".gitignore").is_file()
    assert (folder / "replay.html").stat().st_mode & 0o777 == 0o600
