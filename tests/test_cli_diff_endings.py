"""``diff`` of runs that made the same calls but failed differently is no ``identical``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_recordings import record
from test_cli import run


@pytest.mark.slow  # the agent runs in a child process
def test_runs_failing_with_different_errors_after_the_same_steps_differ(tmp_path: Path) -> None:
    """The same steps, then a RuntimeError in one run and a KeyError in the other: exit 1, both reasons named."""
    steps = [{"tool": "lookup", "args": {"q": "x"}}]
    traces, ids = record(tmp_path, {
        "down": {"steps": steps, "raise": ["RuntimeError", "database down"]},
        "missing": {"steps": steps, "raise": ["KeyError", "customer"]},
        "down_again": {"steps": steps, "raise": ["RuntimeError", "database down"]},
    })
    code, out, err = run("diff", ids["down"], ids["missing"], "--source", str(traces))
    assert code == 1, err
    assert "identical" not in out
    assert "RuntimeError: database down" in out and "KeyError: 'customer'" in out
    code, out, err = run("diff", ids["down"], ids["down_again"], "--source", str(traces))
    assert code == 0 and "No divergence: identical" in out
