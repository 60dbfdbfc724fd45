"""Sessions a forked child process took with it: its steps reach the trace, never the session object here.

``os.fork()`` (a ``multiprocessing`` fork ``Pool``, ``Process`` or ``ProcessPoolExecutor``, a pre-fork
server) copies the forking thread's context into the child, current session included. The child's
spans carry that session's id and reach the trace (it exports and saves them at its exit), but never
this process's session object: its counts, tokens, cost and held spans, which are all a live verdict
reads, leave out whatever the child did. So a fork made while a session is current marks that session
and the ones it is nested in (:attr:`Rollup.forks`); their live verdicts on absence, counts and cost, and a
test's own reads of their counts, event lists and cost (``_judged``), then refuse to pass
(``testing._partial.forked_lines``) and point at the session read back from the trace, which holds the
children's steps.

Conservative: at the fork nobody knows whether the child will make a step, so a child that makes none
marks the session too. A thread whose context holds no session forks a child that inherits none, and
marks nothing. ``subprocess`` (even with ``preexec_fn``, which runs the fork hooks) and ``pty.fork`` start a new
program in the child, which inherits nothing: they mark nothing. A direct ``os.fork()`` / ``os.forkpty()`` marks,
whatever the child does next.

The hook runs in the forking thread just before the fork, while another thread may hold any lock of
ours (see :mod:`.._forksafe`): it takes none (one ``int`` bumped per session, under the GIL), never
raises, and costs one context lookup when no session is current.
"""

from __future__ import annotations

import os
import sys
from typing import Final

from opentelemetry import context as otel_context

from .. import _guard
from ..processor import SESSION_CONTEXT_KEY
from ._rollup import Rollup

_EXEC_NEXT: Final = frozenset({"subprocess", "pty"})
"""Modules whose fork is followed by a new program in the child (``subprocess`` with ``preexec_fn``, ``pty.fork``
as pexpect uses it): it inherits no session, so such a fork marks nothing."""


def _mark_inherited_sessions() -> None:
    try:
        if _guard.ARMED:
            _guard.fault_point("session.fork")
        session = otel_context.get_value(SESSION_CONTEXT_KEY)
        if session is None:
            return
        forker = sys._getframe(1)  # the Python code that called os.fork() / fork_exec() / os.forkpty()
        if forker.f_globals.get("__name__") in _EXEC_NEXT:
            return
        while isinstance(session, Rollup):
            session.forks += 1
            session = session.parent
    except Exception:  # never reported: reporting takes a lock; the cost is one session left unmarked
        pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_mark_inherited_sessions)
