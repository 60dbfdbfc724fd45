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
from contextvars import ContextVar
from typing import Any, Protocol

from . import semconv
from ._end_states import reason_text


class ToolHook(Protocol):
    """What a recorder or replayer implements: run (or answer) one tool call."""

    def call(self, kind: str, name: str, arguments: dict[str, Any], run: Callable[[], Any]) -> Any: ...

    async def acall(self, kind: str, name: str, arguments: dict[str, Any],
                    run: Callable[[], Awaitable[Any]]) -> Any: ...

    def event(self, kind: str, name: str, arguments: dict[str, Any], result: Any,
              error: tuple[str, str | None] | None = None) -> None:
        """An event the agent recorded by hand (``agentops.record``): ``action`` / ``tool`` (an ``ActionEvent`` /
        ``ToolEvent``), ``llm`` (an ``LLMEvent``: ``name`` is the model) or ``error`` (an ``ErrorEvent``: ``name``
        is its type); ``error`` is the ``(type, message)`` it records, if any."""


hook: ToolHook | None = None
"""The installed recorder/replayer, or None (production)."""

LINEAGE: ContextVar[Any] = ContextVar("agentops_otel.replay_lineage", default=None)
"""Where the code running here stands among the agent's branches while a recording runs: ``(branch, clock)``
of its last step (set by the recorder, inherited by the asyncio tasks it creates), or a :class:`Fork` in a
carried call that has made no step yet. A replay may meet the calls of two branches in either order, but
not a call from before the fork that started them after it (``testing._concurrency``)."""


class Fork:
    """One carried call (``SessionExecutor``, ``carry_context``): a branch of its own, forked from ``parent``, the
    submitter's :data:`LINEAGE` when it was submitted. Two tasks one pool thread runs in turn are two branches."""

    __slots__ = ("parent",)

    def __init__(self, parent: Any) -> None:
        self.parent = parent


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


def event(recorded: Any, error: tuple[str, str | None] | None = None) -> None:
    """Show an event passed to ``agentops.record`` to the installed hook, with the error it records.

    An ``LLMEvent`` is a model call the agent made through a client we do not see: its request is the
    model and the prompt (the completion is the model's, not the agent's). An ``ErrorEvent`` is the error
    alone: its type is its name, its code its argument."""
    __tracebackhide__ = True
    current = hook
    if current is None:
        return
    kind_of = type(recorded).__name__
    if hasattr(recorded, "action_type") or kind_of == "ToolEvent":
        kind = "action" if hasattr(recorded, "action_type") else "tool"
        name = (recorded.action_type if kind == "action" else getattr(recorded, "name", None)) or kind
        params = getattr(recorded, "params", None)
        arguments = params if isinstance(params, dict) else {"*args": params}
        current.event(kind, str(name), arguments, getattr(recorded, "returns", None), error)
    elif kind_of == "LLMEvent":
        request = {"prompt": recorded.prompt, **({"operation": recorded.operation} if recorded.operation else {})}
        current.event("llm", str(recorded.model or "unknown"), request, None, error)
    elif kind_of == "ErrorEvent":
        given = recorded.code is not None and not (isinstance(recorded.code, str) and not recorded.code)
        code = {"code": reason_text(recorded.code)} if given else {}
        current.event("error", error[0] if error else "Error", code, None, error)
