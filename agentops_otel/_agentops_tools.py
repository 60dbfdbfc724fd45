"""AgentOps 0.3's decorators: ``@record_action``, ``@record_tool`` and the deprecated ``@record_function``.

They record as ``@tool`` does (:mod:`.tools`), with 0.3's signatures, so its code keeps its spelling
(``record_action(event_name="...")``, ``record_tool(tool_name="...")``), and calls of the decorated
function take 0.3's ``session=`` keyword: the call is recorded in that session and the keyword is not
passed on (0.3's wrapper consumed it), unless the function declares a ``session`` parameter of its own,
which then gets it as without the decorator (0.3 took it even from such a function: the function lost
its argument, which no one's code can have relied on working).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar, overload

from . import semconv
from ._redact import mask_text
from .tools import _Step, decorate_method, tool_step, wrap

_F = TypeVar("_F", bound=Callable[..., Any])


def _decorator(name: str | _F | None, what: str, step: Callable[[Callable[..., Any], str | None], _Step]
               ) -> _F | Callable[[_F], _F]:
    """``@what`` bare or ``@what("name")``: ``step(f, name)`` is what each call of ``f`` records."""
    if callable(name) or isinstance(name, classmethod):
        return decorate_method(name, lambda f: wrap(f, step(f, None)))
    if name is not None and not isinstance(name, str):
        noun = "tool" if what == "record_tool" else "action"
        raise TypeError(f"@{what} takes a function or the {noun}'s name, got {type(name).__name__}")
    return lambda f: decorate_method(f, lambda g: wrap(g, step(g, name)))


def _action_step(f: Callable[..., Any], event_name: str | None) -> _Step:
    name = mask_text(str(event_name or getattr(f, "__name__", "action")))  # a type holding a key is recorded masked
    return _Step(f, f"{semconv.SPAN_ACTION} {name}", {semconv.ACTION_TYPE: name},
                 (semconv.ACTION_PARAMS, semconv.ACTION_RETURNS), session_kw=True)


@overload
def record_action(event_name: _F, /) -> _F: ...
@overload
def record_action(event_name: str | None = None) -> Callable[[_F], _F]: ...
def record_action(event_name: str | _F | None = None) -> _F | Callable[[_F], _F]:
    """AgentOps' decorator: each call becomes an ``action {event_name}`` span and an ``ActionEvent``."""
    return _decorator(event_name, "record_action", _action_step)


@overload
def record_tool(tool_name: _F, /) -> _F: ...
@overload
def record_tool(tool_name: str | None = None) -> Callable[[_F], _F]: ...
def record_tool(tool_name: str | _F | None = None) -> _F | Callable[[_F], _F]:
    """AgentOps' name for :func:`~agentops_otel.tool`: ``@record_tool("search")`` (or bare) records each
    call as that tool."""
    return _decorator(tool_name, "record_tool", lambda f, name: tool_step(f, name, session_kw=True))


@overload
def record_function(event_name: _F, /) -> _F: ...
@overload
def record_function(event_name: str | None = None) -> Callable[[_F], _F]: ...
def record_function(event_name: str | _F | None = None) -> _F | Callable[[_F], _F]:
    """AgentOps' old name of :func:`record_action`, deprecated there (0.3 logged a deprecation warning at
    each use): kept so such code still runs, and warned about so it is renamed before it meets an
    AgentOps that no longer has it."""
    warnings.warn("record_function is deprecated: use record_action (AgentOps 0.3 renamed it; see also "
                  "record_tool)", DeprecationWarning, stacklevel=2)
    return _decorator(event_name, "record_function", _action_step)
