"""Fault injection: a failure inside our telemetry never changes what the user's code returns or raises."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ActionEvent
from agentops_otel._guard import FaultInjector, reset_reports


@pytest.fixture
def inject(caplog: pytest.LogCaptureFixture) -> Iterator[dict[str, type[BaseException]]]:
    """Arm fault points by name; disarmed (and the once-per-site log reset) afterwards."""
    reset_reports()
    yield FaultInjector.armed
    FaultInjector.armed.clear()
    reset_reports()


@agentops.tool
def add(a: int, b: int) -> int:
    return a + b


@agentops.tool
def explode() -> None:
    raise LookupError("the user's own error")


@agentops.tool
async def aadd(a: int) -> int:
    return a + 1


@agentops.tool
def gen() -> Iterator[int]:
    yield 1
    yield 2


@pytest.mark.parametrize("site", ["tool.start", "tool.end", "tool.error", "*"])
def test_tool_wrappers_survive_faults(site: str, inject: dict[str, type[BaseException]],
                                      caplog: pytest.LogCaptureFixture) -> None:
    """With the tool's telemetry broken, sync/async/generator tools return and raise exactly as before."""
    inject[site] = RuntimeError
    with agentops.session("s"):
        assert add(1, 2) == 3
        assert asyncio.run(aadd(1)) == 2
        assert list(gen()) == [1, 2]
        with pytest.raises(LookupError, match="the user's own error"):
            explode()
    assert "internal error" in caplog.text


@pytest.mark.parametrize("site", ["session.start", "session.end"])
def test_session_start_and_end_faults(site: str, inject: dict[str, type[BaseException]],
                                      caplog: pytest.LogCaptureFixture) -> None:
    """A broken session start/end still lets the block run and its exception propagate."""
    inject[site] = RuntimeError
    with pytest.raises(ZeroDivisionError), agentops.session("s"):
        assert add(2, 2) == 4
        _ = 1 / 0
    s = agentops.start_session("explicit")
    assert agentops.end_session("Success") is s
    assert s.end_state == "Success"
    assert agentops.current_session() is None
    assert caplog.text.count("internal error") == 1  # logged once per site, not per call


def test_record_and_init_faults(inject: dict[str, type[BaseException]]) -> None:
    """record() and init() swallow their own failures."""
    inject["record"] = RuntimeError
    inject["init"] = RuntimeError
    agentops.init(instrument_llm_calls=False)
    with agentops.session("s") as s:
        agentops.record(ActionEvent(action_type="x"))
    assert s.end_state == "Success"


def test_processor_faults_do_not_break_spans(monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """If stamping or collecting fails, the tool still runs and the session still ends."""
    reset_reports()
    from agentops_otel.sessions import Session

    def broken(*_: object) -> int:
        raise RuntimeError("processor broke")

    monkeypatch.setattr(Session, "_started", broken)
    monkeypatch.setattr(Session, "_record", broken)
    with agentops.session("s") as s:
        assert add(5, 5) == 10
    assert s.end_state == "Success"
    assert "processor.on_start" in caplog.text and "processor.on_end" in caplog.text


def test_keyboard_interrupt_is_never_swallowed(inject: dict[str, type[BaseException]]) -> None:
    """Only Exception subclasses are contained: a KeyboardInterrupt from the user's code still propagates."""

    @agentops.tool
    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupt()


def test_a_failure_writing_the_session_totals_still_ends_and_exports_the_root(
        inject: dict[str, type[BaseException]], span_exporter: InMemorySpanExporter) -> None:
    """The root is the session: if summing it up fails, it still ends, with its end state and a cost
    that does not claim to be complete."""
    from agentops_otel import semconv

    inject["session.end"] = RuntimeError
    with agentops.session("totals-fail"):
        pass
    (root,) = [sp for sp in span_exporter.get_finished_spans() if sp.name == "invoke_agent totals-fail"]
    assert root.attributes[semconv.SESSION_END_STATE] == "Success"  # type: ignore[index]
    assert root.attributes[semconv.SESSION_COST_COMPLETE] is False  # type: ignore[index]


@pytest.mark.parametrize("site", ["session.end_reason", "session.failure", "session.exception", "session.status"])
def test_one_part_of_the_session_summary_failing_keeps_the_rest(
        site: str, inject: dict[str, type[BaseException]], span_exporter: InMemorySpanExporter) -> None:
    """A failure writing one part of the root's summary (reason, failing step, exception, status) leaves
    the cost and counts on it."""
    from agentops_otel import semconv

    inject[site] = RuntimeError
    with pytest.raises(LookupError), agentops.session("part-fails"):
        assert add(1, 2) == 3
        explode()
    (root,) = [sp for sp in span_exporter.get_finished_spans() if sp.name == "invoke_agent part-fails"]
    assert root.attributes is not None
    assert root.attributes[semconv.SESSION_END_STATE] == "Fail"
    assert (root.attributes[semconv.SESSION_TOOL_CALLS], root.attributes[semconv.SESSION_COST_COMPLETE]) == (2, True)
