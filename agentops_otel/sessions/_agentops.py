"""AgentOps 0.3's methods and fields on the session object: ``session.record(event)``,
``session.end_session(...)``, ``event_counts``, ``get_analytics()``, ``token_cost``, ``session_url``,
``is_running`` and the ISO timestamps, for suites that hold on to the session ``start_session()`` returned.

Apart from :mod:`._session`, which is at its size limit; these only delegate to ``record()``,
``Session.end`` and the session's own fields (the summaries through :mod:`._agentops_fields`, which refuses
what a test's own read could pass on nothing).
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
import warnings
from collections.abc import Mapping
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

from opentelemetry import context as otel_context

from .. import semconv
from .._end_states import canonical_end_state
from . import _agentops_fields

if TYPE_CHECKING:
    from ..events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent
    from ._session import Session


class AgentOpsMethods:
    """Mixed into :class:`~agentops_otel.sessions.Session`."""

    if TYPE_CHECKING:
        _ctx: otel_context.Context | None
        id: str
        start_time: datetime
        end_time: datetime | None

        @property
        def url(self) -> str: ...
        @property
        def ended(self) -> bool: ...
        def end(self, end_state: object = ..., end_state_reason: object = None) -> None: ...
        def _cost_as_read(self, frame: FrameType | None) -> float: ...

    @property
    def session_id(self) -> uuid.UUID:
        """AgentOps 0.3's name for the session's id, a UUID (``str()`` of it is :attr:`id`): ported code
        looks sessions up with ``get_session(session.session_id)`` (or its text)."""
        return uuid.UUID(self.id)

    @property
    def session_url(self) -> str:
        """AgentOps 0.3's link to the session (its dashboard's): here :attr:`url`, the trace UI's."""
        return self.url

    @property
    def is_running(self) -> bool:
        """AgentOps 0.3's flag: ``True`` until the session ends."""
        return not self.ended

    @property
    def init_timestamp(self) -> str:
        """The start as AgentOps 0.3 kept it: ISO-8601 text in UTC (:attr:`start_time` as a ``datetime``)."""
        return self.start_time.isoformat()

    @property
    def end_timestamp(self) -> str | None:
        """The end as ISO-8601 text in UTC, ``None`` while the session runs (:attr:`end_time` as a ``datetime``)."""
        return None if self.end_time is None else self.end_time.isoformat()

    @property
    def token_cost(self) -> float:
        """AgentOps 0.3's cost of the session: :attr:`cost`, a float in USD (0.3 kept a ``Decimal``), refused to a
        test's comparison as :attr:`cost` is when it is not known whole."""
        return self._cost_as_read(sys._getframe(1))

    @property
    def event_counts(self) -> Mapping[str, int]:
        """AgentOps 0.3's counts by event type: ``llms`` (:attr:`llm_calls`), ``tools``, ``actions``, ``errors``
        (failed steps, as :attr:`error_count`) and ``apis`` (always 0: no step here is an API event).

        A plain dict, except to the running test's own code for a session that cannot back a verdict on a
        count: then each such count fails as it is read, as :attr:`llm_calls` does (see :mod:`._agentops_fields`)."""
        return _agentops_fields.event_counts(cast("Session", self), sys._getframe(1))

    def get_analytics(self) -> Mapping[str, int | str]:
        """AgentOps 0.3's summary: ``"LLM calls"``, ``"Tool calls"``, ``"Actions"``, ``"Errors"`` as ints,
        ``"Duration"`` as text (``"2m 3.4s"``; until now while the session runs) and ``"Cost"`` as text in USD
        without the sign (``"0.00"``, else six decimals). Its counts and cost refuse a test's own read as
        :attr:`event_counts` and :attr:`cost` do."""
        return _agentops_fields.analytics(cast("Session", self), sys._getframe(1))

    def record(self, event: ActionEvent | ErrorEvent | ToolEvent | LLMEvent) -> None:
        """``agentops.record(event)`` into this session, wherever it is called: with another session
        current here (another task's session held by a handler), the step still belongs to this one."""
        from ..compat import record

        if self._ctx is None:  # never made current (its start failed): nowhere better to record it
            record(event)
            return
        token = otel_context.attach(self._ctx)
        try:
            record(event)
        finally:
            otel_context.detach(token)

    def end_session(self, end_state: object = semconv.END_INDETERMINATE, end_state_reason: object = None,
                    **_agentops_kwargs: Any) -> float:
        """End this session, as ``agentops.end_session(..., session=this)`` does. Indeterminate by default,
        as AgentOps' own ``Session.end_session()``; its other arguments (``video``) are ignored.

        Returns the session's cost, as AgentOps 0.3 returned its token cost (ported code checks
        ``cost = session.end_session("Success")``): :attr:`cost` as the caller reads it, so a test comparing
        a cost that is not known whole fails saying why, as with ``session.cost``.

        An end state AgentOps does not know (``"Failed"``) is a warning, as AgentOps logs one, not an
        error: see :func:`end_warning_of_bad_state`."""
        end_warning_of_bad_state(self, end_state, end_state_reason)
        return self._cost_as_read(sys._getframe(1))


def end_warning_of_bad_state(session: AgentOpsMethods, end_state: object, end_state_reason: object) -> None:
    """End ``session``, saying a bad end state as a ``RuntimeWarning`` where ``Session.end`` raises it.

    AgentOps only logs a bad end state, and its suites end sessions in ``except`` handlers before
    re-raising: our ``ValueError`` there would replace the agent's own exception. The session still
    ends, Indeterminate, its end reason naming the bad state (so a check for ``Fail`` fails honestly).
    While an exception is being handled, warnings turned into errors do not replace it either: the
    warning goes to the log instead.
    """
    handling = sys.exception() is not None
    try:
        session.end(end_state, end_state_reason)
    except ValueError as exc:  # raised by Session.end after it ended the session
        message = f"agentops_otel: {exc}"
        try:
            warnings.warn(message, RuntimeWarning, stacklevel=3)
        except Warning:
            if not handling:
                raise
            logging.getLogger("agentops_otel").warning("%s", message)


def warn_late_end(session: Session, outer: Session, end_state: object) -> None:
    """Say that ending ``session`` changes nothing: ``outer``, the session it was nested in, ended first
    and ended it too (Indeterminate).

    AgentOps 0.3's sessions overlap freely (``s1 = start_session(); s2 = start_session(); s1.end_session();
    s2.end_session("Fail")``); here the second nests in the first and ends with it. Dropped in silence,
    that ``"Fail"`` left the session Indeterminate for a check or a gate that expected it Fail. Only a
    state that differs is said; an unknown one is said by the end itself. While an exception is being
    handled, a warning turned into an error goes to the log instead of replacing that exception.

    The text names the sessions, never their ids: Python keeps every distinct text a line warned with in
    that module's ``__warningregistry__``, so a server whose requests all end this way would have kept one
    entry per session. The same line then warns once, as Python's default does for any warning.
    """
    wanted = canonical_end_state(end_state)
    if wanted is None or wanted == session.end_state:
        return
    message = (f"agentops_otel: end_session({wanted!r}) comes too late: session {session.name!r} "
               f"had been ended {session.end_state} when the session it was nested in, {outer.name!r}, "
               f"ended, and keeps that end state. A session started while another is current is nested in it "
               f"and ends with it: end the inner one first")
    handling = sys.exception() is not None
    try:
        warnings.warn(message, RuntimeWarning, stacklevel=_callers_level())
    except Warning:
        if not handling:
            raise
        logging.getLogger("agentops_otel").warning("%s", message)


def _callers_level() -> int:
    """The ``stacklevel`` of the first frame outside this package: the user's line that ended the session."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level
