"""Added time per instrumented anthropic ``messages.create``, as ratios measured in one run.

The twin of ``bench_openai.py``, on the same harness (``_harness.py``): variants alternate in rounds,
thread CPU time, medians. Compared in one process:

* ``bare``: the anthropic SDK, not instrumented by anyone (its own tracing left at its default, which
  without a global SDK provider starts no recording span);
* ``floor``: the bare call inside one plain SDK span carrying the attributes ours records, precomputed;
* ``agentops_otel``: ``instrument_anthropic()``, content capture on, cost computed;
* when installed (``bench/setup.sh`` puts them in ``bench/.venv``; this script re-runs itself there):
  ``otel-genai-anthropic`` (the official ``opentelemetry-instrumentation-genai-anthropic``),
  ``openllmetry`` (``opentelemetry-instrumentation-anthropic``) and ``openinference``
  (``openinference-instrumentation-anthropic``), content on.

Scenarios: a plain answer, ``stream=True`` read to the end (word-by-word deltas), and a tool-use
answer. Spans go to a provider with a dropping exporter. The HTTP layer is an in-process
``httpx2.MockTransport`` replaying the bytes ``AnthropicServer`` answered. Target: our added time at
most half the cheapest contender's.

``--instructions`` counts instead of timing (``_harness.py``): the bench re-runs itself under
valgrind's callgrind and reports the instructions each variant adds per call on the calling thread
(``--calls`` measured calls per variant after warm-up, ``--peers`` to keep only some contenders).
Deterministic and immune to machine load, but a proxy for CPU time: it ignores cache misses.

Run: ``python bench/bench_anthropic.py`` (``--quick`` for a smoke run, ``--no-reexec`` to stay here).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _harness import (
    CHILD_FLAG,
    DropExporter,
    Loop,
    Variant,
    count_loops,
    maybe_reexec,
    measure,
    noop,
    quiet_batch_processor,
    report,
)
from _harness import count_instructions as harness_count_instructions

os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
os.environ.setdefault("TRACELOOP_TRACE_CONTENT", "true")


def _contenders_importable() -> bool:
    try:
        import openinference.instrumentation.anthropic  # noqa: F401
        import opentelemetry.instrumentation.anthropic  # noqa: F401
    except ImportError:
        return False
    return True


maybe_reexec(__file__, sys.argv[1:], _contenders_importable)

import anthropic  # noqa: E402
import httpx2  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind  # noqa: E402

from agentops_otel.instrument.anthropic import instrument_anthropic, uninstrument_anthropic  # noqa: E402
from agentops_otel.testing import AnthropicServer, Reply, Usage  # noqa: E402

MODEL = "claude-haiku-4-5"
SYSTEM = "You are a support agent for an online shop. Answer briefly."
MESSAGES: list[Any] = [
    {"role": "user", "content": "I was charged twice for order 1234, can you help me get a refund?"},
]
TOOLS: list[Any] = [{
    "name": "fetch_customer_data", "description": "Look a customer up by id",
    "input_schema": {"type": "object", "properties": {"customer_id": {"type": "string"}},
                     "required": ["customer_id"]},
}]
ANSWER = ("I am sorry about the double charge on order 1234. I have opened a refund request for the "
          "duplicate payment; you will see the money back on your card within five business days.")
USAGE = Usage(prompt_tokens=420, completion_tokens=48, cached_tokens=128)


@dataclass(frozen=True)
class Scenario:
    name: str
    kwargs: dict[str, Any]
    reply: Reply
    stream: bool = False


BASE: dict[str, Any] = {"model": MODEL, "max_tokens": 512, "system": SYSTEM, "messages": MESSAGES}
SCENARIOS = [
    Scenario("create", BASE, Reply.text(ANSWER, usage=USAGE)),
    Scenario("stream", {**BASE, "stream": True}, Reply.text(ANSWER, usage=USAGE), stream=True),
    Scenario("tool_use", {**BASE, "tools": TOOLS},
             Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"}, "toolu_1"), usage=USAGE)),
]


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: list[tuple[str, str]]
    frames: list[bytes]


def record_replies(server: AnthropicServer) -> dict[str, Recorded]:
    """What the local server sends for each scenario, byte for byte (SSE frames kept apart)."""
    out: dict[str, Recorded] = {}
    with httpx2.Client() as http:
        for sc in SCENARIOS:
            server.queue(sc.reply)
            resp = http.post(server.base_url + "/v1/messages", json=sc.kwargs, headers={"x-api-key": "test"})
            data = resp.content
            frames = [f + b"\n\n" for f in data.split(b"\n\n") if f] if sc.stream else [data]
            headers = [(k, v) for k, v in resp.headers.items()
                       if k.lower() not in ("transfer-encoding", "content-length", "connection", "date")]
            out[sc.name] = Recorded(resp.status_code, headers, frames)
    return out


def replay_client(recorded: Recorded) -> anthropic.Anthropic:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(recorded.status, headers=recorded.headers, content=iter(recorded.frames))

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return anthropic.Anthropic(base_url="http://127.0.0.1:9", api_key="test", max_retries=0, http_client=http)


def contenders(provider: TracerProvider, keep: str = "") -> list[Variant]:
    """The installed contenders (only those named in ``keep``, comma-separated, when given)."""
    wanted = set(keep.split(",")) if keep else None
    found: list[Variant] = []
    candidates = (
        ("otel-genai-anthropic", "opentelemetry.instrumentation.genai.anthropic"),
        ("openllmetry", "opentelemetry.instrumentation.anthropic"),
        ("openinference", "openinference.instrumentation.anthropic"),
    )
    for name, module in candidates:
        if wanted is not None and name not in wanted:
            continue
        try:
            cls = __import__(module, fromlist=["AnthropicInstrumentor"]).AnthropicInstrumentor
        except (ImportError, AttributeError):
            continue
        inst = cls()
        found.append(Variant(name, functools.partial(inst.instrument, tracer_provider=provider), inst.uninstrument))
    return found


def call(client: anthropic.Anthropic, sc: Scenario) -> None:
    result = client.messages.create(**sc.kwargs)
    if sc.stream:
        for _ in result:
            pass


def floor_attributes(client: anthropic.Anthropic, sc: Scenario) -> tuple[str, dict[str, Any]]:
    """The name and attributes our span carries for this scenario (captured once, replayed by `floor`)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_anthropic(tracer_provider=provider)
    try:
        call(client, sc)
    finally:
        uninstrument_anthropic()
    (span,) = exporter.get_finished_spans()
    return span.name, dict(span.attributes or {})


def variants_for(provider: TracerProvider, others: list[Variant]) -> list[Variant]:
    return [Variant("bare", noop, noop), Variant("floor", noop, noop),
            Variant("agentops_otel", lambda: instrument_anthropic(tracer_provider=provider), uninstrument_anthropic),
            *others]


def scenario_calls(provider: TracerProvider,
                   recorded: dict[str, Recorded]) -> list[tuple[Scenario, Callable[[], None], Callable[[], None]]]:
    """Per scenario: the plain call and the same call inside the precomputed ``floor`` span."""
    tracer = provider.get_tracer("bench-floor")
    out: list[tuple[Scenario, Callable[[], None], Callable[[], None]]] = []
    for sc in SCENARIOS:
        client = replay_client(recorded[sc.name])
        name, attrs = floor_attributes(client, sc)

        def plain(client: anthropic.Anthropic = client, sc: Scenario = sc) -> None:
            call(client, sc)

        def with_floor_span(client: anthropic.Anthropic = client, sc: Scenario = sc,
                            name: str = name, attrs: dict[str, Any] = attrs) -> None:
            with tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attrs):
                call(client, sc)

        out.append((sc, plain, with_floor_span))
    return out


def recorded_replies() -> dict[str, Recorded]:
    with AnthropicServer() as server:
        return record_replies(server)


def count_instructions_child(out_dir: Path, keep: str, warmup: int, calls: int) -> int:
    """Under callgrind: every variant's calls through the replaying client, between markers."""
    provider = TracerProvider()
    provider.add_span_processor(quiet_batch_processor())
    variants = variants_for(provider, contenders(provider, keep))
    loops = [Loop(sc.name, variants, {v.name: with_floor_span if v.name == "floor" else plain for v in variants})
             for sc, plain, with_floor_span in scenario_calls(provider, recorded_replies())]
    count_loops(loops, out_dir, warmup, calls)
    return 0


def count_instructions(argv: list[str], warmup: int, calls: int, keep: str) -> int:
    return harness_count_instructions(__file__, argv, warmup, calls, f"anthropic {anthropic.__version__}",
                                      "AnthropicServer", [v.name for v in contenders(TracerProvider(), keep)],
                                      "agentops_otel")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--peers", default="", help="comma-separated contenders to keep (default: all)")
    parser.add_argument("--instructions", action="store_true",
                        help="count the calling thread's instructions under valgrind instead of timing")
    parser.add_argument("--calls", type=int, default=0, help="--instructions: measured calls per variant")
    parser.add_argument(CHILD_FLAG, type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-reexec", action="store_true")
    args = parser.parse_args(argv)
    if args.instructions or args.instructions_child:
        warmup, calls = (5, 10) if args.quick else (20, 100)
        calls = args.calls or calls
        if args.instructions_child:
            return count_instructions_child(args.instructions_child, args.peers, warmup, calls)
        child_argv = [a for a in argv if a not in ("--instructions", "--no-reexec")]
        return count_instructions(child_argv, warmup, calls, args.peers)
    rounds, per_round = (4, 20) if args.quick else (25, 60)

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(DropExporter()))
    others = contenders(provider, args.peers)
    variants = variants_for(provider, others)

    results: dict[str, dict[str, tuple[float, float]]] = {}
    for sc, plain, with_floor_span in scenario_calls(provider, recorded_replies()):
        results[sc.name] = measure(plain, with_floor_span, variants, rounds, per_round)

    print(f"python {sys.version.split()[0]}, anthropic {anthropic.__version__}; transport: in-process "
          "httpx2.MockTransport replaying AnthropicServer's recorded bytes; clock: thread CPU time")
    print(f"{rounds} rounds x {per_round} calls per variant per scenario, alternating; medians; "
          "content capture on, cost computed, spans to a dropping exporter")
    if not others:
        print("contenders not installed: run bench/setup.sh (creates bench/.venv) to compare")
    report(results, variants, others)
    return 0  # a benchmark reports; it does not fail the build


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
