"""Sessions recorded the way a user records them, for the CLI tests that read them back.

A small agent runs in a child process: the real ``openai`` client against the package's
``OpenAIServer``, ``@agentops.tool`` steps, spans to the embedded OTLP JSON file sink. Each call of
:func:`record` runs the script once per variant and returns the session ids by variant.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

AGENT = '''
import json, os, sys
import agentops_otel as agentops
from agentops_otel.testing import OpenAIServer, Reply
from openai import OpenAI

plan = json.loads(sys.argv[1])
server = OpenAIServer().start()
server.set_responder(lambda request: Reply.text(plan.get("reply", "ok")))
client = OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
agentops.init(service_name="cli-test-agent")
ids = {}
for variant, spec in plan["variants"].items():
    tools = {}
    for name in {s["tool"] for s in spec.get("steps", [])}:
        def run(*args, _name=name, **kwargs):
            if kwargs.pop("_fail", None):
                raise ValueError("tool failed")
            return {"ok": True}
        tools[name] = agentops.tool(name)(run)
    try:
        with agentops.session(spec.get("name", "agent")) as s:
            client.chat.completions.create(model="gpt-4o-mini",
                                           messages=[{"role": "user", "content": spec.get("prompt", "hi")}])
            for step in spec.get("steps", []):
                tools[step["tool"]](**step.get("args", {}))
            if "raise" in spec:  # the agent's own code fails after its steps
                raise {"KeyError": KeyError, "RuntimeError": RuntimeError}[spec["raise"][0]](spec["raise"][1])
    except Exception:
        pass
    ids[variant] = s.id
agentops.flush()
print(json.dumps(ids))
'''


def record(folder: Path, variants: dict[str, dict[str, object]], *, reply: str = "ok") -> tuple[Path, dict[str, str]]:
    """Run the agent once per variant into ``folder/traces.jsonl``; the file and each variant's session id.

    A variant is ``{"name": session name, "prompt": text, "steps": [{"tool": name, "args": {...}}]}``;
    an argument ``"_fail": true`` makes that tool raise (the session then ends Fail); ``"raise":
    ["KeyError" or "RuntimeError", message]`` makes the agent raise after its steps.
    """
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "agent.py"
    script.write_text(AGENT, encoding="utf-8")
    traces = folder / "traces.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGENTOPS_OTEL_FILE": str(traces),
           "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only"}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    proc = subprocess.run([sys.executable, str(script), json.dumps({"variants": variants, "reply": reply})],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    ids: dict[str, str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return traces, ids
