"""Session replay and behavioural testing for AI agents, on OpenTelemetry.

A session is one trace: its root span is the agent run, its children the tool calls, actions and LLM
calls. ``import agentops_otel as agentops`` gives the AgentOps-style API on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import loader

if TYPE_CHECKING:
    from ._agentops_tools import record_action, record_function, record_tool
    from .compat import init, record
    from .cost import register_price
    from .events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent
    from .executor import SessionExecutor, carry_context
    from .export import flush, shutdown
    from .instrument.anthropic import instrument_anthropic, uninstrument_anthropic
    from .instrument.openai import instrument_openai, uninstrument_openai
    from .semconv import END_FAIL, END_INDETERMINATE, END_SUCCESS
    from .sessions import (
        Session,
        current_session,
        end_all_sessions,
        end_session,
        get_session,
        session,
        start_session,
    )
    from .tools import tool

_LAZY = {
    **dict.fromkeys(("init", "record"), "compat"),
    **dict.fromkeys(("ActionEvent", "ErrorEvent", "LLMEvent", "ToolEvent"), "events"),
    **dict.fromkeys(("SessionExecutor", "carry_context"), "executor"),
    **dict.fromkeys(("flush", "shutdown"), "export"),
    **dict.fromkeys(("END_FAIL", "END_INDETERMINATE", "END_SUCCESS"), "semconv"),
    **dict.fromkeys(("Session", "current_session", "end_all_sessions", "end_session", "get_session", "session",
                     "start_session"), "sessions"),
    **dict.fromkeys(("record_action", "record_function", "record_tool"), "_agentops_tools"),
    "tool": "tools",
    **dict.fromkeys(("instrument_anthropic", "uninstrument_anthropic"), "instrument.anthropic"),
    **dict.fromkeys(("instrument_openai", "uninstrument_openai"), "instrument.openai"),
    "register_price": "cost",
}
"""Each public name and the module it lives in, imported on first use.

``import agentops_otel`` costs next to nothing: the pytest plugin, installed with the package, is
imported by every pytest run of a project that has it, and the modules behind these names pull in the
OpenTelemetry SDK, the exporters and the readers (~0.2 s), which a run that never opts in must not pay.
"""


__all__ = [
    "END_FAIL",
    "END_INDETERMINATE",
    "END_SUCCESS",
    "ActionEvent",
    "ErrorEvent",
    "LLMEvent",
    "Session",
    "SessionExecutor",
    "ToolEvent",
    "carry_context",
    "current_session",
    "end_all_sessions",
    "end_session",
    "flush",
    "get_session",
    "init",
    "instrument_anthropic",
    "instrument_openai",
    "record",
    "record_action",
    "record_function",
    "record_tool",
    "register_price",
    "session",
    "shutdown",
    "start_session",
    "tool",
    "uninstrument_anthropic",
    "uninstrument_openai",
]

if not TYPE_CHECKING:  # to a type checker the names are the imports above: a misspelt one is an error
    __getattr__, __dir__ = loader(__name__, {name: (module, name) for name, module in _LAZY.items()}, globals(),
                                  __all__)
