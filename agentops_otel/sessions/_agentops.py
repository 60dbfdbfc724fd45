"""AgentOps 0.3's methods on the session object: ``session.record(event)`` and
``session.end_session(...)``, for suites that hold on to the session ``start_session()`` returned.

Apart from :mod:`._session`, which is at its size limit; these only delegate to ``record()`` and
``Session.end``.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context

from .. import semconv

if TYPE_CHECKING:
    from ..events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent


class AgentOpsMethods:
    """Mixed into :class:`~agentops_otel.sessions.Session`."""

    if TYPE_CHECKING:
        _ctx: otel_context.Context | None

        def end(self, end_state: object = ..., end_state_reason: object = None) -> None: ...

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
                    **_agentops_kwargs: Any) -> None:
        """End this session, as ``agentops.end_session(..., session=this)`` does. Indeterminate by default,
        as AgentOps' own ``Session.end_session()``; its other arguments (``video``) are ignored.

        An end state AgentOps does not know (``"Failed"``) is a warning, as AgentOps logs one, not an
        error: see :func:`end_warning_of_bad_state`."""
        end_warning_of_bad_state(self, end_state, end_state_reason)


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
