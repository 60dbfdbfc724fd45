"""AgentOps 0.3's summary fields of a session as a ported suite reads them: ``event_counts`` and
``get_analytics()``, each a dict of counts (and, for the analytics, the duration and the cost as text).

A ported check reads them as it read ``session.llm_calls``: ``assert session.event_counts["errors"] == 0``.
Handed to the running test's own code for a session that cannot back a verdict (the kill switch, a forked
child, a step it never saw end; for the model count, no model client watched), that 0 would pass on nothing.
So such a read gets a :class:`JudgedDict` instead of a dict, whose refused entries fail as they are read,
saying why in the words of :func:`._judged._refuse` (the entries it would not refuse, such as the tool count
without a watched model client, read). Everyone else gets a plain dict, as from the counts themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from types import FrameType
from typing import TYPE_CHECKING, Final, TypeVar

from .. import _test_file
from .._left_running import ACTION_READS, MODEL_READS, TOOL_READS
from ._judged import Cost, NotJudgeable, _refuse, read_by_test

if TYPE_CHECKING:
    from ._session import Session

V = TypeVar("V")

EVENT_COUNTS: Final = ("llms", "tools", "actions", "errors", "apis")
"""AgentOps 0.3's ``event_counts`` keys, named for its event types (``EventType``)."""
ANALYTICS_COUNTS: Final = {"LLM calls": "llms", "Tool calls": "tools", "Actions": "actions", "Errors": "errors"}
"""The counts among 0.3's ``get_analytics()`` keys, and the ``event_counts`` key each repeats."""
_READS: Final = {"llms": MODEL_READS, "tools": TOOL_READS, "actions": ACTION_READS}
"""The kinds of step each ``event_counts`` count counts (any, for the others: see ``_left_running``)."""


class JudgedDict(Mapping[str, V]):
    """A read-only dict whose refused entries raise :class:`NotJudgeable` as they are read: by key, by
    ``.get``, ``.values()``, ``.items()``, ``==`` or ``dict(...)`` alike. Its keys, its length and its repr
    (which prints the figures, as a refused cost still prints) never refuse."""

    def __init__(self, values: dict[str, V], refused: dict[str, str]) -> None:
        self._values, self._refused = values, refused

    def __getitem__(self, key: str) -> V:
        __tracebackhide__ = True
        why = self._refused.get(key)
        if why is not None:
            raise NotJudgeable(why)
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(self._values)


def _refusal(session: Session, name: str, frame: FrameType, of: str) -> str | None:
    """What :func:`._judged._refuse` says to the code running ``frame`` reading ``session.<name>``, the count
    ``event_counts[of]``, if it refuses."""
    try:
        _refuse(session, name, frame, models=of == "llms", reads=_READS.get(of))
    except NotJudgeable as exc:
        return str(exc)
    return None


def _judged(session: Session, values: dict[str, V], field: str, counts: dict[str, str],
            frame: FrameType | None) -> dict[str, V] | JudgedDict[V]:
    """``values`` as the code running ``frame`` reads ``session.<field>``: each key in ``counts`` is a count,
    refused as ``_refuse`` refuses the ``event_counts`` count it names."""
    if _test_file.current() is None or frame is None or not read_by_test(frame):
        return values
    refused = {key: why for key, of in counts.items()
               if (why := _refusal(session, f"{field}[{key!r}]", frame, of)) is not None}
    return JudgedDict(values, refused) if refused else values


def event_counts(session: Session, frame: FrameType | None) -> dict[str, int] | JudgedDict[int]:
    """:attr:`Session.event_counts` as the code running ``frame`` reads it."""
    counts = {"llms": session._llm_calls, "tools": session._tool_calls, "actions": session._actions,
              "errors": session._error_count, "apis": 0}
    return _judged(session, counts, "event_counts", {key: key for key in EVENT_COUNTS}, frame)


def analytics(session: Session, frame: FrameType | None) -> dict[str, int | str] | JudgedDict[int | str]:
    """:meth:`Session.get_analytics` as the code running ``frame`` reads it."""
    counts = event_counts(session, None)
    cost = session._cost_as_read(frame)
    values: dict[str, int | str] = {key: counts[of] for key, of in ANALYTICS_COUNTS.items()}
    values["Duration"] = duration_text(session.start_time, session.end_time or datetime.now(UTC))
    values["Cost"] = cost_text(float(cost))
    judged = _judged(session, values, "get_analytics()", ANALYTICS_COUNTS, frame)
    if not isinstance(cost, Cost):
        return judged
    refused = dict(judged._refused) if isinstance(judged, JudgedDict) else {}
    refused["Cost"] = f"session.get_analytics()['Cost'] is session.cost as text: {cost._why()}"
    return JudgedDict(values, refused)


def duration_text(start: datetime, end: datetime) -> str:
    """A duration as AgentOps 0.3 logged it: ``"1h 2m 3.4s"``, hours and minutes only where not zero."""
    hours, rest = divmod(max(0.0, (end - start).total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{int(hours)}h"] if hours else []
    if minutes:
        parts.append(f"{int(minutes)}m")
    return " ".join([*parts, f"{seconds:.1f}s"])


def cost_text(usd: float) -> str:
    """A cost in USD as AgentOps 0.3 showed it, without the dollar sign: ``"0.00"`` for none, else six
    decimals rounded half up (``"0.000123"``)."""
    if usd == 0:
        return "0.00"
    return str(Decimal(repr(usd)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))
