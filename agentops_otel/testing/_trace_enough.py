"""Whether the trace alone could replay a recorded session, and if not, why (:meth:`._recorder.Recorder.where`).

A trace holds a session's content bounded (values over ``AGENTOPS_OTEL_MAX_VALUE_CHARS`` cut, message
history and tool definitions to the content budget) and only as the GenAI attributes; a replay from it
answers OpenAI chat completions only and cannot reproduce a failed connection. The recorder notes each
value the trace would cut as it records it, and asks these once the session is over. Kept apart from
:mod:`._recorder`, which records.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from .. import config
from .._cut import cut_marker
from .._serialize import bounded, to_json
from ._cassette import LLMStep, ToolStep
from ._providers import CONTENT_DIGEST, TRACE_ANSWERS

__all__ = ["WHOLE", "llm_notes", "size_notes", "trace_gaps", "trace_or_cassette"]

WHOLE: Final = 1 << 40
"""A bound no value reaches: cassettes keep values whole."""


def size_notes(what: str, value: Any) -> list[str]:
    """How the trace would fall short of ``value`` (nothing when it holds it whole)."""
    limit = config.max_value_chars()
    if len(to_json(value, WHOLE)) > limit:
        return [f"{what} is over {limit} characters (cut in the trace)"]
    marker = cut_marker(bounded(value, WHOLE))  # short, but held in part (a number past 64 bits)
    if marker is not None:
        return [f"{what} is recorded in the trace only in part (as {marker})"]
    return []


def llm_notes(what: str, view: dict[str, Any]) -> list[str]:
    """An LLM request is cut in the trace per string, and its history and its tools to the content budget."""
    notes: list[str] = []
    limit = config.max_value_chars()
    if any(len(text) > limit for text in _strings(view)):
        notes.append(f"{what} has a text over {limit} characters (cut in the trace)")
    budget = config.max_content_chars()
    if len(to_json(view.get("messages"), WHOLE)) > budget:
        notes.append(f"{what} message history is over the {budget}-character content budget "
                     "(older messages left out of the trace)")
    if len(to_json(view.get("tools"), WHOLE)) > budget:
        notes.append(f"{what} tool definitions are over the {budget}-character content budget "
                     "(the last tools left out of the trace)")
    return notes


def trace_gaps(steps: Sequence[LLMStep | ToolStep]) -> tuple[list[str], list[str], list[str]]:
    """What the recorded model calls hold that a replay from the trace could not: (request fields outside
    the trace, calls it cannot answer, calls whose connection failed)."""
    extra = sorted({f for s in steps if isinstance(s, LLMStep) and s.extra for f in s.extra
                    if f != CONTENT_DIGEST})
    others = sorted({f"{s.provider} {s.endpoint}" for s in steps if isinstance(s, LLMStep)
                     and (s.provider, s.endpoint) != TRACE_ANSWERS})
    failed = sorted({f"{s.provider} {s.endpoint} ({_failed_with(s)})" for s in steps
                     if isinstance(s, LLMStep) and _failed_with(s)})
    return extra, others, failed


def trace_or_cassette(cut: Sequence[str], extra: Sequence[str], others: Sequence[str],
                      failed: Sequence[str]) -> tuple[str, str]:
    """``("trace" | "cassette", why)`` from the values the trace cut and the :func:`trace_gaps`."""
    capture = config.content_capture()
    reasons: list[str] = []
    if not capture.on_span:
        reasons.append(f"content capture is {capture.value} (the trace holds no span content)")
    reasons.extend(cut)
    if failed:  # a span says the call failed, not how the connection did, nor what had streamed by then
        reasons.append(f"a model call's connection failed ({', '.join(failed)}), which a replay from the "
                       "trace cannot reproduce")
    if others:  # a replay from the trace answers OpenAI chat completions only
        reasons.append(f"a replay from the trace answers only openai {TRACE_ANSWERS[1]}, and the session "
                       f"called {', '.join(others)}")
    if extra:  # a replay from the trace could not check them: a change there would pass
        reasons.append(f"the requests set {', '.join(extra)}, which the trace does not hold")
    if reasons:
        return "cassette", "; ".join(reasons)
    return "trace", f"content capture is {capture.value} and no value reached the {config.max_value_chars()}-" \
                    "character bound: the trace holds every step whole"


def _failed_with(step: LLMStep) -> str | None:
    """The type of the transport error a recorded model call failed with (before or while it streamed)."""
    if step.stream_error is not None:
        return step.stream_error.get("type")
    error = step.body.get("error") if step.status == 0 and isinstance(step.body, dict) else None
    return error.get("type") if isinstance(error, dict) else None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
