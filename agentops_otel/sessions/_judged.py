"""The AgentOps-style fields of a session and its counts, refused to a test's own code where they would let a
check pass on nothing: ``errors``, ``tool_events``, ``llm_events``, ``action_events``, ``events``, ``cost``, and
``llm_calls``, ``tool_calls``, ``actions``, ``error_count`` and the token totals.

Ported AgentOps checks read the session object: ``assert not session.errors and session.cost < 0.01``,
``assert session.llm_calls <= 3``. Under the kill switch those fields read empty, 0 and $0; a child forked
while the session was current, or a step it never saw end, ran steps that none of them has (a step it left
running as it ended, once ended, only itself: it refuses the figures of its own kind, ``_left_running``,
so ``end_session()`` inside an action leaves ``llm_calls`` whole and ``actions`` not); a thread its
context did not reach (a pool worker) ran steps outside any session, which may be its own; past its span cap
the event lists show only the spans it still holds (the counts still count every step); with no model
client watched, model calls went unseen; a batch of unknown size counted as one call, or a call that reported
no usage, leaves the call count or a token total a lower bound (``_lower_bounds``); and with a call whose cost
is unknown (an unpriced model) the cost is only the known part. The assertions of ``agentops_otel.testing``
refuse to judge on any of these, a bare ``assert`` cannot. So the read refuses instead, where it is a test's
verdict, with :class:`NotJudgeable` (an ``AssertionError``: pytest reports a failed test, not an error). The
cost still prints and converts (:class:`Cost`): only comparing it fails. A count refuses as it is read:
``s.input_tokens + s.output_tokens`` would be a plain number again, compared without a word.

Where it is a test's verdict only: instrumentation never raises into the user's program, and the agent
under test is that program (its budget check ``if session.cost > limit`` must run under test as in
production). So a read is refused only to code in the file of the test pytest is running (a test function,
its module's helpers and fixtures), which our pytest plugin tells this module as each test starts
(:mod:`.._test_file`). Everyone else reads what they always read: the agent's modules (even ones pytest
rewrites for assertions: a plugin's package, ``register_assert_rewrite``), ``conftest.py`` and helper
modules, a doctest (its "test file" is the agent's own module), this package's own readers, and any program
outside pytest.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, Self, cast, overload

from .. import _sessionless, _test_file
from .._guard import describe
from .._left_running import ACTION_READS, MODEL_READS, TOOL_READS
from . import _lower_bounds, _views
from ._lower_bounds import LowerBound
from ._rollup import Rollup, Total

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

    from ..events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent
    from ._session import Session

__all__ = ["Cost", "JudgedReads", "NotJudgeable", "read_by_test"]

_CURRENT_TEST: Final = "PYTEST_CURRENT_TEST"
"""Set by pytest for each phase of the test it runs: none, no test is running (whatever the plugin last said)."""
_OWN_PACKAGE: Final = __name__.partition(".")[0]
_SHOWN: Final = 5
"""How many calls without a known cost a refusal names; the rest are counted."""


class NotJudgeable(AssertionError):
    """A test read a field of a session that cannot back a verdict: nothing of the session was recorded
    (the kill switch), or its cost is not known whole. The message says which and why."""

    __module__ = "agentops_otel.testing"  # how tracebacks name it: the public path


def read_by_test(frame: FrameType | None) -> bool:
    """Whether the code running ``frame`` is the running pytest test's own (see the module docstring)."""
    test_file = _test_file.current()
    if test_file is None or frame is None or not os.environ.get(_CURRENT_TEST):
        return False
    module = frame.f_globals.get("__name__")
    if isinstance(module, str) and (module == _OWN_PACKAGE or module.startswith(_OWN_PACKAGE + ".")):
        return False
    return _test_file.same_file(frame.f_code.co_filename, test_file)


def _refuse(session: Session, name: str, frame: FrameType | None, *, models: bool = False,
            events: bool = False, bound: LowerBound | None = None, reads: frozenset[str] | None = None) -> None:
    """Fail a test's own read of ``session.<name>`` where the session object left steps out of it: nothing was
    recorded, a forked child or a step it never saw end ran steps it has not (of a step left running at its end
    and ended since, only one of the kinds ``reads`` counts, ``None`` for any: ``_left_running``), steps started
    outside any session while it ran (they may be its own), (``events``: an event list, built from the held
    spans) spans it no longer holds past its cap, or (``models``: a count of model calls or their tokens) no model
    client was watched; or (``bound``) the count is only a lower bound."""
    __tracebackhide__ = True
    if not read_by_test(frame):
        return
    why = _views.unrecorded(session)
    if why is not None:
        raise NotJudgeable(f"session.{name} cannot be judged: {why}; a check on it would pass on nothing")
    lines: list[str] = []
    if (session.forks or session.steps_outside or (events and session.spans_dropped)
            or _sessionless.between(*session._sessionless)[0]):
        from ..testing._partial import dropped_lines, forked_lines, outside_lines, sessionless_lines

        lines = (forked_lines(session) + outside_lines(session, reads) + sessionless_lines(session)
                 + (dropped_lines(session) if events else []))
    if models and (unseen := _views.unwatched(session)) is not None:
        lines.append(unseen)
    if lines:
        raise NotJudgeable(f"session.{name} cannot be judged: " + "; ".join(lines)
                           + "; a check on it would pass without the steps it left out")
    if bound is not None and (lines := bound.lines(session)):
        shown = "; ".join(lines[:_SHOWN]) + (f"; and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else "")
        raise NotJudgeable(f"session.{name} cannot be judged: it is only a lower bound, {bound.left_out} ({shown}); "
                           f"a bound on it would pass on part of the count: use {bound.instead}")


class _Count(Total):
    """A count of the session: a plain ``int`` to everyone but the running test's own code, which :func:`_refuse`
    may fail instead (``models``: a count of model calls or their tokens; ``bound``: what can leave it a lower
    bound; ``reads``: the kinds of step it counts, ``None`` for any)."""

    def __init__(self, *, models: bool = False, bound: LowerBound | None = None,
                 reads: frozenset[str] | None = None) -> None:
        self._models, self._bound, self._reads = models, bound, reads

    @overload
    def __get__(self, rollup: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, rollup: Rollup, owner: type | None = None) -> int: ...
    def __get__(self, rollup: Rollup | None, owner: type | None = None) -> int | Self:
        __tracebackhide__ = True
        if rollup is None:
            return self
        value = super().__get__(rollup, owner)
        if _test_file.current() is not None:  # else no test function runs: nobody to refuse
            _refuse(cast("Session", rollup), self.name, sys._getframe(1), models=self._models, bound=self._bound,
                    reads=self._reads)
        return value


class Cost(float):
    """A session's cost as a test's own code reads it when it cannot back a verdict: it formats, converts
    (``float(cost)``) and adds up as the known figure, and every comparison (and truth test) fails with
    :class:`NotJudgeable` saying why (a lower bound cannot say either way whether a bound holds). Pickled or
    copied, it is a plain float."""

    _why: Callable[[], str]

    def __new__(cls, known: float, why: Callable[[], str] = lambda: _UNKNOWN) -> Cost:
        cost = super().__new__(cls, known)
        cost._why = why  # worked out when compared: printing the cost must not pay for it
        return cost

    def _refuse(self, *_: object) -> bool:
        __tracebackhide__ = True
        raise NotJudgeable(self._why())

    # A comparison the unknown part cannot change is answered: with itself (``o != o``, how ``json`` and containers
    # tell NaN apart) and with an infinity or NaN (a finite cost is below infinity whatever it is). Any other is
    # a verdict on a lower bound, and fails.
    def __eq__(self, other: object) -> bool:
        __tracebackhide__ = True
        return float.__eq__(self, other) if _answerable(self, other) else self._refuse()  # type: ignore[return-value]

    def __ne__(self, other: object) -> bool:
        __tracebackhide__ = True
        return float.__ne__(self, other) if _answerable(self, other) else self._refuse()  # type: ignore[return-value]

    def __lt__(self, other: object) -> bool:
        __tracebackhide__ = True
        return float.__lt__(self, other) if _answerable(self, other) else self._refuse()  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        __tracebackhide__ = True
        return float.__le__(self, other) if _answerable(self, other) else self._refuse()  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        __tracebackhide__ = True
        return float.__gt__(self, other) if _answerable(self, other) else self._refuse()  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        __tracebackhide__ = True
        return float.__ge__(self, other) if _answerable(self, other) else self._refuse()  # type: ignore[operator]

    # ``not cost`` is ``cost == 0``: a truth test is a comparison too.
    __bool__ = _refuse  # type: ignore[assignment]
    __hash__ = float.__hash__

    def __reduce__(self) -> tuple[Any, ...]:
        return float, (float(self),)


_UNKNOWN: Final = "session.cost cannot be compared: the session's cost is not known whole"


def _answerable(cost: float, other: object) -> bool:
    return other is cost or (type(other) is float and not math.isfinite(other))


def _steps_unaccounted(session: Session) -> bool:
    """Whether steps ran whose model calls may be the session's and are in none of its totals, so its cost
    is a lower bound however well its own calls are priced: ``assert_cost_below`` refuses on these too.

    Steps started outside any session while it ran (a ``ThreadPoolExecutor`` worker its context did not
    reach: AgentOps 0.3's sessions were process-wide, so a ported agent's pool calls were counted), its
    streams left open at its end, and steps of it that it never saw end (but an action or a tool left running
    at its end, which has ended since: it made no model call after the end, or that is noted) or has not yet.
    Cheap checks, as a read of ``session.cost`` makes them: the reasons are worked out only if a comparison
    refuses.
    """
    if (session.open_at_end or session.outside_count(MODEL_READS)
            or _sessionless.between(*session._sessionless)[0]):
        return True
    from ..testing._partial import running_steps

    return bool(running_steps(session))


def _incomplete(session: Session, known: float) -> str:
    """Why the cost is not known whole, in the words ``assert_cost_below`` uses (only ever in a test)."""
    try:
        from ..testing._budget import unknown_cost_reasons

        reasons = unknown_cost_reasons(session)
    except Exception as exc:  # the refusal stands whatever happens to its explanation
        reasons = [f"the calls could not be listed: {describe(exc)}"]
    shown = "; ".join(reasons[:_SHOWN]) + (f"; and {len(reasons) - _SHOWN} more" if len(reasons) > _SHOWN else "")
    return (f"session.cost cannot be compared: the session's cost is incomplete, ${known:.6f} is only what the "
            f"priced calls cost ({shown}). A lower bound cannot say whether a bound holds: use "
            "assert_cost_below(session, usd), which names each call without a known cost (allow_unpriced=True "
            "bounds the priced calls, with a warning), or compare float(session.cost) to judge the known part "
            "on purpose")


class JudgedReads:
    """Mixed into :class:`~agentops_otel.sessions.Session`, before :class:`Rollup`: its AgentOps-style event views,
    its cost, and its counts (which ``Rollup`` keeps, read through these)."""

    if TYPE_CHECKING:
        @property
        def spans(self) -> list[ReadableSpan]: ...
        @property
        def _known_cost(self) -> float: ...

    llm_calls = _Count(models=True, bound=_lower_bounds.CALLS, reads=MODEL_READS)
    tool_calls = _Count(reads=TOOL_READS)
    actions = _Count(reads=ACTION_READS)
    error_count = _Count()  # any step left running may yet have failed
    input_tokens = _Count(models=True, bound=_lower_bounds.INPUT, reads=MODEL_READS)
    output_tokens = _Count(models=True, bound=_lower_bounds.OUTPUT, reads=MODEL_READS)
    cache_read_tokens = _Count(models=True, bound=_lower_bounds.INPUT, reads=MODEL_READS)  # a part of the input count
    cache_write_tokens = _Count(models=True, bound=_lower_bounds.INPUT, reads=MODEL_READS)
    reasoning_tokens = _Count(models=True, bound=_lower_bounds.OUTPUT, reads=MODEL_READS)  # a part of the output

    def _checked(self, name: str, reads: frozenset[str] | None = None) -> Session:
        __tracebackhide__ = True
        session = cast("Session", self)
        _refuse(session, name, sys._getframe(2), events=True, reads=reads)
        return session

    @property
    def action_events(self) -> list[ActionEvent]:
        return _views.action_events(self._checked("action_events", ACTION_READS).spans)

    @property
    def tool_events(self) -> list[ToolEvent]:
        return _views.tool_events(self._checked("tool_events", TOOL_READS).spans)

    @property
    def llm_events(self) -> list[LLMEvent]:
        return _views.llm_events(self._checked("llm_events", MODEL_READS).spans)

    @property
    def errors(self) -> list[ErrorEvent]:
        """Every step that ended in error, innermost first as they happened."""
        return _views.error_events(self._checked("errors").spans)

    @property
    def events(self) -> list[ActionEvent | ToolEvent | LLMEvent]:
        """Actions, tools and LLM calls together, in start order."""
        return _views.all_events(self._checked("events").spans)

    @property
    def cost(self) -> float:
        """USD spent by the LLM calls of this session and its nested sessions (0.0 if none priced).

        Read by a test's own code while nothing of the session was recorded or its cost is not known whole
        (``cost_complete`` false: a call without a known cost; no model client watched; or a child process forked
        while it was current took it along), a :class:`Cost`:
        comparing it fails saying why."""
        return self._cost_as_read(sys._getframe(1))

    def _cost_as_read(self, frame: FrameType | None) -> float:
        """:attr:`cost` as the code running ``frame`` reads it (also what ``end_session()`` hands back)."""
        known = self._known_cost
        if not read_by_test(frame):
            return known
        session = cast("Session", self)
        why = _views.unrecorded(session)
        if why is not None:
            return Cost(known, lambda: f"session.cost cannot be compared: {why}; ${known:.6f} counts nothing")
        if (session.cost_complete and not session.forks and _views.unwatched(session) is None
                and not _steps_unaccounted(session)):
            return known
        return Cost(known, lambda: _incomplete(session, known))
