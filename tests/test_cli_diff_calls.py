"""`agentops-otel diff` on runs recorded by a real process: what the model was asked with, and who called what."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentops_otel.cli import main

RECORD = """
import openai
import agentops_otel as a
from agentops_otel.testing import OpenAIServer

NESTED = True

@a.tool
def charge_card(amount):
    return "ok"

@a.record_action("verify_and_charge")
def verify_and_charge(amount):
    if NESTED:
        charge_card(amount)
    return True

SETTINGS = (("t0", {"temperature": 0}), ("t1", {"temperature": 1.0}), ("plain", {}),
            ("max-tokens", {"max_tokens": 5}), ("json", {"response_format": {"type": "json_object"}}))
with OpenAIServer() as srv:
    c = openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
    a.init(capture_content=False)
    for name, kw in SETTINGS[:2]:
        with a.session(f"off-{name}"):
            c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], **kw)
    a.init(capture_content=True)
    for name, kw in SETTINGS:
        with a.session(name):
            c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], **kw)
    for name, system in (("terse", "Answer in one word."), ("verbose", "Answer at length.")):
        with a.session(name):
            c.chat.completions.create(model="gpt-4o-mini", messages=[
                {"role": "system", "content": system}, {"role": "user", "content": "hello there"}])
for name, NESTED in (("nested", True), ("nested-again", True), ("after", False)):
    with a.session(name):
        verify_and_charge(10)
        if not NESTED:
            charge_card(10)
"""


def run(*argv: str) -> tuple[int, str]:
    """The CLI in-process: (exit code, stdout)."""
    out = io.StringIO()
    code = main([*argv, "--no-color"], stdout=out, stderr=io.StringIO())
    return code, out.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Sessions recorded by a real process against the local OpenAI server, by name."""
    path = tmp_path_factory.mktemp("diff-calls") / "t.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
    subprocess.run([sys.executable, "-c", RECORD], check=True, timeout=60,
                   env={**env, "AGENTOPS_OTEL_FILE": str(path)})
    out = io.StringIO()
    assert main(["sessions", "--source", str(path), "--json"], stdout=out, stderr=io.StringIO()) == 0
    return path, {s["name"]: s["session_id"] for s in json.loads(out.getvalue())["sessions"]}


def diff(runs: tuple[Path, dict[str, str]], a: str, b: str) -> tuple[int, str]:
    path, ids = runs
    return run("diff", ids[a], ids[b], "--source", str(path))


@pytest.mark.slow  # a child interpreter
def test_diff_finds_another_temperature(runs: tuple[Path, dict[str, str]]) -> None:
    """The same question asked at temperature 0 and at 1 diverges at that call, naming the parameter."""
    code, out = diff(runs, "t0", "t1")
    assert code == 1
    assert "Diverged at step #0: same LLM call, different request parameters" in out
    assert "  request parameters.gen_ai.request.temperature: 0.0 → 1.0" in out


def test_diff_finds_a_max_tokens_set_in_one_run_only(runs: tuple[Path, dict[str, str]]) -> None:
    """A call capped at max_tokens=5 is another call than one without a cap."""
    code, out = diff(runs, "plain", "max-tokens")
    assert code == 1
    assert "  request parameters.gen_ai.request.max_tokens: (absent) → 5" in out


def test_diff_finds_a_json_response_format(runs: tuple[Path, dict[str, str]]) -> None:
    """Asking for JSON output (response_format json_object) is another call than asking for text."""
    code, out = diff(runs, "plain", "json")
    assert code == 1
    assert '  request parameters.gen_ai.output.type: (absent) → "json"' in out


def test_diff_finds_another_temperature_without_content_capture(runs: tuple[Path, dict[str, str]]) -> None:
    """Parameters are recorded without content capture: a different temperature is a divergence, not 'unknown'."""
    code, out = diff(runs, "off-t0", "off-t1")
    assert code == 1
    assert "Diverged at step #0: same LLM call, different request parameters" in out


def test_diff_shows_the_system_message_that_differs(runs: tuple[Path, dict[str, str]]) -> None:
    """Two runs asking the same question under another system message show both system texts, not the question twice."""
    code, out = diff(runs, "terse", "verbose")
    assert code == 1
    assert "Diverged at step #0: same LLM call, different input" in out
    assert '  input messages[0].parts[0].content: "Answer in one word." → "Answer at length."' in out, out


def test_diff_finds_a_tool_called_by_another_caller(runs: tuple[Path, dict[str, str]]) -> None:
    """charge_card called inside verify_and_charge in one run, after it in the other: diverges, naming both callers."""
    code, out = diff(runs, "nested", "after")
    assert code == 1
    assert "Diverged at step #1: same tool, different caller" in out
    assert "  a: charge_card called by action verify_and_charge" in out
    assert "  b: charge_card called by the session itself" in out


def test_diff_calls_runs_with_the_same_callers_identical(runs: tuple[Path, dict[str, str]]) -> None:
    """Two runs whose calls have the same callers, arguments and outcomes are identical."""
    code, out = diff(runs, "nested", "nested-again")
    assert code == 0, out
    assert "No divergence: identical" in out
