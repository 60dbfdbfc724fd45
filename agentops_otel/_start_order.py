"""Which of two steps started first when the clock that timed them was set back between them.

The processor numbers every span a session starts (``agentops.seq``), in the order they start, from one
counter per session object: within one process that number is the start order, whatever the wall clock
did. Span timestamps come from the wall clock, which NTP or a VM migration can set back while a session
runs; then a step started later carries earlier times, and a replay, an order assertion or a diff that
trusts them reports an order the agent never followed.

So the reassembler compares, for the spans one process numbered in one session (a *clock group*: same
session, same resource), their numbers with their start times. Where a span started, by its times,
before a span numbered earlier, the clock went back there; such groups are recorded in a
:class:`StartOrder` on the timeline, and their steps are listed in number order. What numbers settle
and what they do not:

- a step numbered later started later: it cannot have ended before the earlier one started;
- a step numbered earlier started first, and it ended before the later one started if the times say so
  (the clock only made the later times earlier than they were); if the times say otherwise and the clock
  went back between the two, whether it had ended is lost (the step back could be any size).

Numbers are compared only where they are comparable: another process numbers from 1 again (another
resource), and a forked child numbers on from the fork as its parent does (the same number twice in a
group: the group's numbers order nothing and its times are used, as for spans without a number).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

import msgspec

__all__ = ["StartOrder", "in_seq_order"]

T = TypeVar("T")


class StartOrder(msgspec.Struct, frozen=True, gc=False):
    """The clock groups of a timeline whose timestamps disagree with their numbering (see the module)."""

    seqs: dict[str, tuple[str, int]]
    """Span id -> (clock group, ``agentops.seq``) for the steps of those groups."""
    back: dict[str, tuple[int, ...]]
    """Clock group -> the numbers of the steps that started, by their times, before a step numbered earlier:
    the clock went back just before each."""

    @property
    def steps_back(self) -> int:
        """How many steps started, by their times, before steps their process had started earlier."""
        return sum(len(v) for v in self.back.values())

    def pair(self, a: str, b: str) -> tuple[int, int, bool] | None:
        """``(seq of a, seq of b, whether the clock went back between their starts)`` for two steps (span
        ids) one process numbered, else None: their times are all there is."""
        sa = self.seqs.get(a)
        sb = self.seqs.get(b)
        if sa is None or sb is None or sa[0] != sb[0]:
            return None
        lo, hi = (sa[1], sb[1]) if sa[1] < sb[1] else (sb[1], sa[1])
        return sa[1], sb[1], any(lo < k <= hi for k in self.back[sa[0]])

    def merged(self, others: Iterable[StartOrder]) -> StartOrder:
        """This and the start orders of the sessions nested in it, whose steps its timeline lists too."""
        seqs = dict(self.seqs)
        back = dict(self.back)
        for other in others:
            seqs.update(other.seqs)
            back.update(other.back)
        return StartOrder(seqs, back)


def in_seq_order(items: list[T], seq_of: Callable[[T], tuple[Hashable, int] | None]) -> None:
    """Reorder ``items`` (sorted by time) in place so that the members of each clock group follow their
    numbers, in the places the group held: items without a number keep their place in time."""
    places: dict[Hashable, list[int]] = {}
    for i, item in enumerate(items):
        found = seq_of(item)
        if found is not None:
            places.setdefault(found[0], []).append(i)
    for at in places.values():
        if len(at) < 2:
            continue
        members = sorted((items[i] for i in at), key=lambda it: seq_of(it)[1])  # type: ignore[index]
        for i, item in zip(at, members, strict=True):
            items[i] = item
