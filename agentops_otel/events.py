"""Event records in the shape AgentOps users already test against.

They go both ways: a user builds an :class:`ActionEvent` or :class:`ErrorEvent` and passes it to
``record()`` (it becomes a span), and ``get_session()`` hands back the same classes rebuilt from the
spans the session produced, so assertions such as ``[e.action_type for e in session.action_events]``
keep working unchanged.

They take every keyword AgentOps 0.3's event classes take (``id``, ``event_type``, ``agent_id`` as a
``UUID``, timestamps as ISO strings...), added after our own fields so positional construction is
unchanged; ``event_type`` defaults to AgentOps' ``EventType`` value and ``id`` to a fresh ``uuid4``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from uuid import UUID, uuid4

ACTIONS: Final = "actions"
LLMS: Final = "llms"
TOOLS: Final = "tools"
ERRORS: Final = "errors"
"""AgentOps' ``EventType`` values: what ``event_type`` says by default, as AgentOps tests may assert it."""


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
    agent_id: str | UUID | None = None
    """Recorded (and read back) as text, ``gen_ai.agent.id``."""
    screenshot: str | None = None
    id: UUID = field(default_factory=uuid4, compare=False)
    """AgentOps' event id: not recorded (a rebuilt event has a fresh one), and so left out of ``==``."""
    event_type: str = ACTIONS


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
    agent_id: str | UUID | None = None
    id: UUID = field(default_factory=uuid4, compare=False)
    event_type: str = TOOLS


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
    agent_id: str | UUID | None = None
    thread_id: str | UUID | None = None
    """The conversation the call belongs to, ``gen_ai.conversation.id``."""
    params: Any = None
    """The call's request arguments, as AgentOps' LLM tracker passed them: content, like ``prompt``."""
    returns: Any = None
    id: UUID = field(default_factory=uuid4, compare=False)
    event_type: str = LLMS


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
    timestamp: datetime | str | None = None
    """AgentOps' time of the error: the step's start when ``init_timestamp`` is not given (``None``: when
    recorded). Read back, the step's start."""
    event_type: str = field(default=ERRORS, init=False)
    """Not a keyword, as in AgentOps (which sets it after construction)."""
