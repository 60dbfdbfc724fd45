"""Event records in the shape AgentOps users already test against.

They go both ways: a user builds an :class:`ActionEvent` or :class:`ErrorEvent` and passes it to
``record()`` (it becomes a span), and ``get_session()`` hands back the same classes rebuilt from the
spans the session produced, so assertions such as ``[e.action_type for e in session.action_events]``
keep working unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ActionEvent:
    """One agent action: a ``@record_action`` call or an explicit ``record(ActionEvent(...))``."""

    action_type: str | None = None
    params: Any = None
    returns: Any = None
    logs: Any = None
    init_timestamp: datetime | None = None
    end_timestamp: datetime | None = None
    error: str | None = None
    """``"ValueError: customer_id cannot be None"`` when the action raised."""
    span_id: str | None = None
    agent_id: str | None = None
    screenshot: str | None = None


@dataclass
class ToolEvent:
    """One ``@tool`` call (``execute_tool`` span)."""

    name: str | None = None
    params: Any = None
    returns: Any = None
    logs: Any = None
    init_timestamp: datetime | None = None
    end_timestamp: datetime | None = None
    error: str | None = None
    span_id: str | None = None
    tool_call_id: str | None = None


@dataclass
class LLMEvent:
    """One model call, read back from its ``chat``/``embeddings`` span."""

    model: str | None = None
    prompt: Any = None
    completion: Any = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    """USD; ``None`` when the model has no known price."""
    operation: str | None = None
    init_timestamp: datetime | None = None
    end_timestamp: datetime | None = None
    error: str | None = None
    span_id: str | None = None


@dataclass
class ErrorEvent:
    """An error worth a step of its own, or (read back) any step that ended in error."""

    trigger_event: Any = None
    exception: BaseException | None = None
    error_type: str | None = None
    code: str | None = None
    details: str | None = None
    logs: Any = None
    init_timestamp: datetime | None = None
    step_name: str | None = None
    """The span that failed (``execute_tool fetch_customer_data``) when read back from a session."""
    span_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
