"""Run the example support agent as a user's process would, exporting per the OTEL_* environment.

``python tests/e2e/agent_run.py MESSAGES_JSON [--interval S]`` prints one JSON line per session
(session id, trace id, end state, cost, span count, url, how long the call took, RSS) and a final
``{"done": ...}`` line. The e2e tests run it in a subprocess because the global TracerProvider can be
set once per process and the exporter is chosen from the environment at ``init()``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import agentops_otel as agentops
from agentops_otel.testing import OpenAIServer
from examples.support_agent.agent import run_support_agent
from examples.support_agent.fake_llm import support_llm_responder


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    messages: list[str] = json.loads(sys.argv[1])
    interval = float(sys.argv[sys.argv.index("--interval") + 1]) if "--interval" in sys.argv else 0.0
    with OpenAIServer() as server:
        server.set_responder(support_llm_responder)
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "sk-e2e-not-a-real-key-0123456789"
        agentops.init()
        for message in messages:
            started = time.monotonic()
            error = None
            try:
                run_support_agent(message)
            except Exception as exc:  # the session recorded it; keep going like a service would
                error = f"{type(exc).__name__}: {exc}"
            took = time.monotonic() - started
            s = agentops.get_session()
            assert s is not None
            print(json.dumps({
                "message": message, "session_id": s.id, "trace_id": s.trace_id, "span_id": s.span_id,
                "end_state": s.end_state, "cost": s.cost, "cost_micros": round(s.cost * 1e6),
                "span_count": len(s.spans) + 1, "url": s.url, "error": error, "seconds": took,
                "rss_kib": rss_kib(), "ended_at": time.time(),
            }), flush=True)
            if interval:
                time.sleep(interval)
        flushed = agentops.flush(timeout_millis=15_000)
    print(json.dumps({"done": True, "flushed": flushed, "rss_kib": rss_kib()}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
