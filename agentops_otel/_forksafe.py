"""Locks a forked child can still take.

``os.fork()`` (``multiprocessing``'s default start method on Linux before Python 3.14, pre-fork
servers) copies every lock in the state it was in, but only the thread that forked: a lock another
thread held at that moment (an export writing a batch, a span being added to a session, ``init()``
importing a client SDK) stays held in the child for good, and the child's next ``init()``, session,
step or exit waits on it forever.

So every lock of ours is made here and re-initialised, unlocked, in the child by one ``after_in_child``
hook. Per-object locks (each session's, each exporter's) need it as much as module ones, and
``os.register_at_fork`` handlers can never be removed: one handler walking a weak set covers them all
without keeping any object alive or growing per object. The hook takes no lock itself and re-makes
each lock in place (``_at_fork_reinit``, what ``threading`` and ``logging`` do for their own locks), so
code holding a reference to the lock, an attribute or a module global alike, sees the fresh one.

The data such a lock guarded may be midway through the vanished thread's update: the parent's own
data (its sessions, open streams, queued batches) is dropped by the modules that keep it, in their own
fork hooks. A lock the *forking* thread holds is left alone only for :func:`rlock` (it knows its
owner); none of ours is held across user code that could fork.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

_locks: weakref.WeakSet[Any] = weakref.WeakSet()


def lock() -> threading.Lock:
    """A ``threading.Lock`` that a forked child finds unlocked."""
    made = threading.Lock()
    _locks.add(made)
    return made


def rlock() -> threading.RLock:
    """A ``threading.RLock`` that a forked child finds unlocked (unless the forking thread holds it)."""
    made = threading.RLock()
    _locks.add(made)
    return made


def _unlock_in_child() -> None:
    for made in list(_locks):
        if getattr(made, "_is_owned", None) is not None and made._is_owned():
            continue  # an RLock the forking thread itself holds: it releases it as usual
        reinit = getattr(made, "_at_fork_reinit", None)
        if reinit is not None:
            reinit()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_unlock_in_child)
