"""Session replay and behavioural testing for AI agents, on OpenTelemetry.

A session is one trace: its root span is the agent run, its children the tool calls, actions and LLM
calls. ``import agentops_otel as agentops`` gives the AgentOps-style API on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .compat import init, record
from .events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent
from .executor import SessionExecutor, carry_context
from .export import flush, shutdown
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
from .tools import record_action, record_tool, tool

if TYPE_CHECKING:
    from .cost import register_price
    from .instrument.anthropic import instrument_anthropic, uninstrument_anthropic
    from .instrument.openai import instrument_openai, uninstrument_openai

_LAZY = {
    "instrument_anthropic": ("agentops_otel.instrument.anthropic", "instrument_anthropic"),
    "uninstrument_anthropic": ("agentops_otel.instrument.anthropic", "uninstrument_anthropic"),
    "instrument_openai": ("agentops_otel.instrument.openai", "instrument_openai"),
    "uninstrument_openai": ("agentops_otel.instrument.openai", "uninstrument_openai"),
    "register_price": ("agentops_otel.cost", "register_price"),
}


def __getattr__(name: str) -> Any:
    """Import the LLM-client instrumentations and price tables only when asked for (they pull in more)."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'agentops_otel' has no attribute {name!r}")


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
    "record_tool",
    "register_price",
    "session",
    "shutdown",
    "start_session",
    "tool",
    "uninstrument_anthropic",
    "uninstrument_openai",
]
