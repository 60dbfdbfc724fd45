"""Where a replay stands in its recording: which steps the agent has met, and which it may meet next.

Steps are met in the recorded order, except that a call may be answered by a later step it ran alongside
in the recording (``_concurrency``): the agent's calls made side by side arrive in whatever order the
scheduler picks this run. Kept apart from :mod:`._replayer`, which decides what a call that arrives is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from ._cassette import LLMStep, ToolStep

__all__ = ["Walk"]

Step = LLMStep | ToolStep


class Walk:
    """The steps met so far (not thread-safe: the replayer holds its lock)."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self._steps = steps
        self._met = [False] * len(steps)
        self._first = 0
        """The first step not yet met: the one a call is compared with, unless it matches one run alongside."""
        self._alongside = [frozenset(step.concurrent) for step in steps]
        self._any_alongside = any(self._alongside)

    def peek(self) -> Step | None:
        """The first step not yet met (None: the recording is done)."""
        return self._steps[self._first] if self._first < len(self._steps) else None

    def meet(self, index: int) -> None:
        self._met[index] = True
        while self._first < len(self._met) and self._met[self._first]:
            self._first += 1

    def next_for(self, fits: Callable[[Step], bool]) -> Step | None:
        """The step a call that ``fits`` it meets: the first not met, or else one the agent may meet now that
        it fits; the first when none does (the call then diverges there)."""
        first = self.peek()
        if first is None or fits(first):
            return first
        return next((step for step in self._alongside_first() if fits(step)), first)

    def _alongside_first(self) -> Iterator[Step]:
        """The steps after the first not met that the agent may meet now: each ran alongside every earlier
        step not yet met. Calls made one after the other in the recording still keep their order."""
        waiting = {self._first}
        for index in range(self._first + 1, len(self._steps) if self._any_alongside else 0):
            if self._met[index]:
                continue
            if waiting <= self._alongside[index]:
                yield self._steps[index]
            waiting.add(index)

    def skip_children(self, parent: int) -> None:
        """The tool was answered: the steps it made inside never happen in this replay (wherever calls made
        alongside put them in the recording)."""
        inside = {parent}
        for step in self._steps[parent + 1:]:
            if step.parent in inside:
                inside.add(step.index)
                self.meet(step.index)
