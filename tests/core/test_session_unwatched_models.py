"""Sessions in a process where no model client was instrumented (no ``init()``): their model calls
happened but were never seen, so the bounds on calls, tokens and cost refuse rather than pass on zero."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_AGENT = """
    import agentops_otel as agentops
    from openai import OpenAI
    from agentops_otel.testing import (OpenAIServer, assert_cost_below, assert_llm_calls_at_most,
                                       assert_tokens_below, assert_tool_called)

    @agentops.tool
    def lookup(order: str) -> str:
        return "shipped"

    def verdicts(s):
        for name, check in [("calls", lambda: assert_llm_calls_at_most(s, 0)),
                            ("tokens", lambda: assert_tokens_below(s, 10)),
                            ("cost", lambda: assert_cost_below(s, 1e-9)),
                            ("tool", lambda: assert_tool_called(s, "lookup"))]:
            try:
                check()
                print(name, "PASS")
            except AssertionError as exc:
                print(name, "FAIL", str(exc).splitlines()[0])

    with OpenAIServer() as server:
        client = OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        SETUP
        with agentops.session("agent") as s:
            lookup("1234")
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi " * 500}])
        assert len(server.requests) == 1
    verdicts(s)
    print("cost_complete", s.cost_complete)
"""


def _run(tmp_path: Path, setup: str) -> dict[str, str]:
    code = textwrap.dedent(_AGENT).replace("SETUP", setup)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_"))}
    env.update(OTEL_TRACES_EXPORTER="none", PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return dict(line.split(" ", 1) for line in proc.stdout.splitlines())


def test_without_init_the_model_call_bounds_refuse_saying_why(tmp_path: Path) -> None:
    """No init(): the call made is not counted, so at-most-0-calls, 10 tokens and $0 are not passed."""
    out = _run(tmp_path, "pass")
    for bound in ("calls", "tokens", "cost"):
        assert out[bound].startswith("FAIL"), out
        assert "no model client was instrumented" in out[bound] and "init()" in out[bound], out[bound]
    assert out["cost_complete"] == "False"


def test_without_init_the_tool_verdicts_still_judge(tmp_path: Path) -> None:
    """Tools are recorded without init(): a verdict on them is not refused."""
    assert _run(tmp_path, "pass")["tool"] == "PASS"


def test_a_client_instrumented_by_hand_is_enough(tmp_path: Path) -> None:
    """instrument_openai() without init(): the call is seen, so the bounds judge it (and fail on it)."""
    out = _run(tmp_path, "from agentops_otel.instrument.openai import instrument_openai; instrument_openai()")
    assert out["calls"].startswith("FAIL") and "no model client was instrumented" not in out["calls"], out
    assert out["cost_complete"] == "True"


def test_with_init_the_bounds_judge_the_call(tmp_path: Path) -> None:
    """The usual setup: init() instruments the client and the bound fails on the call it counted."""
    out = _run(tmp_path, "agentops.init()")
    assert out["calls"].startswith("FAIL") and "no model client was instrumented" not in out["calls"], out
