"""Replaying the example agent's five sessions vs running them against the local server, in one run.

Both contenders run the same agent code (``examples.support_agent.agent``), instrumented, spans to a
provider without exporters, alternating in rounds so machine noise hits both alike:

* ``live``: the five demo messages against ``OpenAIServer`` on loopback (the baseline);
* ``replay``: the same five sessions replayed from the committed cassettes
  (``examples/support_agent/tests/cassettes``): every LLM answer rebuilt by the SDK from the recorded
  bytes, every step compared with the recording, no socket.

Target: replay faster than the local round trip (ratio < 1). Run: ``python bench/bench_replay.py``
(``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"

CASSETTES = REPO / "examples" / "support_agent" / "tests" / "cassettes"
SESSIONS = {
    "billing_4417": "I was charged twice for my subscription, account 4417",
    "duplicate_2093": "There's a duplicate charge on account 2093",
    "no_account": "I was charged twice for my subscription",
    "password_reset": "How do I reset my password? The login page keeps saying error.",
    "double_billing_7781": "Double billing issue on customer 7781",
}


def _run(message: str) -> None:
    from examples.support_agent.agent import run_support_agent

    try:
        run_support_agent(message)
    except ValueError:
        pass  # the session without an account id fails, as recorded


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few rounds only (smoke run)")
    parser.add_argument("--rounds", type=int, default=15)
    args, _ = parser.parse_known_args(argv)
    rounds = 3 if args.quick else args.rounds

    import openai
    from opentelemetry.sdk.trace import TracerProvider

    import agentops_otel
    from agentops_otel.testing import OpenAIServer, load_cassette, replay
    from examples.support_agent import agent
    from examples.support_agent.fake_llm import support_llm_responder

    agentops_otel.init(tracer_provider=TracerProvider(), service_name="bench-replay")
    cassettes = {name: load_cassette(CASSETTES / f"{name}.json") for name in SESSIONS}

    with OpenAIServer() as server:
        server.set_responder(support_llm_responder)
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "sk-local-bench"
        openai.base_url = server.base_url + "/"
        openai.api_key = "sk-local-bench"
        agent._client = None

        def live() -> None:
            for message in SESSIONS.values():
                _run(message)

        def replayed() -> None:
            for name, message in SESSIONS.items():
                with replay(cassettes[name]):
                    _run(message)

        contenders: dict[str, Callable[[], None]] = {"live": live, "replay": replayed}
        for fn in contenders.values():  # warm up: imports, connection pool, first-call caches
            fn()
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, fn in contenders.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)

    live_ms = statistics.median(times["live"]) * 1000
    replay_ms = statistics.median(times["replay"]) * 1000
    ratio = replay_ms / live_ms
    print(f"five sessions, median of {rounds} rounds (alternating)")
    print(f"  live (local server):  {live_ms:8.1f} ms")
    print(f"  replay (cassettes):   {replay_ms:8.1f} ms")
    print(f"  ratio replay/live:    {ratio:8.2f}  ({'replay faster' if ratio < 1 else 'replay SLOWER'}: goal < 1)")
    return 0 if ratio < 1 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
