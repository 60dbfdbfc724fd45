"""Which recorded steps ran side by side, so that a replay may meet them in another order.

A replay answers each call from the recording the moment it arrives, with no network latency, so calls
the agent makes at once (a thread pool, ``asyncio.gather``) arrive in whatever order the scheduler picks
that run, rarely the recorded one. Matching them strictly in recorded order made such replays fail most
of the time though the agent did not change. Calls that ran one after the other must still keep their
order: a call moved from before a fan-out to after it is a change in behaviour.

So each step keeps the earlier steps it ran alongside (:attr:`~._cassette.LLMStep.concurrent`), and a
replay may answer it once every earlier step *not* listed has been met. A step inside another (a tool's
own model calls) never ran alongside it. Otherwise two steps ran alongside when their calls overlapped in
time, or when they ran in different *branches* (threads, asyncio tasks, ``SessionExecutor`` tasks) that
the recording saw run side by side:

* a branch and one forked from it (a task it started, directly or further down): a step of the first made
  after the fork, and before the task's last step ended, ran alongside the task's steps; one made before
  the fork, or once the task was done (joined), keeps its place;
* two branches neither forked from the other (the tasks of one ``pool.map``): alongside when their
  lifetimes, first step to last, overlap, directly or through other such tasks. A pool task that started
  only once another had finished (the pool was full) did not follow it in the agent's logic, only in the
  pool's; a task whose lifetime touches none of the others' ran on its own.

A cassette made from a trace has no branches (spans do not say which thread ran them): there, only calls
that overlapped in time ran alongside.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import msgspec

from .. import _replay_hook
from ._cassette import LLMStep, ToolStep

__all__ = ["Branch", "Lineage", "Timing", "branch_here", "concurrent_steps", "marked", "running_here"]

Branch: TypeAlias = tuple[int, "int | None", object]
"""A thread, the asyncio task in it (or None) and the carried call it runs (or None)."""
Lineage: TypeAlias = tuple[Branch, float]
"""A branch and the clock of its last step begun: where a branch started there was forked from."""

_OPEN = float("inf")
"""The end of a step that never ended (a tool still running when the recording was saved)."""


@dataclass(frozen=True)
class Timing:
    """When one step ran: ``began`` / ``ended`` on any one clock (None: never ended), and its branch."""

    began: float
    ended: float | None
    branch: Branch | None = None
    """None when unknown: a step read from a trace."""


def concurrent_steps(timings: Sequence[Timing], parents: Sequence[int | None],
                     lines: Mapping[Branch, Lineage | None] | None = None) -> list[list[int]]:
    """For each step, the earlier steps it ran alongside (see the module docstring). ``parents`` are the steps'
    callers; ``lines`` where each branch was forked from."""
    ends = [_OPEN if t.ended is None else t.ended for t in timings]
    branches = _Branches(timings, ends, lines or {})
    out: list[list[int]] = []
    for j, tj in enumerate(timings):
        above = _ancestors(parents, j)
        out.append([i for i in range(j) if i not in above
                    and (ends[i] > tj.began or branches.alongside(timings[i], tj))])
    return out


def marked(steps: Sequence[LLMStep | ToolStep], timings: Sequence[Timing],
           lines: Mapping[Branch, Lineage | None] | None = None) -> list[LLMStep | ToolStep]:
    """Copies of ``steps`` naming the earlier steps each ran alongside (the given ones are left as they are)."""
    alongside = concurrent_steps(timings, [s.parent for s in steps], lines)
    return [msgspec.structs.replace(step, concurrent=others) if others else step
            for step, others in zip(steps, alongside, strict=True)]


def running_here() -> tuple[int, int | None]:
    """The thread and asyncio task running now."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no event loop in this thread
        task = None
    return threading.get_ident(), None if task is None else id(task)


def branch_here() -> tuple[Branch, Lineage | None, bool]:
    """``(branch, where it was forked from, new?)`` of the code making a step: a thread, asyncio task or
    carried call (``SessionExecutor``), the steps of which ran one after the other (see ``_concurrency``)."""
    thread, task = running_here()
    lineage = _replay_hook.LINEAGE.get()
    if isinstance(lineage, _replay_hook.Fork):  # a carried call's first step
        return (thread, task, lineage), _lineage(lineage.parent), True
    known = _lineage(lineage)
    if known is None:  # a thread the agent started itself: no word on where from
        return (thread, task, None), None, True
    if known[0][:2] == (thread, task):
        return known[0], None, False
    return (thread, task, known[0][2]), known, True  # an asyncio task (or to_thread) started by that branch


def _lineage(value: object) -> Lineage | None:
    """A :data:`~agentops_otel._replay_hook.LINEAGE` value of ours (another recording's may be left in a thread)."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], tuple) and len(value[0]) == 3:
        return value[0], value[1]
    return None


def _ancestors(parents: Sequence[int | None], index: int) -> set[int]:
    found: set[int] = set()
    parent = parents[index]
    while parent is not None and 0 <= parent < index and parent not in found:
        found.add(parent)
        parent = parents[parent]
    return found


class _Branches:
    """The branches of one recording: their forks, their lifetimes, which ran side by side."""

    def __init__(self, timings: Sequence[Timing], ends: Sequence[float],
                 lines: Mapping[Branch, Lineage | None]) -> None:
        self._lines = lines
        self._life: dict[Branch, tuple[float, float]] = {}
        for t, end in zip(timings, ends, strict=True):
            if t.branch is not None:
                first, last = self._life.get(t.branch, (t.began, end))
                self._life[t.branch] = (min(first, t.began), max(last, end))
        self._done: dict[Branch, float] = {}  # the end of a branch's last step, or of any forked from it
        for branch, (_, last) in self._life.items():
            for above in [branch, *(b for b, _ in self._line(branch))]:
                self._done[above] = max(self._done.get(above, last), last)
        self._group = {branch: branch for branch in self._life}
        unrelated = [b for b in self._life]
        for x, a in enumerate(unrelated):
            for b in unrelated[x + 1:]:
                if self._fork(a, b) is None and self._fork(b, a) is None and _overlap(self._life[a], self._life[b]):
                    self._group[self._find(a)] = self._find(b)

    def _line(self, branch: Branch) -> list[Lineage]:
        """The branches ``branch`` was forked from, nearest first, each with the clock it was forked at."""
        out: list[Lineage] = []
        seen = {branch}
        at = self._lines.get(branch)
        while at is not None and at[0] not in seen and len(out) < 1024:
            out.append(at)
            seen.add(at[0])
            at = self._lines.get(at[0])
        return out

    def _fork(self, above: Branch, below: Branch) -> float | None:
        """The clock at which ``below``'s line was forked from ``above`` (None: it was not)."""
        return next((clock for branch, clock in self._line(below) if branch == above), None)

    def _find(self, branch: Branch) -> Branch:
        while self._group[branch] != branch:
            self._group[branch] = self._group[self._group[branch]]
            branch = self._group[branch]
        return branch

    def alongside(self, earlier: Timing, later: Timing) -> bool:
        """Whether two steps that did not overlap in time ran in branches side by side (module docstring)."""
        a, b = earlier.branch, later.branch
        if a is None or b is None or a == b or a not in self._life or b not in self._life:
            return False
        fork = self._fork(a, b)
        if fork is not None:  # b was forked from a: a's step after the fork, unless b was done by then
            return earlier.began > fork
        if self._fork(b, a) is not None:  # a was forked from b: b's step before a (and its own forks) were done
            return later.began < self._done[a]
        return self._find(a) == self._find(b)


def _overlap(x: tuple[float, float], y: tuple[float, float]) -> bool:
    return x[0] < y[1] and y[0] < x[1]
