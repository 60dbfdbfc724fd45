"""Added time per instrumented ``chat.completions.create``, as ratios measured in one run.

What is compared, call by call, in one process and interleaved call by call (so machine noise hits
every contender alike), each switched on and off with its own ``instrument()`` / ``uninstrument()``:

* ``bare``: the openai SDK, uninstrumented (the baseline every other line is measured against);
* ``floor``: a hand-written ``wrapt`` wrapper that makes one span (operation, provider, model, and
  the response model and token counts when there is a usage object): what an instrumentation that
  records almost nothing costs;
* ``span+attrs``: the same wrapper, its span carrying the attributes ours records (precomputed):
  the share of ours that is the SDK's span and attribute handling;
* ``ours``: ``instrument_openai()`` with content capture on and the cost computed;
* ``ours+session``: the same after ``init()``, each call inside an open session (the session processor
  stamps the span and rolls its tokens and cost up): printed beside the ratio, not judged (no peer has
  sessions; the target compares each contender switched on by its own ``instrument()``);
* ``genai-off`` / ``genai-on``: ``opentelemetry-instrumentation-genai-openai`` (the official one,
  formerly ``-openai-v2``) with content capture off (its cheapest configuration) and on;
* ``openinference``: ``openinference-instrumentation-openai`` (records content by default);
* ``v2-off``: the last ``opentelemetry-instrumentation-openai-v2`` (2.4b0), content off, when it is
  importable. It cannot share ``bench/.venv`` with ``-genai-openai`` (it needs
  ``opentelemetry-util-genai==0.4b0``), so it is compared in a venv of its own::

      python3.11 -m venv /tmp/v2 && /tmp/v2/bin/pip install -e . "openai>=3" \
          opentelemetry-instrumentation-openai-v2==2.4b0 opentelemetry-util-genai==0.4b0
      /tmp/v2/bin/python bench/bench_openai.py --no-reexec --peers v2-off

  (On 2026-12-06 it added about as much as ``genai-off``: 222 / 251 µs on chat / tool calls.)

The contenders are installed in ``bench/.venv`` (``bench/setup.sh``); this script re-runs itself
there when it exists. Scenarios: a plain answer, a streamed answer (``include_usage``, word-by-word
chunks) read to the end, and a tool-call answer. Spans go through a ``BatchSpanProcessor`` to a
dropping exporter.

Transport: real HTTP on loopback (the default, the table the target is judged on) to an
``OpenAIServer`` in a child process (so its work competes with nobody's GIL), with the SDK's own
pooled connection; ``--mock`` replays the server's recorded bytes through an in-process
``httpx2.MockTransport`` instead. Each call is timed on two clocks: the calling thread's CPU time
(what an instrumentation adds is work on that thread; time spent descheduled on a shared machine is
not) and the wall clock. The variants interleave call by call (``_harness.measure_interleaved``): a
cycle switches each on in turn (rotating order), makes one warm-up and one timed call, switches it
off; added time = median (and 20 %-trimmed mean) over cycles of the variant's call minus bare's call
in the same cycle, and ours/cheapest peer comes with a bootstrap 95 % interval. (This replaced
rounds of 25 calls per variant. On the 2-core shared machine, two batches of five alternating runs
of each, 400 timed calls per variant on chat, gave ours/genai-off from 0.05 to 0.80 and from 0.24 to
0.77 with rounds (standard deviation 0.28 and 0.21), from 0.61 to 0.69 and from 0.66 to 0.77 call by
call (0.03 and 0.04), in about the same time.) The cycles are split over five worker processes run
one after the other (``--processes``) and pooled: on 2026-12-07 nine single-process runs minutes apart
gave ours/genai-off from 0.42 to 0.57 on tool calls, each with an interval of about ±0.04, so what is
fixed for the life of a process (its memory layout, the machine's load while it runs) moved the ratio
more than its cycles' spread. The interval resamples processes, then cycles, and each process's own
ratio is printed. Target: ours at most half the cheapest peer configuration's added time.

``--instructions``: a deterministic table instead, immune to machine load. The bench re-runs itself
under valgrind's callgrind (``_harness.run_under_callgrind``); the child makes every variant's calls
through the real client over the replaying MockTransport (20 warm-up calls, then ``--calls``, default
100, between two ``os.getppid()`` markers at which callgrind dumps its counters), with spans going to a
BatchSpanProcessor that never wakes its worker. The table is the instructions executed *on the
calling thread* per call, bare and added per variant: a proxy for CPU time that ignores cache misses
and the kernel's socket work; the real-HTTP CPU table stays the end-to-end measurement. A full run
takes 15-25 minutes (``--peers genai-off`` leaves out the two expensive peer configurations).

Run: ``python bench/bench_openai.py`` (``--quick`` for a smoke run, ``--mock`` for the in-process
transport, ``--only chat,stream`` for some scenarios, ``--peers genai-off`` for some peers,
``--instructions`` for the instruction counts, ``--processes 1`` for one process, ``--no-reexec`` to stay
in the current interpreter).
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _harness import (
    CHILD_FLAG,
    Added,
    DropExporter,
    Loop,
    Variant,
    count_loops,
    load_average,
    maybe_reexec,
    measure_interleaved,
    noop,
    quiet_batch_processor,
)
from _harness import count_instructions as harness_count_instructions
from _paired_report import IN_SESSION, dump_results, print_table, run_workers

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
os.environ[CAPTURE_ENV] = "span_only"
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
TARGET = 0.5
"""Our added time may be at most this fraction of the cheapest peer configuration's."""


def _contenders_importable() -> bool:
    try:
        import openinference.instrumentation.openai  # noqa: F401
        import opentelemetry.instrumentation.genai.openai  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__" and "--serve" not in sys.argv:
    maybe_reexec(__file__, sys.argv[1:], _contenders_importable)

import httpx2  # noqa: E402
import openai  # noqa: E402
import wrapt  # noqa: E402
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind  # noqa: E402

from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai  # noqa: E402
from agentops_otel.testing import OpenAIServer, Reply, Request, Usage  # noqa: E402

MESSAGES: list[Any] = [
    {"role": "system", "content": "You are a support agent for an online shop. Answer briefly."},
    {"role": "user", "content": "I was charged twice for order 1234, can you help me get a refund?"},
]
TOOLS: list[Any] = [{
    "type": "function",
    "function": {"name": "fetch_customer_data", "description": "Look a customer up by id",
                 "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"}},
                                "required": ["customer_id"]}},
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


SCENARIOS = [
    Scenario("chat", {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0.2},
             Reply.text(ANSWER, usage=USAGE)),
    Scenario("stream", {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True,
                        "stream_options": {"include_usage": True}},
             Reply.text(ANSWER, usage=USAGE), stream=True),
    Scenario("tool_calls", {"model": "gpt-4o-mini", "messages": MESSAGES, "tools": TOOLS},
             Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"}, "call_1"), usage=USAGE)),
]


def respond(request: Request) -> Reply:
    """One responder for every scenario: the request says which one it is."""
    return SCENARIOS[2].reply if request.json.get("tools") else SCENARIOS[0].reply


# --- transport ----------------------------------------------------------------------------------

def serve() -> int:
    """``--serve``: run OpenAIServer in this (child) process until stdin closes."""
    with OpenAIServer() as server:
        server.set_responder(respond)
        print(server.base_url, flush=True)
        sys.stdin.read()
    return 0


class ServerProcess:
    """OpenAIServer in a child process, so its request handling never holds the bench's GIL."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", "--no-reexec"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url:
            raise RuntimeError("the OpenAIServer child process did not start")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: list[tuple[str, str]]
    frames: list[bytes]


def record_replies(base_url: str) -> dict[str, Recorded]:
    """What the local server sends for each scenario, byte for byte (SSE frames kept apart)."""
    out: dict[str, Recorded] = {}
    with httpx2.Client() as http:
        for sc in SCENARIOS:
            resp = http.post(base_url.rstrip("/") + "/chat/completions", json=sc.kwargs,
                             headers={"authorization": "Bearer test"})
            data = resp.content
            frames = [f + b"\n\n" for f in data.split(b"\n\n") if f] if sc.stream else [data]
            headers = [(k, v) for k, v in resp.headers.items()
                       if k.lower() not in ("transfer-encoding", "content-length", "connection", "date")]
            out[sc.name] = Recorded(resp.status_code, headers, frames)
    return out


def replay_client(recorded: Recorded) -> openai.OpenAI:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(recorded.status, headers=recorded.headers, content=iter(recorded.frames))

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="test", max_retries=0, http_client=http)


def call(client: openai.OpenAI, sc: Scenario) -> None:
    result = client.chat.completions.create(**sc.kwargs)
    if sc.stream:
        for _ in result:
            pass


# --- contenders ---------------------------------------------------------------------------------

def with_capture(mode: str, on: Callable[[], object]) -> Callable[[], None]:
    """Set the content-capture env var, then switch on (the official one reads it in ``instrument()``)."""
    def switch_on() -> None:
        os.environ[CAPTURE_ENV] = mode
        on()
    return switch_on


def hand_wrapper(provider: TracerProvider, name: str, attrs: dict[str, Any] | None) -> Variant:
    """A hand-written one-span wrapper around ``Completions.create``, switched on/off like the others.

    ``attrs=None``: the floor (a few attributes read off the request and the response); else one span
    carrying ``attrs`` as they are (precomputed: no extraction, no encoding).
    """
    from openai.resources.chat.completions import completions as module

    tracer = provider.get_tracer("bench-hand-written")
    cls = module.Completions

    def floor(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        model = kwargs.get("model")
        with tracer.start_as_current_span(f"chat {model}", kind=SpanKind.CLIENT, attributes={
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": model}) as span:
            result = wrapped(*args, **kwargs)
            usage = getattr(result, "usage", None)
            if usage is not None:
                span.set_attributes({"gen_ai.response.model": result.model,
                                     "gen_ai.usage.input_tokens": usage.prompt_tokens,
                                     "gen_ai.usage.output_tokens": usage.completion_tokens})
            return result

    def precomputed(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        with tracer.start_as_current_span(span_name, kind=SpanKind.CLIENT, attributes=attrs):
            return wrapped(*args, **kwargs)

    span_name = str((attrs or {}).get("_name", "chat"))
    if attrs is not None:
        attrs = {k: v for k, v in attrs.items() if k != "_name"}
    fn = floor if attrs is None else precomputed

    def on() -> None:
        wrapt.wrap_function_wrapper(cls, "create", fn)

    def off() -> None:
        current = vars(cls)["create"]
        if isinstance(current, wrapt.FunctionWrapper):
            cls.create = current.__wrapped__  # type: ignore[method-assign]

    return Variant(name, on, off)


def peers(provider: TracerProvider, keep: str = "") -> list[Variant]:
    """The installed peer configurations (only those named in ``keep``, comma-separated, when given)."""
    wanted = set(keep.split(",")) if keep else None
    return [v for v in _installed_peers(provider) if wanted is None or v.name in wanted]


def _installed_peers(provider: TracerProvider) -> list[Variant]:
    found: list[Variant] = []
    try:
        from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor as OTelGenAI

        official = OTelGenAI()
        found.append(Variant("genai-off", with_capture("no_content",
                                                       lambda: official.instrument(tracer_provider=provider)),
                             official.uninstrument))
        found.append(Variant("genai-on", with_capture("span_only",
                                                      lambda: official.instrument(tracer_provider=provider)),
                             official.uninstrument))
    except ImportError:
        pass
    try:
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as OTelV2

        v2 = OTelV2()
        found.append(Variant("v2-off", with_capture("no_content", lambda: v2.instrument(tracer_provider=provider)),
                             v2.uninstrument))
    except ImportError:
        pass
    try:
        from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInference

        oi = OpenInference()
        found.append(Variant("openinference", lambda: oi.instrument(tracer_provider=provider), oi.uninstrument))
    except ImportError:
        pass
    return found


def our_attributes(client: openai.OpenAI, sc: Scenario) -> dict[str, Any]:
    """The name (under ``_name``) and attributes our span carries for this scenario, captured once."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    os.environ[CAPTURE_ENV] = "span_only"
    instrument_openai(tracer_provider=provider)
    try:
        call(client, sc)
    finally:
        uninstrument_openai()
    (span,) = exporter.get_finished_spans()
    return {"_name": span.name, **dict(span.attributes or {})}



def in_session(processor: SpanProcessor) -> Variant:
    """:data:`IN_SESSION` on a provider of its own (the session processor would add its hooks to every span of
    the shared one) exporting through ``processor`` (one like the shared provider's), ``init()`` routed to it, and
    a session opened by switching on and ended by switching off (one warm-up and one timed call in each)."""
    import agentops_otel

    own = TracerProvider()
    own.add_span_processor(processor)
    agentops_otel.init(tracer_provider=own, instrument_llm_calls=False)
    open_session: list[Any] = []

    def on() -> None:
        os.environ[CAPTURE_ENV] = "span_only"
        instrument_openai(tracer_provider=own)
        open_session.append(agentops_otel.start_session("bench"))

    def off() -> None:
        uninstrument_openai()
        while open_session:
            open_session.pop().end(agentops_otel.END_SUCCESS)

    return Variant(IN_SESSION, on, off)


def variants_for(provider: TracerProvider, client: openai.OpenAI, sc: Scenario, others: list[Variant],
                 session: Variant) -> list[Variant]:
    """Every variant for one scenario: bare, the two hand-written wrappers, ours (alone, then in a session),
    then the peers."""
    return [Variant("bare", noop, noop), hand_wrapper(provider, "floor", None),
            hand_wrapper(provider, "span+attrs", our_attributes(client, sc)),
            Variant("ours", with_capture("span_only", lambda: instrument_openai(tracer_provider=provider)),
                    uninstrument_openai),
            session, *others]


def recorded_replies() -> dict[str, Recorded]:
    server = ServerProcess()
    try:
        return record_replies(server.base_url)
    finally:
        server.close()


# --- instruction counts (--instructions) --------------------------------------------------------

def count_instructions_child(out_dir: Path, scenarios: list[Scenario], keep_peers: str, warmup: int,
                             calls: int) -> int:
    """Under callgrind: every variant's calls through the replaying client, between markers."""
    provider = TracerProvider()
    provider.add_span_processor(quiet_batch_processor())
    others = peers(provider, keep_peers)
    session = in_session(quiet_batch_processor())
    recorded = recorded_replies()
    loops = []
    for sc in scenarios:
        client = replay_client(recorded[sc.name])
        variants = variants_for(provider, client, sc, others, session)
        loops.append(Loop(sc.name, variants, {v.name: functools.partial(call, client, sc) for v in variants}))
    count_loops(loops, out_dir, warmup, calls)
    os.environ[CAPTURE_ENV] = "span_only"
    return 0


def count_instructions(argv: list[str], warmup: int, calls: int, keep_peers: str) -> int:
    return harness_count_instructions(__file__, argv, warmup, calls, f"openai {openai.__version__}", "OpenAIServer",
                                      [v.name for v in peers(TracerProvider(), keep_peers)], "ours")


def measure(args: argparse.Namespace, scenarios: list[Scenario], cycles: int) -> dict[str, dict[str, Added]]:
    """Every scenario's variants measured in this process (see the module's docstring)."""
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DropExporter()))
    others = peers(provider, args.peers)
    session = in_session(BatchSpanProcessor(DropExporter()))
    results: dict[str, dict[str, Added]] = {}
    server = ServerProcess()
    try:
        recorded = record_replies(server.base_url) if args.mock else {}
        for sc in scenarios:
            client = (replay_client(recorded[sc.name]) if args.mock else
                      openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0))
            variants = variants_for(provider, client, sc, others, session)
            fns: dict[str, Callable[[], None]] = {v.name: functools.partial(call, client, sc) for v in variants}
            results[sc.name] = measure_interleaved(fns, variants, cycles)
            client.close()
    finally:
        server.close()
        os.environ[CAPTURE_ENV] = "span_only"
    provider.shutdown()
    return results


def measure_in_processes(args: argparse.Namespace, cycles: int) -> dict[str, dict[str, Added]]:
    """``args.processes`` worker processes, one after the other, each measuring its share of ``cycles`` of
    every scenario; their figures pooled (:func:`_paired_report.run_workers`)."""
    argv = [sys.executable, __file__, "--no-reexec", *(["--mock"] if args.mock else []),
            *(["--only", args.only] if args.only else []), *(["--peers", args.peers] if args.peers else [])]
    return run_workers(argv, args.processes, cycles)


# --- main ---------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mock", action="store_true", help="in-process MockTransport instead of real HTTP")
    parser.add_argument("--cycles", type=int, default=0, help="cycles per scenario (each: one timed call per variant)")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--peers", default="", help="comma-separated peer configurations to keep (default: all)")
    parser.add_argument("--instructions", action="store_true",
                        help="count the calling thread's instructions under valgrind instead of timing")
    parser.add_argument("--calls", type=int, default=0, help="--instructions: measured calls per variant")
    parser.add_argument("--processes", type=int, default=0,
                        help="worker processes the cycles are split over, one by one (default 5; 1 with --quick)")
    parser.add_argument("--worker-out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument(CHILD_FLAG, type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-reexec", action="store_true")
    args = parser.parse_args(argv)
    if args.serve:
        return serve()
    scenarios = [sc for sc in SCENARIOS if not args.only or sc.name in args.only.split(",")]
    if args.instructions or args.instructions_child:
        warmup, calls = (5, 10) if args.quick else (20, 100)
        calls = args.calls or calls
        if args.instructions_child:
            return count_instructions_child(args.instructions_child, scenarios, args.peers, warmup, calls)
        child_argv = [a for a in argv if a not in ("--instructions", "--no-reexec")]
        return count_instructions(child_argv, warmup, calls, args.peers)
    cycles = args.cycles or (40 if args.quick else 600)
    processes = args.processes or (1 if args.quick else 5)
    args.processes = processes
    if args.worker_out is not None:
        results = measure(args, scenarios, cycles)
        dump_results(args.worker_out, results)
        return 0
    others = peers(TracerProvider(), args.peers)
    load_before = load_average()
    results = measure(args, scenarios, cycles) if processes == 1 else measure_in_processes(args, cycles)

    names = ["bare", "floor", "span+attrs", "ours", IN_SESSION, *(v.name for v in others)]
    transport = ("in-process httpx2.MockTransport replaying OpenAIServer's bytes" if args.mock else
                 "real HTTP on 127.0.0.1 to OpenAIServer in a child process")
    print(f"python {sys.version.split()[0]}, openai {openai.__version__}; transport: {transport}")
    print(f"{cycles} cycles per scenario" + (f" over {processes} worker processes run one after the other"
                                              if processes > 1 else "") +
          ", each cycle switching every variant on in turn (rotating order) for one warm-up and one timed call")
    print(f"BatchSpanProcessor to a dropping exporter; load average before {load_before}, after {load_average()}")
    if not others:
        print("peers not installed: run bench/setup.sh (creates bench/.venv) to compare")
    peer_names = [v.name for v in others]
    ok_cpu = print_table("calling thread's CPU time (the judged table)", results, names, peer_names, "cpu")
    print_table("wall clock (socket and scheduling noise included)", results, names, peer_names, "wall")
    if peer_names:
        print(f"\ntarget (ours <= {TARGET} x the cheapest peer configuration, CPU time, every scenario): "
              f"{'met' if ok_cpu else 'MISSED'}")
    return 0  # a benchmark reports; it does not fail the build


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
