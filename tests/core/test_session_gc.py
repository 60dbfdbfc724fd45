"""A session ended by the garbage collector (an abandoned generator in a reference cycle) takes no lock.

The collector may start on any allocation, e.g. while this thread reads the enclosing session under its
lock; the generator's finaliser then ends the nested session there. Each scenario is a child interpreter
with a timeout: a deadlock fails the test instead of hanging the run. The collection is steered into the
enclosing session's ``timeline()`` by sweeping the collector's threshold over the allocations it makes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _exit_helpers import READY, SINK, finish, start

from agentops_otel import semconv
from agentops_otel.read.otlp_json import read_otlp_file

pytestmark = pytest.mark.slow  # each test runs a child interpreter

ROUNDS = 150
"""Threshold sweep: the collector runs ``k`` allocations into ``outer.timeline()``, for each ``k`` below this."""

SHAPES = {
    "session-decorated generator": """
        @agentops.session("inner")
        def steps():
            lookup()
            yield 1
            yield 2
    """,
    "with-block in a plain generator": """
        def steps():
            with agentops.session("inner"):
                lookup()
                yield 1
                yield 2
    """,
    "session-decorated async generator": """
        @agentops.session("inner")
        async def steps():
            lookup()
            yield 1
            yield 2
    """,
    "with-block in a generator whose cleanup flushes": """
        def steps():
            try:
                with agentops.session("inner"):
                    lookup()
                    yield 1
                    yield 2
            finally:
                agentops.flush(timeout_millis=1000)  # run inside the collection: must not end the session there
    """,
    "session-decorated generator whose cleanup fails": """
        @agentops.session("inner")
        def steps():
            try:
                lookup()
                yield 1
                yield 2
            finally:
                raise OSError("disk gone")  # a Fail end, its exception's text read inside the collection
    """,
    "async with-block in a plain async generator": """
        async def steps():
            async with agentops.session("inner"):
                lookup()
                yield 1
                yield 2
    """,
}
"""The ways a program's generator holds a session open across a ``yield``."""

SWEEP = f"""
    import gc, inspect
    import agentops_otel as agentops
    agentops.init()
    print("{READY}", flush=True)

    @agentops.tool
    def lookup():
        return "found"

    {{shape}}

    def first_step(gen):
        if not inspect.isasyncgen(gen):
            return next(gen)
        try:  # no event loop: the collector closes the generator itself, as it would a plain one
            gen.asend(None).send(None)
        except StopIteration as step:
            return step.value

    def close(gen):
        if not inspect.isasyncgen(gen):
            return gen.close()
        try:
            gen.aclose().send(None)
        except StopIteration:
            pass

    with agentops.session("outer") as outer:
        gen = steps()
        first_step(gen)
        try:
            close(gen)                          # the one the program closes itself: what the others must match
        except OSError:
            pass                                # a cleanup that fails reaches the program as it closes
        for k in range({ROUNDS}):
            gc.disable()
            gen = steps()
            first_step(gen)                     # the nested session "inner" is now open
            cycle = [gen]
            cycle.append(cycle)                 # abandoned in a reference cycle
            del gen, cycle
            gc.set_threshold(gc.get_count()[0] + k)
            gc.enable()
            outer.timeline()                    # the collector runs somewhere in here
            gc.set_threshold(700)
        gc.collect()
        current = agentops.get_session() is outer
    print("done", outer.end_state, outer.tool_calls, current, flush=True)
"""
_NOT_COMPARED = (semconv.SESSION_ID, semconv.GEN_AI_CONVERSATION_ID, semconv.SEQ)
"""Differ from one session to the next by design; or, for the start number, left off a root whose start a
collection (the sweep's own) delayed past the processor's backdating limit."""


def _sweep(shape: str, tmp_path: Path) -> str:
    """The sweep's output; fails on a deadlock (the child's threads are shown) or a crash."""
    code = SWEEP.replace("{shape}", textwrap.indent(textwrap.dedent(SHAPES[shape]), "    ").strip())
    outcome = finish(start(code, tmp_path), timeout=30)
    assert outcome.returncode == 0, outcome.stderr
    return outcome.stdout


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_session_the_collector_ends_under_the_enclosing_sessions_lock_does_not_deadlock(
        shape: str, tmp_path: Path) -> None:
    """A session the collector ends while the enclosing one is read still ends; the program goes on in that one."""
    out = _sweep(shape, tmp_path)
    assert f"done {semconv.END_SUCCESS} {ROUNDS + 1} True" in out


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_session_the_collector_ends_is_recorded_as_one_the_program_closed(shape: str, tmp_path: Path) -> None:
    """Each collected generator's session is written as the one the program closed itself: same state, same parent."""
    _sweep(shape, tmp_path)
    records = list(read_otlp_file(tmp_path / SINK))
    outer = [r for r in records if r.name == "invoke_agent outer"]
    inner = [r for r in records if r.name == "invoke_agent inner"]
    assert [r.attributes.get(semconv.SESSION_END_STATE) for r in outer] == [semconv.END_SUCCESS]
    assert len(inner) == ROUNDS + 1
    written = {(r.trace_id, r.parent_span_id, tuple(sorted((k, str(v)) for k, v in r.attributes.items()
                                                            if k not in _NOT_COMPARED))) for r in inner}
    assert len(written) == 1, written
    assert next(iter(written))[:2] == (outer[0].trace_id, outer[0].span_id)


def test_a_session_the_collector_ends_reaches_the_programs_provider_at_exit_without_init(tmp_path: Path) -> None:
    """No ``init()``, a provider the program set: a session the collector ended, the program then exiting without
    another span, is exported all the same (its end is run at exit, before the provider shuts down)."""
    code = f"""
        import gc
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

        class Printer(SpanExporter):
            def export(self, spans):
                for span in spans:
                    print("exported", span.name, span.attributes.get("{semconv.SESSION_END_STATE}"), flush=True)
                return SpanExportResult.SUCCESS

        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(Printer()))
        trace.set_tracer_provider(provider)
        import agentops_otel as agentops
        print("{READY}", flush=True)

        def steps():
            with agentops.session("abandoned"):
                yield 1

        gen = steps()
        next(gen)
        cycle = [gen]
        cycle.append(cycle)
        del gen, cycle
        gc.collect()
    """
    outcome = finish(start(code, tmp_path), timeout=30)
    assert outcome.returncode == 0, outcome.stderr
    assert "exported invoke_agent abandoned" in outcome.stdout, outcome.stdout + outcome.stderr
