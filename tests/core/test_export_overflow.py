"""A backend slower than the program: the spans the batch queue has no room for go to the local file
instead of being dropped, we say so once with what to change, and ``flush()`` says not all reached the
backend."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from _exit_helpers import READY, SINK, Outcome, otlp_receiver, run, span_names

QUEUE = 64
BURST = f"""
    import agentops_otel as agentops
    agentops.init()

    @agentops.tool
    def step(i):
        return i

    for k in range(6):
        with agentops.session(f"s{{k}}"):
            for i in range(49):
                step(i)
    print("{READY}", flush=True)
"""
"""300 spans at once, far more than the queue holds while the backend takes 0.1 s per batch of 16."""
MADE = Counter({**{f"invoke_agent s{k}": 1 for k in range(6)}, "execute_tool step": 6 * 49})


def _env(endpoint: str) -> dict[str, str]:
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_BSP_MAX_QUEUE_SIZE": str(QUEUE), "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "16"}


@pytest.fixture(scope="module")
def flushed_burst(tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, Counter[str], Path]:
    """A child that ends a burst of spans, then calls flush(); what the backend and the file got."""
    tmp_path = tmp_path_factory.mktemp("burst")
    with otlp_receiver(delay=0.1) as receiver:
        outcome = run(BURST + '    print("flushed:", agentops.flush(60_000), flush=True)\n', tmp_path,
                      _env(receiver.endpoint))
        return outcome, Counter(receiver.names), tmp_path


@pytest.mark.slow  # a child interpreter
def test_flush_is_false_when_spans_did_not_fit_the_queue(flushed_burst: tuple[Outcome, Counter[str], Path]) -> None:
    """Spans the queue had no room for never reached the backend: flush() says so."""
    outcome, _, _ = flushed_burst
    assert "flushed: False" in outcome.stdout, outcome.stdout + outcome.stderr


@pytest.mark.slow  # a child interpreter
def test_spans_the_queue_had_no_room_for_are_in_the_local_file(
        flushed_burst: tuple[Outcome, Counter[str], Path]) -> None:
    """Every span made is in the backend or in the local file, none twice."""
    _, received, tmp_path = flushed_burst
    in_file = Counter(span_names(tmp_path / SINK))
    assert in_file, "nothing spilled: the burst fitted the queue"
    assert received + in_file == MADE


@pytest.mark.slow  # a child interpreter
def test_a_full_queue_is_reported_once_with_the_setting_to_change(
        flushed_burst: tuple[Outcome, Counter[str], Path]) -> None:
    """One warning names OTEL_BSP_MAX_QUEUE_SIZE and the file; the SDK's per-span 'dropping' line is gone."""
    outcome, _, _ = flushed_burst
    warnings = [line for line in outcome.stderr.splitlines() if "OTEL_BSP_MAX_QUEUE_SIZE" in line]
    assert len(warnings) == 1 and str(SINK) in warnings[0], outcome.stderr
    assert "dropping" not in outcome.stderr


@pytest.mark.slow  # a child interpreter
def test_nothing_the_queue_had_no_room_for_is_lost_at_exit(tmp_path: Path) -> None:
    """Without a flush, the exit path keeps the overflow too: backend and file hold every span."""
    with otlp_receiver(delay=0.1) as receiver:
        outcome = run(BURST, tmp_path, _env(receiver.endpoint))
        received = Counter(receiver.names)
    assert outcome.returncode == 0, outcome.stderr
    assert received + Counter(span_names(tmp_path / SINK)) == MADE


@pytest.mark.slow  # a child interpreter that forks
def test_a_child_forked_while_the_overflow_was_being_written_can_still_flush(tmp_path: Path) -> None:
    """A fork taken while the overflow writer held its lock: the child's flush does not wait on a thread
    that does not exist there."""
    outcome = run(f"""
        import os, time
        import agentops_otel as agentops
        from agentops_otel import export
        from agentops_otel._overflow import OverflowingBatchSpanProcessor
        agentops.init()
        print("{READY}", flush=True)
        [ours] = [p for p in export._provider._active_span_processor._span_processors
                  if isinstance(p, OverflowingBatchSpanProcessor)]
        ours._write_lock.acquire()  # the writer thread is busy at the moment of the fork
        ours._writing = True
        pid = os.fork()
        if pid == 0:
            began = time.monotonic()
            ok = agentops.flush(2_000)
            print("child flushed:", ok, round(time.monotonic() - began, 1), flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        ours._write_lock.release()
        ours._writing = False
    """, tmp_path)
    line = next(x for x in outcome.stdout.splitlines() if x.startswith("child flushed:"))
    assert line.split()[2] == "True", outcome.stdout + outcome.stderr
