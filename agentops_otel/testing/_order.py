"""When one step ran before another: the order the ordering assertions judge.

A timeline lists its steps depth-first, each caller's steps sorted by start, so with ``asyncio.gather``,
threads or parallel tool calls a step in one branch can run before a step the tree lists first. The
assertions therefore judge by time. "A before B" means **A ended before B started** (at the same
instant counts): a check such as "verify the card before charging it" is only met when the verification
was over, not merely begun, when the charge began. Two calls that overlapped are in no order. The one
exception is the call tree itself: a step that ran inside another (a tool called by an action) comes
after its caller, as it always did, so sequential agents keep their verdicts. A generator tool is no
exception: its span stays open while its consumer runs between its yields, and its own work may run at
any ``next()`` (a check done at the second one), so it overlaps the calls made meanwhile.

Times are the replay's, after any clock-skew repair. A step shifted to fit its caller (another service
on another clock) is known to have run within the nearest caller on the session's clock, no more
precisely: its order against a step of another clock is judged from that caller's interval, and when
that cannot tell, the step is not "before". Steps on one clock (same service, or shifted alike) compare
exactly. Two zero-length steps at the same instant keep the order the trace lists them in.

Where the clock was set back while the session ran, steps one process numbered (``agentops.seq``) carry
times that disagree with the order it started them (``Timeline.start_order``, see ``_start_order``): the
numbers decide which started first. A step started later is never "before" whatever its times say; one
started first is before when its times say it ended first, and its order is unknown (the verdict refuses,
saying so) when they do not and the clock went back between them: passing on the numbers alone would call
two calls that overlapped ordered, and failing on the times would blame the agent for the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TypeAlias

from agentops_otel._start_order import in_seq_order
from agentops_otel.timeline import Step, Timeline

__all__ = ["Reach", "RunOrder", "unordered_calls"]

Reach: TypeAlias = dict[int, tuple[Step, "Step | None"]]
"""Calls (by ``id``) that can end a chain of calls in order, each with the chain's previous call."""


def _start(step: Step) -> int:
    # Offsets are exact to the nanosecond for sessions shorter than ~26 days, and hand-built steps
    # (Step.build) have an offset but no absolute start.
    return round(step.offset_s * 1e9)


def _end(step: Step) -> int:
    return _start(step) + round(step.duration_s * 1e9)


def _at(ns: int) -> str:
    """``mm:ss.uuuuuu`` from the session start: the replay's milliseconds can't tell apart two calls
    made in one millisecond, which is where an order is most often in question."""
    micros = round(abs(ns) / 1000)
    minutes, rest = divmod(micros, 60_000_000)
    secs, us = divmod(rest, 1_000_000)
    return f"{'-' if ns < 0 else ''}{minutes:02d}:{secs:02d}.{us:06d}"


class RunOrder:
    """The "ran before" relation over the steps of one timeline."""

    def __init__(self, timeline: Timeline) -> None:
        steps = timeline.steps
        self._index = {id(s): i for i, s in enumerate(steps)}
        self._by_span = {s.span_id: s for s in steps}
        self._limit = len(steps)
        self._session_end = round(timeline.summary.duration_s * 1e9)
        self._numbers = timeline.start_order

    def by_start(self, steps: Sequence[Step]) -> list[Step]:
        """``steps`` in the order they started (ties: the trace's order, which puts a caller first; steps one
        process numbered, whose clock went back: their numbers' order)."""
        ordered = sorted(steps, key=lambda s: (_start(s), self._index.get(id(s), 0)))
        numbers = self._numbers
        if numbers is not None:
            in_seq_order(ordered, lambda s: numbers.seqs.get(s.span_id))
        return ordered

    def _numbered(self, a: Step, b: Step) -> tuple[int, int, bool] | None:
        """``StartOrder.pair`` of two steps whose process's clock went back, else None."""
        return self._numbers.pair(a.span_id, b.span_id) if self._numbers is not None else None

    def _ancestor(self, a: Step, b: Step) -> bool:
        """``a`` is a caller (at any depth) of ``b``."""
        parent, hops = b.parent_span_id, 0
        while parent is not None and hops <= self._limit:
            if parent == a.span_id:
                return True
            up = self._by_span.get(parent)
            parent, hops = (up.parent_span_id if up is not None else None), hops + 1
        return False

    def _window(self, step: Step) -> tuple[int, int]:
        """Where a skew-shifted step surely ran: inside its nearest caller on the session's clock."""
        up = self._by_span.get(step.parent_span_id or "")
        hops = 0
        while up is not None and hops <= self._limit:
            if not up.skew_ns:
                return _start(up), _end(up)
            up, hops = self._by_span.get(up.parent_span_id or ""), hops + 1
        return 0, self._session_end

    @staticmethod
    def same_clock(a: Step, b: Step) -> bool:
        return a.skew_ns == b.skew_ns or (a.service_name is not None and a.service_name == b.service_name)

    def before(self, a: Step, b: Step) -> bool:
        """``a`` had ended when ``b`` started, or ``a`` called ``b``; never a step before itself."""
        if a is b or self._ancestor(b, a):
            return False
        if self._ancestor(a, b):
            return True
        numbered = self._numbered(a, b)
        if numbered is not None and numbered[0] > numbered[1]:
            return False  # a started after b: it had not ended when b started, whatever its times say
        if self.same_clock(a, b):  # raw times: one clock, whatever shift the replay gave each
            a_start, a_end = _start(a) - a.skew_ns, _end(a) - a.skew_ns
            b_start, b_end = _start(b) - b.skew_ns, _end(b) - b.skew_ns
            if a_end == b_start == b_end == a_start:  # two instants at once: as the trace lists them
                return self._index.get(id(a), 0) < self._index.get(id(b), 0)
            return a_end <= b_start
        a_end = self._window(a)[1] if a.skew_ns else _end(a)
        b_start = self._window(b)[0] if b.skew_ns else _start(b)
        return a_end <= b_start

    def chains(self, candidates: Sequence[Sequence[Step]]) -> list[Reach]:
        """For each position in turn, the candidates that can end a chain of calls each before the next
        (with the chain's previous call); stops at the first position none can reach."""
        reach: list[Reach] = []
        for i, level_candidates in enumerate(candidates):
            prev = reach[i - 1] if i else None
            level: Reach = {}
            for step in level_candidates:
                if prev is None:
                    level[id(step)] = (step, None)
                    continue
                by = next((p for p, _ in prev.values() if self.before(p, step)), None)
                if by is not None:
                    level[id(step)] = (step, by)
            if not level:
                break
            reach.append(level)
        return reach

    @staticmethod
    def chain(reach: list[Reach]) -> list[Step]:
        """One chain of calls that did run in order, as far as ``reach`` goes."""
        if not reach:
            return []
        step: Step | None = next(iter(reach[-1].values()))[0]
        found: list[Step] = []
        for level in reversed(reach):
            if step is None or id(step) not in level:
                break
            found.append(step)
            step = level[id(step)][1]
        return found[::-1]

    def why_not(self, a: Step, b: Step, first: str, then: str) -> str:
        """Why ``a`` (a call of ``first``) is not before ``b`` (one of ``then``), with the times."""
        span_a = f"{_at(_start(a))}–{_at(_end(a))}"
        if self._ancestor(b, a):
            return f"'{first}' ran inside '{then}' ({span_a}), which called it"
        numbered = self._numbered(a, b)
        if numbered is not None and numbered[0] > numbered[1]:
            return (f"'{then}' ran first: its process started it before '{first}' (agentops.seq), though its "
                    "clock, set back in between, shows the opposite")
        if numbered is not None and numbered[2]:
            return (f"'{first}' started before '{then}' (agentops.seq), but the clock went back between them: "
                    f"whether '{first}' had ended when '{then}' started is not known")
        if not self.same_clock(a, b) and _end(a) <= _start(b):
            return (f"'{first}' ({span_a}) and '{then}' (from {_at(_start(b))}) ran on different "
                    "clocks: their order is only estimated (clock skew adjusted), not shown")
        if _start(b) < _start(a) or (_start(b) == _start(a) and not self.before(a, b)):
            return (f"'{then}' ran first: it started at {_at(_start(b))}, "
                    f"'{first}' only at {_at(_start(a))}")
        return (f"'{then}' started at {_at(_start(b))} while '{first}' was still running "
                f"({span_a}): they overlapped")


def unordered_calls(timeline: Timeline, calls: Sequence[Step]) -> list[str]:
    """The names of ``calls`` (in the order the trace lists them) that did not each run before the next:
    calls that overlapped, which no test can expect in one order every run (``export-test`` asserts how
    often they ran instead)."""
    order = RunOrder(timeline)
    names: list[str] = []
    for a, b in pairwise(calls):
        if not order.before(a, b):
            names += [n for n in (a.name, b.name) if n not in names]
    return names
