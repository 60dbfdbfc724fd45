"""Spans the other instrumentations write *today* replay fully: generated in this run with the real packages.

``scripts/peers.sh`` (run by ``make test``) keeps the official OpenAI instrumentation, OpenLLMetry and
OpenInference in a venv of their own; ``foreign/generate.py`` runs the real ``openai`` client under each
against ``OpenAIServer``, and the files are read here as a user's app's traces would be. The committed
files in ``foreign/`` keep the fast tier offline; these catch the packages moving on.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from agentops_otel.read import read_otlp_file
from agentops_otel.reassemble import reassemble
from agentops_otel.timeline import Step

ROOT = Path(__file__).resolve().parents[2]
GENERATE = Path(__file__).parent / "foreign" / "generate.py"

pytestmark = pytest.mark.slow  # each instrumentation runs in a child interpreter of its own venv


@pytest.fixture(scope="module")
def peers_python() -> str:
    """The python of the peers' venv; under CI=true its absence fails the test instead of skipping it."""
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "peers.sh"), "--print"], capture_output=True,
                          text=True, check=False)
    found = [line.split("=", 1)[1] for line in proc.stdout.splitlines() if line.startswith("peers=")]
    if proc.returncode != 0 or not found:
        message = f"the other instrumentations are not installed (make test runs scripts/peers.sh): {proc.stderr}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return found[0]


def _generated(peers_python: str, name: str, tmp_path: Path, *scenario: str) -> list[Step]:
    out = tmp_path / f"{name}.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_", "PYTHON"))}
    proc = subprocess.run([peers_python, str(GENERATE), name, str(out), *scenario], env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    result = reassemble(read_otlp_file(out))
    assert not result.sessions and len(result.pseudo_sessions) == 2  # no session.id: one stand-in per trace
    return [s for t in result.pseudo_sessions for s in t.steps if s.kind == "llm"]


@pytest.mark.parametrize("name", ["openai-v2", "openllmetry", "openinference"])
def test_a_fresh_trace_of_each_instrumentation_replays_fully(peers_python: str, name: str, tmp_path: Path) -> None:
    """A plain and a streamed call: model, tokens, a genai-prices cost and both sides' text, per call."""
    steps = _generated(peers_python, name, tmp_path)
    assert [(s.model, s.input_tokens, s.output_tokens) for s in steps] == [("gpt-4o-mini", 13, 8),
                                                                          ("gpt-4o-mini", 9, 4)]
    for step, (asked, answer) in zip(steps, [("What is 2+2?", "ok: What is 2+2?"), ("Say hello", "ok: Say hello")],
                                     strict=True):
        assert step.cost_usd is not None and step.cost_usd > 0
        assert step.input is not None and asked in step.input
        assert step.output is not None and answer in step.output


@pytest.mark.parametrize("name", ["openai-v2", "openllmetry", "openinference"])
def test_a_fresh_conversation_with_a_tool_call_replays_every_part(peers_python: str, name: str,
                                                                   tmp_path: Path) -> None:
    """Text and image parts, the tool call with its id and arguments, and its result sent back, per call."""
    first, second = _generated(peers_python, name, tmp_path, "tools")
    asked, answer = json.loads(second.input or ""), json.loads(first.output or "")
    parts = [part for message in asked for part in message["parts"]]
    assert {"type": "text", "content": "refund 5"} in parts
    assert any(p.get("type") == "uri" and p.get("uri") == "https://example.com/a.png" for p in parts)
    (call,) = [p for p in answer[0]["parts"] if p.get("type") == "tool_call"]
    assert (call["name"], call["arguments"]) == ("refund", {"amount": 5}) and call["id"]
    assert any(p.get("type") == "tool_call_response" and p.get("id") == call["id"] for p in parts)
