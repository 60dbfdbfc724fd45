"""``client.beta.responses`` bills model calls, but its SDK modules pull in ~500 type modules: ``init()``
leaves them unloaded and patches those methods when the program first brings them in, so a program
that never uses them pays nothing and one that does still has every call counted.

Each test runs a fresh interpreter: in this one the beta modules may already be loaded by another test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentops_otel.testing import OpenAIServer, Reply, Usage

pytestmark = pytest.mark.slow  # each runs the agent in a child interpreter

PRELUDE = """
import sys, asyncio, openai, agentops_otel
from agentops_otel.testing import AgentAssertionError, assert_cost_below
def refuses(s):
    try:
        assert_cost_below(s, 1.0)
    except AgentAssertionError as e:
        return "cost is incomplete" in str(e) or "unseen" in str(e) or "not seen" in str(e)
    return False
"""

REACH = {
    "client": "client = openai.OpenAI(max_retries=0)\n"
              "with agentops_otel.session('beta') as s:\n"
              "    client.beta.responses.create(model='gpt-4o', input='hi')\n",
    "async client": "async def ask():\n"
                    "    async with openai.AsyncOpenAI(max_retries=0) as client:\n"
                    "        await client.beta.responses.create(model='gpt-4o', input='hi')\n"
                    "with agentops_otel.session('beta') as s:\n"
                    "    asyncio.run(ask())\n",
    "module client": "with agentops_otel.session('beta') as s:\n"
                     "    openai.beta.responses.create(model='gpt-4o', input='hi')\n",
    "own import": "from openai.resources.beta.responses import Responses\n"
                  "with agentops_otel.session('beta') as s:\n"
                  "    Responses(openai.OpenAI(max_retries=0)).create(model='gpt-4o', input='hi')\n",
}


@pytest.fixture
def gpt() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        running.set_responder(lambda request: Reply.text("ok", usage=Usage(prompt_tokens=5, completion_tokens=2)))
        yield running


def _run(code: str, server: OpenAIServer, cwd: Path) -> str:
    env = {**os.environ, "AGENTOPS_OTEL_FILE": "t.jsonl", "OPENAI_BASE_URL": server.base_url,
           "OPENAI_API_KEY": "sk-local",
           "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentops_anthropic"}  # no anthropic call: init() skips its import
    done = subprocess.run([sys.executable, "-c", PRELUDE + code], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_init_leaves_the_beta_types_unimported(gpt: OpenAIServer, tmp_path: Path) -> None:
    """init() instruments openai without importing openai.types.beta (about half a second of imports)."""
    out = _run("agentops_otel.init()\n"
               "from agentops_otel.instrument.openai import is_instrumented; assert is_instrumented()\n"
               "print(sum(m.startswith('openai.types.beta') for m in sys.modules))\n", gpt, tmp_path)
    assert out == "0"


@pytest.mark.parametrize("reach", sorted(REACH))
def test_a_beta_responses_call_first_reached_after_init_is_counted(gpt: OpenAIServer, tmp_path: Path,
                                                                  reach: str) -> None:
    """client.beta.responses.create, first reached after init() however the program gets there, is a model
    call whose unknown cost a cost bound refuses."""
    out = _run("agentops_otel.init()\n" + REACH[reach] + "print(s.llm_calls, refuses(s))\n", gpt, tmp_path)
    assert out == "1 True"


def test_beta_responses_on_a_client_used_before_init_is_counted(gpt: OpenAIServer, tmp_path: Path) -> None:
    """A client.beta.responses the program took before init() records its calls made after it."""
    out = _run("responses = openai.OpenAI(max_retries=0).beta.responses\n"
               "agentops_otel.init()\n"
               "with agentops_otel.session('beta') as s:\n"
               "    responses.create(model='gpt-4o', input='hi')\n"
               "print(s.llm_calls, refuses(s))\n", gpt, tmp_path)
    assert out == "1 True"


@pytest.mark.parametrize("touched", ["before", "after"])
def test_uninstrument_puts_back_what_the_beta_calls_needed(gpt: OpenAIServer, tmp_path: Path, touched: str) -> None:
    """After uninstrument_openai() the SDK's resource classes and beta responses methods are its own again,
    whether client.beta was first used before or after it, and no beta call is recorded."""
    touch = "openai.OpenAI().beta\n"
    out = _run("from openai._resource import SyncAPIResource, AsyncAPIResource\n"
               "inits = (vars(SyncAPIResource)['__init__'], vars(AsyncAPIResource)['__init__'])\n"
               "agentops_otel.init()\n"
               + (touch if touched == "before" else "")
               + "agentops_otel.uninstrument_openai()\n"
               + (touch if touched == "after" else "")
               + "from openai.resources.beta.responses.responses import Responses, AsyncResponses\n"
               "own = all(vars(c)[m].__module__ == c.__module__ and not hasattr(vars(c)[m], '__wrapped__')\n"
               "          for c in (Responses, AsyncResponses) for m in ('create', 'compact'))\n"
               "same = inits == (vars(SyncAPIResource)['__init__'], vars(AsyncAPIResource)['__init__'])\n"
               "with agentops_otel.session('beta') as s:\n"
               "    openai.OpenAI(max_retries=0).beta.responses.create(model='gpt-4o', input='hi')\n"
               "print(own, same, s.llm_calls)\n", gpt, tmp_path)
    assert out == "True True 0"


def test_a_failure_patching_beta_responses_leaves_the_call_untouched(gpt: OpenAIServer, tmp_path: Path) -> None:
    """If patching the beta methods fails when client.beta is first used, the program gets its answer and
    a session that saw no model call refuses its bounds rather than pass on a call it did not see."""
    out = _run("from agentops_otel._guard import FaultInjector\n"
               "agentops_otel.init()\n"
               "FaultInjector.armed['openai.late'] = RuntimeError\n"
               "with agentops_otel.session('beta') as s:\n"
               "    answer = openai.OpenAI(max_retries=0).beta.responses.create(model='gpt-4o', input='hi')\n"
               "print(answer.output[0].content[0].text, s.llm_calls, refuses(s))\n", gpt, tmp_path)
    assert out == "ok 0 True"
