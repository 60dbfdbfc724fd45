"""``export-test`` writes recorded names into Python source as escapes a reviewer can see (no Trojan Source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from cli_recordings import record

from agentops_otel.cli import main

HIDDEN = {"\u202e", "\u2066", "\u2069", "\u200b", "\x85"}


@pytest.mark.slow  # the agent runs in a child process
def test_bidi_and_invisible_characters_are_written_as_escapes(tmp_path: Path) -> None:
    """A tool named with a bidi override or a zero-width space is written escaped and still checked as recorded."""
    names = ["lookup\u202e\u2066 # ok\u2069", "fetch\u200b", "next\x85line"]
    traces, ids = record(tmp_path / "rec", {
        "run": {"name": "agent\u202eevil", "steps": [{"tool": name, "args": {"q": "x"}} for name in names]},
    })
    target = tmp_path / "tests" / "test_exported.py"
    code = main(["export-test", ids["run"], "--source", str(traces), "--call", "agents.support:run",
                 "--args", '["hi"]', "--out", str(target)])
    assert code == 0
    source = target.read_text(encoding="utf-8")
    assert not HIDDEN & set(source)
    module = ast.parse(source)
    [calls] = [node.value for node in module.body if isinstance(node, ast.Assign)
               and getattr(node.targets[0], "id", None) == "CALLS"]
    assert ast.literal_eval(calls) == names
    assert "agent\\u202eevil" in source
