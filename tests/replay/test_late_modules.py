"""A recording or replay does not import the SDK modules ``init()`` leaves unloaded (``openai.types.beta``,
half a second), and a call through them made first inside a replay is still answered, not sent.

Each test runs a fresh interpreter: in this one the beta modules may already be loaded by another test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx2
import openai
import pytest

from agentops_otel.testing import LLMStep, OpenAIServer, Reply, record

pytestmark = pytest.mark.slow  # each runs the agent in a child interpreter

PRELUDE = """
import sys, httpx2, openai
from agentops_otel.testing import record, replay
def client(): return openai.OpenAI(max_retries=0, http_client=httpx2.Client(timeout=30))
"""


def _run(code: str, base_url: str, cwd: Path) -> str:
    env = {**os.environ, "AGENTOPS_OTEL_FILE": "t.jsonl", "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-local",
           "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentops_anthropic"}  # no anthropic call: skip its import
    done = subprocess.run([sys.executable, "-c", PRELUDE + code], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_record_and_replay_leave_the_beta_types_unimported(tmp_path: Path) -> None:
    """A recording and its replay of a chat call import nothing of openai.types.beta."""
    with OpenAIServer() as server:
        server.set_responder(lambda request: Reply.text("billing"))
        out = _run("def ask(): client().chat.completions.create(model='gpt-4o-mini',\n"
                   "                                          messages=[{'role': 'user', 'content': 'hi'}])\n"
                   "with record() as rec:\n"
                   "    ask()\n"
                   "with replay(rec.save('c.json')):\n"
                   "    ask()\n"
                   "print(sum(m.startswith('openai.types.beta') for m in sys.modules))\n", server.base_url, tmp_path)
    assert out == "0"


def test_a_beta_responses_call_first_made_inside_a_replay_is_answered(tmp_path: Path) -> None:
    """client.beta.responses.create, first reached inside a replay, on a client with its own http_client,
    gets the recorded answer and sends nothing."""
    with OpenAIServer() as server:
        server.set_responder(lambda request: Reply.text("billing"))
        live = openai.OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0, http_client=httpx2.Client())
        with record() as rec:
            live.beta.responses.create(model="gpt-4o", input="hi")
        assert [type(s) for s in rec.steps] == [LLMStep]
        path = rec.save(tmp_path / "c.json")
        sent = len(server.requests)
        out = _run(f"with replay({str(path)!r}):\n"
                   "    print(client().beta.responses.create(model='gpt-4o', input='hi').output[0].content[0].text)\n",
                   server.base_url, tmp_path)
        assert (out, len(server.requests)) == ("billing", sent)
