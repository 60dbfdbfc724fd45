"""The seam through which a recording or a replay sees, and may answer, each tool call.

``@tool`` / ``@record_action`` wrappers call the user's function through :func:`call` /
:func:`acall` only while a recorder or replayer from :mod:`agentops_otel.testing` is installed; in
production :data:`hook` is ``None`` and the cost is one attribute read per call. The hook runs
inside the tool's span, so a tool answered from a recording still appears in the replayed session
with its arguments and result, exactly like one that ran.

A module global rather than a context variable: an agent may run its tools in threads that do not
copy the context, and a replay must see those calls too (it refuses to let one slip through live).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from . import semconv


class ToolHook(Protocol):
    """What a recorder or replayer implements: run (or answer) one tool call."""

    def call(self, kind: str, name: str, arguments: dict[str, Any], run: Callable[[], Any]) -> Any: ...

    async def acall(self, kind: str, name: str, arguments: dict[str, Any],
                    run: Callable[[], Awaitable[Any]]) -> Any: ...

    def event(self, kind: str, name: str, arguments: dict[str, Any], result: Any) -> None:
        """An ``ActionEvent`` / ``ToolEvent`` the agent recorded by hand (``agentops.record``)."""


hook: ToolHook | None = None
"""The installed recorder/replayer, or None (production)."""


def _describe(step: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """``("tool" | "action", name, named arguments)`` of one call of a decorated function."""
    attrs = step.base_attrs
    if semconv.GEN_AI_TOOL_NAME in attrs:
        return "tool", str(attrs[semconv.GEN_AI_TOOL_NAME]), step.arguments(args, kwargs)
    return "action", str(attrs.get(semconv.ACTION_TYPE, step.span_name)), step.arguments(args, kwargs)


def call(step: Any, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run ``fn`` through the installed hook (which may answer without running it)."""
    __tracebackhide__ = True
    current = hook
    if current is None:
        return fn(*args, **kwargs)
    kind, name, arguments = _describe(step, args, kwargs)
    return current.call(kind, name, arguments, lambda: fn(*args, **kwargs))


async def acall(step: Any, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
    __tracebackhide__ = True
    current = hook
    if current is None:
        return await fn(*args, **kwargs)
    kind, name, arguments = _describe(step, args, kwargs)
    return await current.acall(kind, name, arguments, lambda: fn(*args, **kwargs))


def event(recorded: Any) -> None:
    """Show an event passed to ``agentops.record`` to the installed hook (actions and tools only)."""
    __tracebackhide__ = True
    current = hook
    if current is None:
        return
    if hasattr(recorded, "action_type"):
        kind, name = "action", recorded.action_type or "action"
    elif type(recorded).__name__ == "ToolEvent":
        kind, name = "tool", getattr(recorded, "name", None) or "tool"
    else:
        return
    params = getattr(recorded, "params", None)
    arguments = params if isinstance(params, dict) else {"*args": params}
    current.event(kind, str(name), arguments, getattr(recorded, "returns", None))
