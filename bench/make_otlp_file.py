"""Write a synthetic OTLP JSON-lines file shaped like the collector file exporter's output.

Used by ``bench_reassemble.py``; also runnable alone::

    python bench/make_otlp_file.py OUT.jsonl --spans 200000 --sessions 2000 [--gzip]

The shape follows what agentops_otel emits: one trace per session, an ``invoke_agent`` root carrying
the session totals, and LLM / tool / action / error children with modest recorded content. Sessions
run concurrently (like a service handling many conversations), so their spans are interleaved
across export batches of up to 512 spans, children before their root (children end first).
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
from collections.abc import Iterator
from typing import Any

import msgspec

_BATCH = 512
_CONCURRENT = 40
_MODELS = ("gpt-4o-mini", "gpt-4.1", "o3-mini")
_TOOLS = ("search_web", "read_file", "run_sql", "send_email", "calculator")


def _s(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _i(key: str, value: int) -> dict[str, Any]:
    return {"key": key, "value": {"intValue": str(value)}}


def _d(key: str, value: float) -> dict[str, Any]:
    return {"key": key, "value": {"doubleValue": value}}


def _b(key: str, value: bool) -> dict[str, Any]:
    return {"key": key, "value": {"boolValue": value}}


def _session_spans(rng: random.Random, index: int, n_spans: int, t0: int) -> list[dict[str, Any]]:
    """One session: a root and ``n_spans - 1`` children, in the order they end."""
    trace_id = rng.getrandbits(128).to_bytes(16, "big").hex()
    root_id = rng.getrandbits(64).to_bytes(8, "big").hex()
    sid = f"{rng.getrandbits(128):032x}"
    sid = f"{sid[:8]}-{sid[8:12]}-{sid[12:16]}-{sid[16:20]}-{sid[20:]}"
    agent = f"agent-{index % 17}"
    common = [_s("session.id", sid)]
    spans: list[dict[str, Any]] = []
    t = t0 + 1_000_000
    cost = 0.0
    tokens_in = tokens_out = llm = tools = errors = 0
    failed: tuple[str, str] | None = None
    for seq in range(1, n_spans):
        span_id = rng.getrandbits(64).to_bytes(8, "big").hex()
        dur = rng.randint(200_000, 900_000_000)
        roll = rng.random()
        attrs = [*common, _i("agentops.seq", seq)]
        events: list[dict[str, Any]] = []
        status: dict[str, Any] = {}
        kind = 1
        if roll < 0.4:
            model = rng.choice(_MODELS)
            name = f"chat {model}"
            kind = 3
            ti, to = rng.randint(50, 4000), rng.randint(5, 800)
            c = round(ti * 1.5e-7 + to * 6e-7, 8)
            cost += c
            tokens_in += ti
            tokens_out += to
            llm += 1
            attrs += [
                _s("gen_ai.operation.name", "chat"),
                _s("gen_ai.provider.name", "openai"),
                _s("gen_ai.request.model", model),
                _s("gen_ai.response.model", model + "-2025-04-14"),
                _s("gen_ai.response.id", f"chatcmpl-{rng.getrandbits(64):x}"),
                _i("gen_ai.usage.input_tokens", ti),
                _i("gen_ai.usage.output_tokens", to),
                _d("agentops.cost.usd", c),
                _s("gen_ai.input.messages", '[{"role":"user","parts":[{"type":"text","content":"What is the '
                   f'weather in city #{rng.randint(1, 999)} tomorrow?"}}]}}]'),
                _s("gen_ai.output.messages", '[{"role":"assistant","parts":[{"type":"text","content":"It '
                   'will be sunny with a light breeze."}],"finish_reason":"stop"}]'),
            ]
        elif roll < 0.8:
            tool = rng.choice(_TOOLS)
            name = f"execute_tool {tool}"
            tools += 1
            attrs += [
                _s("gen_ai.operation.name", "execute_tool"),
                _s("gen_ai.tool.name", tool),
                _s("gen_ai.tool.type", "function"),
                _s("gen_ai.tool.call.id", f"call_{rng.getrandbits(48):x}"),
                _s("gen_ai.tool.call.arguments", f'{{"query":"item {rng.randint(1, 10**6)}","limit":10}}'),
                _s("gen_ai.tool.call.result", f'{{"rows":{rng.randint(0, 99)},"ok":true}}'),
            ]
        elif roll < 0.95:
            name = "action navigate"
            attrs += [
                _s("agentops.action.type", "navigate"),
                _s("agentops.action.params", f'{{"url":"https://example.com/p/{rng.randint(1, 9999)}"}}'),
                _s("agentops.action.returns", '{"status":200}'),
            ]
        else:
            name = "error ValueError"
            errors += 1
            status = {"code": 2, "message": "bad value"}
            attrs += [_s("error.type", "ValueError"), _s("agentops.error.message", "bad value")]
            events = [{
                "timeUnixNano": str(t + dur // 2), "name": "exception",
                "attributes": [_s("exception.type", "ValueError"), _s("exception.message", "bad value"),
                               _s("exception.stacktrace", 'Traceback (most recent call last):\n  File "a.py"'
                                  ', line 1, in <module>\nValueError: bad value')],
            }]
            failed = failed or (span_id, name)
        spans.append({
            "traceId": trace_id, "spanId": span_id, "parentSpanId": root_id, "flags": 257,
            "name": name, "kind": kind, "startTimeUnixNano": str(t), "endTimeUnixNano": str(t + dur),
            "attributes": attrs, "events": events, "status": status,
        })
        t += dur + rng.randint(10_000, 5_000_000)
    ok = failed is None
    root_attrs = [
        *common, _i("agentops.seq", 0),
        _s("gen_ai.operation.name", "invoke_agent"), _s("gen_ai.agent.name", agent),
        _s("gen_ai.conversation.id", sid), _s("agentops.session.name", agent),
        _s("agentops.session.end_state", "Success" if ok else "Fail"),
        _s("agentops.session.end_reason", "done" if ok else "tool error"),
        {"key": "agentops.tags", "value": {"arrayValue": {"values": [
            {"stringValue": "bench"}, {"stringValue": f"shard-{index % 8}"}]}}},
        _d("agentops.session.cost_usd", round(cost, 8)), _i("agentops.session.cost_micros", int(cost * 1e6)),
        _b("agentops.session.cost_complete", True),
        _i("gen_ai.usage.input_tokens", tokens_in), _i("gen_ai.usage.output_tokens", tokens_out),
        _i("agentops.session.llm_calls", llm), _i("agentops.session.tool_calls", tools),
        _i("agentops.session.errors", errors),
    ]
    if failed:
        root_attrs += [_s("agentops.session.failed_span_id", failed[0]),
                       _s("agentops.session.failed_span_name", failed[1]), _s("error.type", "ValueError")]
    spans.append({
        "traceId": trace_id, "spanId": root_id, "flags": 257, "name": f"invoke_agent {agent}", "kind": 1,
        "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t + 1_000_000), "attributes": root_attrs,
        "status": {"code": 1} if ok else {"code": 2, "message": "tool error"},
    })
    return spans


def generate_lines(n_spans: int, n_sessions: int, seed: int = 7) -> Iterator[bytes]:
    """Yield the file's lines (without newline), batches of ≤512 spans from interleaved sessions."""
    rng = random.Random(seed)
    per = max(2, n_spans // n_sessions)
    sizes = [per] * n_sessions
    sizes[-1] += n_spans - per * n_sessions
    resource = {"attributes": [_s("service.name", "bench-agent"), _s("telemetry.sdk.language", "python"),
                               _s("telemetry.sdk.name", "opentelemetry"), _s("telemetry.sdk.version", "1.45.0")]}
    scope = {"name": "agentops_otel", "version": "0.1.0"}
    enc = msgspec.json.Encoder()
    pending: list[dict[str, Any]] = []
    active: list[list[dict[str, Any]]] = []
    next_session = 0
    t0 = 1_767_000_000_000_000_000
    while next_session < n_sessions or active:
        while len(active) < _CONCURRENT and next_session < n_sessions:
            active.append(_session_spans(rng, next_session, sizes[next_session], t0 + next_session * 10**9))
            next_session += 1
        i = rng.randrange(len(active))
        take = rng.randint(1, 8)
        pending.extend(active[i][:take])
        del active[i][:take]
        if not active[i]:
            active.pop(i)
        while len(pending) >= _BATCH:
            batch, pending = pending[:_BATCH], pending[_BATCH:]
            yield enc.encode({"resourceSpans": [{"resource": resource, "scopeSpans": [
                {"scope": scope, "spans": batch}]}]})
    if pending:
        yield enc.encode({"resourceSpans": [{"resource": resource, "scopeSpans": [
            {"scope": scope, "spans": pending}]}]})


def write_file(path: str, n_spans: int, n_sessions: int, *, compress: bool = False, seed: int = 7) -> int:
    """Write the file; returns its size in bytes."""
    opener = gzip.open if compress else open
    size = 0
    with opener(path, "wb") as fh:
        for line in generate_lines(n_spans, n_sessions, seed):
            fh.write(line + b"\n")
            size += len(line) + 1
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--sessions", type=int, default=2_000)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args(argv)
    size = write_file(args.out, args.spans, args.sessions, compress=args.gzip)
    print(f"wrote {args.spans} spans / {args.sessions} sessions, {size / 1e6:.1f} MB uncompressed -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
