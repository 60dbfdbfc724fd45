"""A session ended from a finaliser while the garbage collector runs: its end waits for an ordinary path.

A generator holding a session open across a ``yield`` (``@session`` on a generator, ``with session()``
around a ``yield``, sync or async) that the program abandons in a reference cycle is closed by the
collector, which starts on any allocation: inside ``timeline()`` of the enclosing session, a processor or
an exporter, with this thread holding a lock the end takes. Ended there, the thread waited forever on
its own lock. So only what belongs to the interrupted context is done at once, with no lock (context
variables), and the end itself goes to :mod:`.._deferred`: it runs, as it would have run in the
finaliser, at the next span, session end, ``timeline()``, ``flush()`` or exit.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .. import _deferred
from .._guard import report
from ._context import note_ended

if TYPE_CHECKING:
    from ._session import Session


def end_after_collection(session: Session, end_state: object, reason: object,
                         exception: BaseException | None) -> None:
    """``session.end(...)`` from a finaliser during a collection: safe there (it only appends)."""
    if session.end_state is None:
        try:
            _leave_context(session)
            note_ended(session)
        except Exception as exc:  # reporting takes a lock: the report waits too
            _deferred.defer(functools.partial(report, "session.restore_context", exc))
    elif session._ended_by is None:
        return  # ended already: nothing to do, nothing to say
    _deferred.defer(functools.partial(_end_later, session, end_state, reason, exception))


def _leave_context(session: Session) -> None:
    """Stop ``session`` and its nested sessions still open (which its end ends) being current here,
    innermost first, as ending them would: the code the collector interrupted goes on in the enclosing
    session, whenever the deferred end runs and on whatever thread."""
    for child in list(session._children):
        if child.end_state is None:
            _leave_context(child)
    session._restore_context()


def _end_later(session: Session, end_state: object, reason: object, exception: BaseException | None) -> None:
    # A bad end state is recorded on the session (Indeterminate, "invalid end state ..."); the error has
    # nobody to reach (raised from a finaliser, Python would only have printed it).
    session._end(end_state, reason, exception, here=False)
