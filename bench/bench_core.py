"""Capture-core benchmarks (issue 2), as ratios measured in one run.

1. ``@tool`` call overhead vs what a user would write by hand: ``tracer.start_as_current_span`` with
   the same attributes (name, operation, tool name/type, JSON arguments and result). Both run through
   the same provider (our session processor + a dropping exporter) inside one session, alternating
   in rounds (with the bare, undecorated function) so machine noise hits all alike; times are the
   calling thread's CPU time. Printed: µs per call, µs added over the bare function, and the ratio
   of the whole calls (target ≤ 1.2) and of the added times.
2. Memory of 10,000 sequential sessions with 20 tool calls each: RSS before/after must stay flat.

Run: ``.venv/bin/python bench/bench_core.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import sys
import time
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

import agentops_otel as agentops
from agentops_otel import semconv


class DropExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(DropExporter()))
    trace.set_tracer_provider(provider)
    agentops.init(tracer_provider=provider, instrument_llm_calls=False)
    tracer = trace.get_tracer("bench")

    def body(customer_id: str, limit: int = 3) -> dict[str, object]:
        return {"id": customer_id, "limit": limit}

    traced = agentops.tool(name="fetch")(body)

    def by_hand(customer_id: str, limit: int = 3) -> dict[str, object]:
        with tracer.start_as_current_span("execute_tool fetch", attributes={
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_EXECUTE_TOOL,
            semconv.GEN_AI_TOOL_NAME: "fetch", semconv.GEN_AI_TOOL_TYPE: "function",
        }) as span:
            span.set_attribute(semconv.GEN_AI_TOOL_CALL_ARGUMENTS,
                               json.dumps({"customer_id": customer_id, "limit": limit}))
            result = body(customer_id, limit)
            span.set_attribute(semconv.GEN_AI_TOOL_CALL_RESULT, json.dumps(result))
            return result

    rounds, calls = (5, 500) if quick else (15, 3000)
    ours: list[float] = []
    hand: list[float] = []
    bare: list[float] = []
    with agentops.session("bench"):
        for fn in (traced, by_hand, body):  # warm-up
            for _ in range(200):
                fn("42", limit=3)
        for r in range(rounds):
            runs = [(traced, ours), (by_hand, hand), (body, bare)]
            for fn, sink in runs[r % 3:] + runs[:r % 3]:
                t0 = time.thread_time()
                for _ in range(calls):
                    fn("42", limit=3)
                sink.append((time.thread_time() - t0) / calls * 1e6)
    ratio = statistics.median(ours) / statistics.median(hand)
    base = statistics.median(bare)
    added_ours, added_hand = statistics.median(ours) - base, statistics.median(hand) - base
    print("@tool overhead vs hand-written start_as_current_span (same attributes, same provider), CPU time")
    print(f"  bare         median {base:7.2f} µs/call")
    print(f"  @tool        median {statistics.median(ours):7.2f} µs/call  (+{added_ours:.2f} over bare)")
    print(f"  by hand      median {statistics.median(hand):7.2f} µs/call  (+{added_hand:.2f} over bare)")
    print(f"  ratio        {ratio:.2f}  (target ≤ 1.20) {'OK' if ratio <= 1.2 else 'OVER TARGET'};"
          f" added-time ratio {added_ours / added_hand:.2f}")
    if "--tool-only" in argv:
        return 0

    sessions = 1000 if quick else 10_000

    @agentops.tool
    def step(i: int) -> int:
        return i

    def run_sessions(n: int) -> None:
        for _ in range(n):
            with agentops.session("mem"):
                for i in range(20):
                    step(i)

    run_sessions(200)  # warm caches and allocator pools
    gc.collect()
    before = rss_mib()
    run_sessions(sessions // 2)
    gc.collect()
    middle = rss_mib()
    run_sessions(sessions // 2)
    gc.collect()
    after = rss_mib()
    print(f"\nmemory over {sessions} sessions × 20 tool calls")
    print(f"  RSS before {before:.1f} MiB, halfway {middle:.1f} MiB, after {after:.1f} MiB")
    growth = after - middle
    print(f"  growth over the second half: {growth:+.1f} MiB ({'flat' if growth < 5 else 'GROWING'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
