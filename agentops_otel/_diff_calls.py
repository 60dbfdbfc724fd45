"""How the diff tells calls apart beyond kind, name and content: who made each call, what an LLM call
was asked with, and which tool call ids stand for the same call.

Kept apart from :mod:`agentops_otel.diff` so that module stays readable. The caller is read from the
spans' parent ids, never from the clock: a call made by ``verify_and_charge`` is that action's call
however its branches interleave with others, and one made after the action returned is the session's.
Tool call ids, which the provider makes up afresh on each run, are compared by position.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

from agentops_otel import genai_content, genai_spans
from agentops_otel._serialize import from_json
from agentops_otel.timeline import FLAG_ORPHAN, Step, Timeline

__all__ = ["Callers", "aliased", "call_ids", "caller_text", "json_text", "request_params_json"]

_TOP = "the session itself"
_CALL_PARTS = frozenset({"tool_call", "tool_call_response"})


class Callers:
    """The chain of enclosing steps of each step of one timeline, outermost first."""

    def __init__(self, timeline: Timeline) -> None:
        self._by_span: Mapping[str, Step] = {s.span_id: s for s in timeline.steps}

    def of(self, step: Step) -> tuple[str, ...] | None:
        """``("action verify_and_charge", ...)``; ``()`` for a call of the session itself; None when a
        parent span was lost on the way (an orphan): then who called it is not known."""
        chain: list[str] = []
        seen = {step.span_id}
        current: Step | None = step
        while current is not None:
            if FLAG_ORPHAN in current.flags:
                return None
            parent = current.parent_span_id
            current = self._by_span.get(parent) if parent is not None and parent not in seen else None
            if current is not None:
                seen.add(current.span_id)
                chain.append(f"{current.kind} {current.name}")
        return tuple(reversed(chain))


def caller_text(chain: tuple[str, ...]) -> str:
    """How a detail line names a caller: ``action plan > action verify_and_charge`` or the session."""
    return " > ".join(chain) if chain else _TOP


def request_params_json(step: Step) -> str | None:
    """The step's request parameters as JSON (None for a step that is no LLM call, or records none)."""
    if step.kind != "llm":
        return None
    params = genai_spans.request_params(step.attributes)
    return json.dumps(params, ensure_ascii=False, sort_keys=True, default=str) if params else None


def json_text(value: Any) -> str | None:
    """A recorded value as JSON text (text as it is)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _id_slots(value: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Where the provider's tool call ids sit in recorded messages, as ``(container, key)``: the ``id`` of
    a GenAI tool call / result part, and in a provider's raw request (another instrumentation's
    ``input.value``: ``{"messages": [...]}``) a message's ``tool_call_id`` and its ``tool_calls`` items'
    ``id``. Only there: a tool's arguments or result may hold such names as data of their own."""
    messages = value.get("messages") if isinstance(value, dict) else value
    if not isinstance(messages, list):
        return
    for message in messages:
        if not isinstance(message, dict):
            continue
        parts = message.get("parts")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict) and part.get("type") in _CALL_PARTS and isinstance(part.get("id"), str):
                    yield part, "id"
        if isinstance(message.get("tool_call_id"), str):
            yield message, "tool_call_id"
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                if isinstance(call, dict) and isinstance(call.get("id"), str):
                    yield call, "id"


def call_ids(t: Timeline) -> dict[str, str]:
    """The session's tool call ids by order of first appearance (``call#1``, ...).

    The provider makes the ids up, so two runs of one agent name the same calls differently: compared
    through this map they match by position, and a result sent back under another call's id still
    differs (the map is one-to-one)."""
    seen: dict[str, str] = {}
    for step in t.steps:
        if step.kind == "llm":
            for raw in (step.input, step.output, json_text(genai_content.request(step.attributes))):
                for slot, key in _id_slots(from_json(raw)):
                    seen.setdefault(slot[key], f"call#{len(seen) + 1}")
    return seen


def aliased(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with each tool call id replaced by its position (:func:`call_ids`)."""
    if not any(True for _ in _id_slots(value)):
        return value
    out = copy.deepcopy(value)
    for slot, key in list(_id_slots(out)):
        slot[key] = ids.get(slot[key], slot[key])
    return out
