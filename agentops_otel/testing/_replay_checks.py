"""What a replay compares beside each request and each call's arguments, and how it says so: who made
the call, how the step ended, and the hint that ends every divergence.

Pure functions of the cassette's steps, kept apart from :mod:`._replayer` (which walks the recording).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _guard, semconv
from ._cassette import Cassette, Step, ToolStep, step_label
from ._replay_answers import RecordedToolError

__all__ = ["caller_change", "callers", "checks_callers", "ended_with", "hand_arguments", "hint", "outcome_change",
           "without_stream_false"]


def _chain(cassette: Cassette, index: int | None) -> list[str]:
    """The labels of the recorded steps a call ran inside, outermost first."""
    chain: list[str] = []
    steps = cassette.steps
    while index is not None and 0 <= index < len(steps) and len(chain) < len(steps):
        chain.append(step_label(steps[index]))
        index = steps[index].parent
    return chain[::-1]


def callers(cassette: Cassette, index: int | None) -> str:
    """The recorded steps a call ran inside, outermost first (``action plan > action verify_and_charge``)."""
    return " > ".join(_chain(cassette, index)) or "the agent itself"


def caller_change(cassette: Cassette, step: Step, parent: int | None) -> str | None:
    """Why the call, made inside recorded step ``parent``, has another caller than ``step`` had, or None
    (also when the cassette's parents are no callers to hold the agent to: :func:`checks_callers`).

    A caller is its chain of enclosing steps by kind and name, not the recorded step's index: parallel
    branches are paired with the recording in the order their calls arrive, so twin actions (three ``vote``
    under ``SessionExecutor`` or ``asyncio.gather``) hand the same call to each other's recorded step from run
    to run. Arguments are left out for the same reason: twins differing in one the call does not use
    (``vote(voter=1)``) swap just as freely, and each caller's arguments are checked at its own step."""
    if not checks_callers(cassette) or _chain(cassette, parent) == _chain(cassette, step.parent):
        return None
    return (f"{step_label(step)} was called by {callers(cassette, parent)}; the recording has it called by "
            f"{callers(cassette, step.parent)}")


def checks_callers(cassette: Cassette) -> bool:
    """Whether the cassette's parents are callers a replay can hold the agent to. A live cassette recorded
    before :attr:`Cassette.callers` saved a tool handed to another thread as called by the agent itself:
    checking it would fail agents that did not change, so it replays as it did until re-recorded. A trace's
    parent ids always were the callers."""
    return cassette.callers or cassette.recorded_from != "live"


def _short(error_type: str | None) -> str | None:
    return None if error_type is None else error_type.rsplit(".", 1)[-1]


def _ended(error_type: str | None) -> str:
    return "succeeded" if error_type is None else f"failed with {error_type}"


def ended_with(exc: BaseException) -> str:
    """The error type a step ran for real ended with. An answered tool's :class:`RecordedToolError` stands for
    the error the recording names, so a caller that passes it on ends as it did in the recording."""
    if isinstance(exc, RecordedToolError) and exc.recorded_type:
        return exc.recorded_type
    return _guard.type_name(exc, qualified=False)


def outcome_change(step: ToolStep, failed: str | None) -> str | None:
    """Why the step ended otherwise than recorded (``failed`` is the error type, None for success), or None.

    Types are compared by their last name: a cassette made from a trace holds them with their module, a
    live one without."""
    recorded = step.error.get("type") if step.error else None
    if _short(recorded) == _short(failed):
        return None
    return f"{step.tool_type} {step.name} {_ended(failed)}; in the recording it {_ended(recorded)}"


def hand_arguments(cassette: Cassette, kind: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
    """What a hand-recorded event is checked by in this cassette, or None when the cassette does not hold
    such events (it lets them pass, as before they were kept).

    A live cassette (:attr:`Cassette.hand_events`) holds them all as the agent passed them. One made from a
    trace holds ``record(LLMEvent)`` calls when their spans say so, but no ``record(ErrorEvent)``; its
    operation is what the span shows: the one given if it is a known one other than chat."""
    if cassette.hand_events or kind not in ("llm", "error"):
        return arguments
    if kind == "error" or not any(isinstance(s, ToolStep) and s.tool_type == "llm" for s in cassette.steps):
        return None
    shown = {k: v for k, v in arguments.items() if k != "operation"}
    operation = arguments.get("operation")
    if operation in semconv.LLM_OPERATIONS and operation != semconv.OP_CHAT:
        shown["operation"] = operation
    return shown


def hint(ignore: Sequence[str]) -> str:
    shown = f" (ignoring: {', '.join(ignore)})" if ignore else ""
    return (f"Matching is strict{shown}. If the change is intended, re-record the cassette "
            "(pytest --agent-record-mode=record); if a field may vary, pass ignore=[...].")


def without_stream_false(request: dict[str, Any]) -> dict[str, Any]:
    """``stream: false`` is the default: cassettes recorded when spans still said so match either way."""
    params = request.get("params")
    if not isinstance(params, dict) or params.get("stream") is not False:
        return request
    rest = {k: v for k, v in params.items() if k != "stream"}
    return {**request, "params": rest} if rest else {k: v for k, v in request.items() if k != "params"}
