"""A program exiting normally while a worker thread is still ending its session: that thread runs on (only
a signal stops the thread it lands on), so its end is waited for and its root is written whole, never cut
short as if the process had been stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
from _exit_helpers import READY, SINK, run

from agentops_otel import semconv
from agentops_otel.read.otlp_json import read_otlp_file

pytestmark = pytest.mark.slow  # each test runs a child interpreter

WORKER = """
    import threading, time
    import agentops_otel as agentops

    def redact(attribute, value):
        if attribute == "agentops.session.end_reason" and value == "slow hook":
            time.sleep(1.0)  # a redaction service answering in a second
        return value

    agentops.init(service_name="exit-test", redact=redact)
    ending = threading.Event()

    class SlowReason:
        def __str__(self):
            ending.set()
            time.sleep(1.0)
            return "slow reason"

    def worker(reason):
        mine = agentops.start_session("worker")
        ending.set()
        agentops.end_session("Success", end_state_reason=reason, session=mine)
"""
"""A child whose daemon worker ends its session slowly: ``worker`` is started by each test."""


def _root(tmp_path: Path) -> dict[str, object]:
    roots = [dict(r.attributes) for r in read_otlp_file(tmp_path / SINK) if r.name == "invoke_agent worker"]
    assert len(roots) == 1, roots
    return roots[0]


@pytest.mark.parametrize("reason", ["SlowReason()", '"slow hook"'], ids=["reading its reason", "in a hook"])
def test_normal_exit_waits_for_a_worker_thread_ending_its_session(reason: str, tmp_path: Path) -> None:
    """The worker's session is written Success with its totals complete, as it ended it, not Indeterminate
    and cut short."""
    outcome = run(WORKER + f"""
    threading.Thread(target=worker, args=({reason},), daemon=True).start()
    ending.wait(30)
    print("{READY}", flush=True)
    """, tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    root = _root(tmp_path)
    assert root.get(semconv.SESSION_END_STATE) == semconv.END_SUCCESS, outcome.stderr
    assert root.get(semconv.SESSION_COST_COMPLETE) is True, root
    assert semconv.SESSION_COST_INCOMPLETE_REASON not in root, root
