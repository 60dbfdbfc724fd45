"""Putting wrappers on an SDK's classes and taking them off again, all of a plan or none of it.

Kept apart from the per-call shells of :mod:`._base`: this runs once per ``instrument()``/``uninstrument()``,
under the instrumentor's lock, and is where a half-applied patch or a foreign wrapper on top of ours is dealt with.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import wrapt

if TYPE_CHECKING:
    from ._base import Activation, Target

__all__ = ["Wrapper", "loaded", "patch", "resolve", "resolve_hooks", "restore", "retire", "unpatch"]

logger = logging.getLogger("agentops_otel")

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
"""A ``wrapt`` function wrapper: ``(wrapped, instance, args, kwargs) -> result``."""


_RETIRED = "_agentops_otel_retired"


def retire(wrapper: Any) -> None:
    """Mark a wrapper of ours that had to stay beneath another's as a pass-through: whichever of ours
    restores what is beneath it later takes it out too (a recording's watch under ``init()``'s)."""
    if isinstance(wrapper, wrapt.FunctionWrapper):
        setattr(wrapper._self_wrapper, _RETIRED, True)


def _past_retired(fn: Any) -> Any:
    while isinstance(fn, wrapt.FunctionWrapper) and getattr(fn._self_wrapper, _RETIRED, False):
        fn = fn.__wrapped__
    return fn


def loaded(name: str) -> bool:
    """Whether module ``name`` is imported (and not half-way: another thread may be running it)."""
    module = sys.modules.get(name)
    return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)


def resolve(provider: str, targets: Collection[Target]) -> list[tuple[Target, type]]:
    """Every one of ``targets`` this SDK version has; nothing is patched until all are known."""
    found: list[tuple[Target, type]] = []
    for target in targets:
        try:
            module = importlib.import_module(target.module)
        except ImportError:
            logger.debug("agentops_otel: %s has no module %s; skipped", provider, target.module)
            continue
        cls = getattr(module, target.cls, None)
        if isinstance(cls, type) and target.method in vars(cls):
            found.append((target, cls))
    return found


def resolve_hooks(hooks: Collection[tuple[str, str, str]]) -> list[tuple[type, str]]:
    """The late hooks this SDK has, or none (then late targets are imported at once): all or nothing."""
    try:
        found = [(getattr(importlib.import_module(module), name), method) for module, name, method in hooks]
    except (ImportError, AttributeError):
        return []
    return found if all(isinstance(cls, type) and method in vars(cls) for cls, method in found) else []


def patch(into: list[tuple[type, str, Wrapper]], plan: list[tuple[type, str, Wrapper]]) -> None:
    for cls, method, fn in plan:
        wrapt.wrap_function_wrapper(cls, method, fn)
        into.append((cls, method, fn))


def unpatch(patched: list[tuple[type, str, Wrapper]]) -> None:
    """Put back what ``patched`` lists; under a foreign wrapper ours stays (it no longer records)."""
    for cls, method, fn in reversed(patched):
        current = vars(cls).get(method)
        if isinstance(current, wrapt.FunctionWrapper) and current._self_wrapper is fn:
            setattr(cls, method, _past_retired(current.__wrapped__))
    patched.clear()


def restore(active: Activation) -> None:
    """Put the SDK's functions back; under a foreign wrapper ours stays but stops recording."""
    active.on = False
    active.pending = ()
    unpatch(active.hooks)
    unpatch(active.patched)
