"""Saving at the exit of a ``multiprocessing`` child.

``atexit`` is where a process saves what ended (see :mod:`._exit`), but a child that
``multiprocessing`` made with the fork or forkserver start method (fork is Linux's default on Python
3.11: every ``Pool``, ``Process`` and ``ProcessPoolExecutor``) leaves through ``os._exit()`` once its
target returns, and ``atexit`` never runs: every session the child ended was lost. What such a child
does run on its way out are ``multiprocessing``'s own exit finalizers (``util.Finalize`` with an
``exitpriority``); our exit hook becomes one of them.

A child drops the finalizers it inherits as it starts, then runs the callbacks registered with
``util.register_after_fork``: so the finalizer is armed from such a callback. It is registered when
``init()`` hooks exit (and inherited by every child forked later); when ``multiprocessing`` is
imported only after that, from our ``os.register_at_fork`` hook in the child, which runs before the
child starts. ``init()`` called inside a child's target arms it directly. Nothing is armed in a process
``multiprocessing`` did not start: there ``atexit`` does the work.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from ._guard import guard

_EXIT_PRIORITY = 0
"""Run with the first batch of exit finalizers (those >= 0), after higher-priority cleanups."""

_on_exit: Callable[[], None] | None = None
_registered = False
"""Whether our after-fork callback is in ``multiprocessing``'s registry (children inherit both)."""
_finalizer: Any = None
"""This process's ``util.Finalize``, if armed (one inherited from a parent is no longer registered)."""


class _Owner:
    """What the after-fork registry holds our callback by (it keeps a weak reference)."""


_OWNER = _Owner()


def hook(on_exit: Callable[[], None]) -> None:
    """Run ``on_exit`` at the exit of every ``multiprocessing`` child of this process (and of this one,
    if it is such a child). Idempotent; never raises."""
    global _on_exit
    _on_exit = on_exit
    with guard("exit.multiprocessing"):
        util = sys.modules.get("multiprocessing.util")
        if util is None:
            return  # not imported yet: the fork hook below registers in the child
        _register(util)
        process = sys.modules.get("multiprocessing.process")
        if process is not None and process.parent_process() is not None:
            _arm()  # init() in a child's target: its start-up callbacks have run already


def _register(util: Any) -> None:
    global _registered
    if not _registered:
        util.register_after_fork(_OWNER, _arm_after_fork)
        _registered = True


def _arm_after_fork(_owner: _Owner) -> None:
    _arm()


def _arm() -> None:
    global _finalizer
    with guard("exit.multiprocessing"):
        util = sys.modules.get("multiprocessing.util")
        if util is None or _on_exit is None:
            return
        if _finalizer is not None and _finalizer.still_active():
            return
        _finalizer = util.Finalize(None, _run, exitpriority=_EXIT_PRIORITY)


def _run() -> None:
    on_exit = _on_exit
    if on_exit is not None:
        with guard("exit.multiprocessing"):
            on_exit()


def _in_child() -> None:
    """``multiprocessing`` imported after ``init()``: register now, before the child starts its target.
    No lock is taken here (a thread of the parent may have held any lock at the fork)."""
    if _on_exit is not None and not _registered:
        util = sys.modules.get("multiprocessing.util")
        if util is not None:
            with guard("exit.multiprocessing"):
                _register(util)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_child)
