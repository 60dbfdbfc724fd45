"""A tool the program's own finaliser calls during a garbage collection takes no lock, even with an earlier
finaliser's work still waiting.

The collector may start while this thread reads its session under the session's lock (see
``test_session_gc``). A generator tool finalised there defers its span's end; a tool called next from
another finaliser of the same collection starts a span, and starting a span is where deferred work runs:
it must wait for the collection to be over too. A child interpreter with a timeout: a deadlock fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _exit_helpers import READY, finish, start

pytestmark = pytest.mark.slow  # each test runs a child interpreter

ROUNDS = 150
"""Threshold sweep: the collector runs ``k`` allocations into ``s.timeline()``, for each ``k`` below this."""


def test_a_tool_called_from_a_finaliser_during_a_collection_runs_no_deferred_work(tmp_path: Path) -> None:
    """A finaliser's tool call during a collection leaves the deferred span ends queued; every call is counted."""
    outcome = finish(start(f"""
        import gc
        import agentops_otel as agentops
        agentops.init()
        print("{READY}", flush=True)

        @agentops.tool
        def pages():
            yield 1
            yield 2

        @agentops.tool
        def close_connection():
            return "closed"

        class Connection:
            def __init__(self):
                self.me = self                  # a reference cycle: only the collector frees it

            def __del__(self):
                close_connection()

        with agentops.session("s") as s:
            for k in range({ROUNDS}):
                gc.disable()
                gen = pages()
                next(gen)
                cycle = [gen]
                cycle.append(cycle)             # finalised first: its span's end is deferred
                del gen, cycle
                Connection()                    # finalised next: its tool call starts a span
                gc.set_threshold(gc.get_count()[0] + k)
                gc.enable()
                s.timeline()                    # the collector runs somewhere in here
                gc.set_threshold(700)
            gc.collect()
            agentops.flush()
            print("done", s.tool_calls, flush=True)
    """, tmp_path), timeout=30)
    assert outcome.returncode == 0, outcome.stderr
    assert f"done {2 * ROUNDS}" in outcome.stdout
