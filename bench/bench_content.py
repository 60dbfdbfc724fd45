"""Content capture's cost against conversation length, and value bounding against value size.

An agent resends its whole history on every call. Recording that history whole made each call's
cost (and bytes) grow with the conversation, quadratically over it; with the per-span content budget
(``AGENTOPS_OTEL_MAX_CONTENT_CHARS``) only the newest messages that fit are shaped and encoded. This
script measures, in one run and alternating in rounds, the time ``instrument_openai()`` (content on,
cost computed, spans to a dropping exporter) adds to ``chat.completions.create`` with 10 and with 200
prior messages (median of paired differences: bare call, instrumented call), and prints the ratio.
Goal: at most 1.5x.

A second table times the bounding of tool arguments: a 2,000-item and a 2,000,000-item list bounded
to the default 4096 characters (the walk stops at the limit, so the two should cost about the same).

The HTTP layer is an in-process ``httpx2.MockTransport`` replaying the bytes ``OpenAIServer`` sent,
so socket noise doesn't drown microseconds; times are this thread's CPU time.

Run: ``python bench/bench_content.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"

import httpx2
import openai
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import config, semconv
from agentops_otel._serialize import bounded_json
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer, Reply, Usage

SYSTEM = {"role": "system", "content": "You are a support agent for an online shop. Answer briefly and "
                                       "look customers up with the tools before promising anything."}
USER_TURN = ("I was charged twice for order {i}, the second charge appeared two days later on my card "
             "statement. Could you check what happened and tell me when I will get the money back? "
             "My account number is 4417 and the card ends in 0042.")
ASSISTANT_TURN = ("I am sorry about the double charge on order {i}. I have looked at the payment log: the "
                  "second charge is a duplicate authorisation. I opened a refund request for it; you "
                  "will see the money back on your card within five business days.")
HISTORIES = (10, 200)


class DropExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def history(prior: int) -> list[Any]:
    """A system prompt, ``prior`` alternating turns, and the new question."""
    turns = [{"role": "user" if i % 2 == 0 else "assistant",
              "content": (USER_TURN if i % 2 == 0 else ASSISTANT_TURN).format(i=1000 + i)} for i in range(prior)]
    return [SYSTEM, *turns, {"role": "user", "content": "And what about order 1234?"}]


def replay_client(server: OpenAIServer) -> openai.OpenAI:
    """A real openai client whose transport replays, in-process, what the local server answered."""
    server.queue(Reply.text("Order 1234 was charged once; nothing to refund there.",
                            usage=Usage(prompt_tokens=900, completion_tokens=14)))
    with httpx2.Client() as http:
        resp = http.post(server.base_url.rstrip("/") + "/chat/completions",
                         json={"model": "gpt-4o-mini", "messages": history(1)})
    body = resp.content
    headers = [(k, v) for k, v in resp.headers.items()
               if k.lower() not in ("transfer-encoding", "content-length", "connection", "date")]

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(resp.status_code, headers=headers, content=body)

    http_client = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="test", max_retries=0, http_client=http_client)


def timed(fn: Callable[[], object], n: int) -> float:
    """Median thread CPU µs of ``n`` calls (time spent descheduled on a busy machine is not ours)."""
    clock = time.thread_time_ns
    samples = []
    for _ in range(n):
        t0 = clock()
        fn()
        samples.append(clock() - t0)
    return statistics.median(samples) / 1000


def added_per_call(client: openai.OpenAI, provider: TracerProvider, pairs: int) -> dict[int, float]:
    """Per history length: median over paired samples of (instrumented − bare) µs for the same call.

    The SDK's own request building costs milliseconds at 200 messages and varies more than our part
    does, so each instrumented call is paired with a bare call made right before or after it (the
    order alternates) and the difference of the pair is the sample.
    """
    clock = time.thread_time_ns
    diffs: dict[int, list[int]] = {n: [] for n in HISTORIES}
    def caller(messages: list[Any]) -> Callable[[], object]:
        return lambda: client.chat.completions.create(model="gpt-4o-mini", messages=messages)

    calls = {n: caller(history(n)) for n in HISTORIES}
    for fn in calls.values():  # warm up both paths
        for _ in range(3):
            fn()
        instrument_openai(tracer_provider=provider)
        fn()
        uninstrument_openai()
    gc.collect()
    gc.disable()
    try:
        for i in range(pairs):
            for prior in HISTORIES if i % 2 == 0 else tuple(reversed(HISTORIES)):
                fn = calls[prior]
                times = {}
                for mode in ("bare", "ours") if i % 4 < 2 else ("ours", "bare"):
                    if mode == "ours":
                        instrument_openai(tracer_provider=provider)
                    t0 = clock()
                    fn()
                    times[mode] = clock() - t0
                    if mode == "ours":
                        uninstrument_openai()
                diffs[prior].append(times["ours"] - times["bare"])
    finally:
        gc.enable()
    return {n: statistics.median(v) / 1000 for n, v in diffs.items()}


def recorded_sizes(client: openai.OpenAI) -> dict[int, int]:
    """Characters of ``gen_ai.input.messages`` recorded for each history length."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_openai(tracer_provider=provider)
    try:
        for prior in HISTORIES:
            client.chat.completions.create(model="gpt-4o-mini", messages=history(prior))
    finally:
        uninstrument_openai()
    spans = exporter.get_finished_spans()
    return {prior: len(str((s.attributes or {}).get(semconv.GEN_AI_INPUT_MESSAGES, "")))
            for prior, s in zip(HISTORIES, spans, strict=True)}


def bounding(rounds: int) -> dict[int, float]:
    """µs to bound (and encode) an integer list of each size to the default value limit."""
    limit = config.DEFAULT_MAX_VALUE_CHARS
    out: dict[int, float] = {}
    for size in (2_000, 2_000_000):
        value = list(range(size))
        out[size] = timed(lambda value=value: bounded_json(value, limit), rounds)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    pairs = 60 if args.quick else 400
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(DropExporter()))
    with OpenAIServer() as server:
        client = replay_client(server)
    sizes = recorded_sizes(client)
    added = added_per_call(client, provider, pairs)
    budget = config.max_content_chars()
    print(f"python {sys.version.split()[0]}, openai {openai.__version__}; in-process transport; thread CPU time; "
          f"{pairs} paired calls per length; content budget {budget} chars")
    print(f"{'prior messages':<16}{'added µs/call':>15}{'recorded chars':>16}")
    for prior in HISTORIES:
        print(f"{prior:<16}{added[prior]:>15.1f}{sizes[prior]:>16}")
    ratio = added[HISTORIES[1]] / added[HISTORIES[0]] if added[HISTORIES[0]] > 0 else float("nan")
    verdict = "ok" if ratio <= 1.5 else "over goal"
    print(f"ratio {HISTORIES[1]}/{HISTORIES[0]} prior messages: {ratio:.2f}x (goal <= 1.5x: {verdict})")
    print()
    cost = bounding(pairs // 4)
    print(f"{'list items':<16}{'bound µs':>15}   (to {config.DEFAULT_MAX_VALUE_CHARS} chars)")
    for size, us in cost.items():
        print(f"{size:<16}{us:>15.1f}")
    print(f"ratio 2,000,000/2,000 items: {cost[2_000_000] / cost[2_000]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
