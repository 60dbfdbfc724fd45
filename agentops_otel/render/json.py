"""A stable, versioned JSON document of session replays, for tools and for the HTML page.

The document is the contract with anything outside this package (dashboards, CI scripts, the HTML
replay), so its shape is written down here and in ``json_schema.md`` and pinned by a golden test; a
breaking change bumps the ``@1`` in the schema id instead of silently moving a field.

One session (``render_json(timeline)``)::

    {
      "schema": "agentops-otel/timeline@1",
      "summary": {
        "session_id": str, "name": str|null, "tags": [str], "end_state": "Success"|"Fail"|
        "Indeterminate"|null, "end_reason": str|null, "service_name": str|null, "trace_ids": [str],
        "root_span_id": str|null, "parent_session_id": str|null,
        "start_unix_nano": str (int64 as a string, like OTLP JSON), "start_time": str (ISO 8601 UTC)|null,
        "duration_s": float, "cost_usd": float, "cost_complete": bool, "input_tokens": int,
        "output_tokens": int, "input_tokens_complete": bool, "output_tokens_complete": bool (false: a
        call's count is unknown, the total is only what the others reported), "llm_calls": int,
        "llm_calls_complete": bool (false: a batch's number of requests is unknown, a lower bound),
        "tool_calls": int, "actions": int, "errors": int,
        "failed_step_index": int|null, "failed_span_id": str|null, "complete": bool, "pseudo": bool,
        "partial": str|null, "span_count": int, "issues": [str], "cost_gaps": [str] (why the cost is
        incomplete), "evaluations": [{"name": str, "label": "pass"|"fail"|"skip"|str|null,
        "score": float|null, "explanation": str|null, "session_id": str|null}] (verdicts recorded as
        gen_ai.evaluation.result events, nested sessions' included)
      },
      "steps": [{
        "index": int, "span_id": str, "parent_span_id": str|null, "trace_id": str,
        "session_id": str|null, "kind": "llm"|"tool"|"action"|"error"|"session"|"agent"|"other",
        "name": str, "span_name": str, "offset_s": float, "duration_s": float, "depth": int,
        "status": "ok"|"error"|"unset", "error": {"type": str|null, "message": str|null,
        "stacktrace": str|null, "span_id": str}|null, "raised_here": bool, "input": str|null,
        "output": str|null, "model": str|null, "cost_usd": float|null, "input_tokens": int|null,
        "output_tokens": int|null, "usage_gap": str|null (why the call's token counts are unknown, a
        GAP_* value of semconv; null counts without it are none to have),
        "attributes": {str: scalar|[scalar]}, "flags": [str],
        "skew_ns": int, "seq": int|null
      }]
    }

Several sessions (``render_json([t1, t2])``)::

    {"schema": "agentops-otel/timelines@1", "sessions": [<timeline@1 document>, ...]}

Keys always appear, in this order (``null`` when unknown); attribute keys are sorted. Ids are
lowercase hex. ``input``/``output`` are the recorded JSON text, whole; the attribute each was read
from is left out of ``attributes`` so content is not carried twice. An LLM call's ``attributes`` include
the content attributes of its ``gen_ai.client.inference.operation.details`` event (capture
``event_only``), as they read with content on the span. ``raised_here`` is false on a
step an error only passed through (OpenTelemetry records it on every span it leaves): the replay
marks the deepest one. Consumers must ignore keys
they do not know: new keys may be added within a version, never removed or retyped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from agentops_otel import genai_content
from agentops_otel import semconv as sc
from agentops_otel._cost_gaps import usage_gap
from agentops_otel.reassemble._summary import all_issues
from agentops_otel.render._format import failed, propagated
from agentops_otel.timeline import SessionSummary, Step, StepError, Timeline

SCHEMA = "agentops-otel/timeline@1"
SCHEMA_LIST = "agentops-otel/timelines@1"


def _plain(value: Any) -> Any:
    """Attribute values as JSON scalars/lists; whatever JSON can't hold becomes its string form."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _iso(start_ns: int) -> str | None:
    if start_ns <= 0:
        return None
    try:
        dt = datetime.fromtimestamp(start_ns // 1_000_000_000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None  # past the calendar (year 9999): unknown, like an unset time
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{start_ns % 1_000_000_000:09d}Z"


def _error(err: StepError | None) -> dict[str, Any] | None:
    if err is None:
        return None
    return {"type": err.type, "message": err.message, "stacktrace": err.stacktrace, "span_id": err.span_id}


_CONTENT_KEYS = frozenset({
    sc.GEN_AI_INPUT_MESSAGES, sc.GEN_AI_OUTPUT_MESSAGES, sc.GEN_AI_TOOL_CALL_ARGUMENTS,
    sc.GEN_AI_TOOL_CALL_RESULT, sc.ACTION_PARAMS, sc.ACTION_RETURNS,
    sc.OI_INPUT_VALUE, sc.OI_OUTPUT_VALUE, sc.TL_ENTITY_INPUT, sc.TL_ENTITY_OUTPUT,
})


def _attributes(step: Step) -> dict[str, Any]:
    """The span's attributes minus the one each of ``input``/``output`` was read from.

    Prompts and tool results are the bulk of a session; carrying them twice would double the HTML
    page and the document for nothing. An LLM call's content captured on its inference details event
    (``event_only``) is listed as if on the span: its system instructions and tools are shown either way.
    """
    shown = {step.input, step.output} - {None}
    attrs = genai_content.with_event_content(step.attributes, step.events)
    keep = {}
    for key in attrs:
        value = attrs[key]
        if key in _CONTENT_KEYS and (value if isinstance(value, str) else _dumps(value)) in shown:
            continue
        keep[key] = value
    result: dict[str, Any] = _plain(keep)
    return result


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (ValueError, RecursionError):
        return ""


def step_to_dict(step: Step, index: int, *, passed_through: bool = False) -> dict[str, Any]:
    """One step in the schema's order; ``index`` is its position in the timeline.

    ``passed_through`` marks an error that was raised in a descendant (see ``raised_here``).
    """
    return {
        "index": index,
        "span_id": step.span_id,
        "parent_span_id": step.parent_span_id,
        "trace_id": step.trace_id,
        "session_id": step.session_id,
        "kind": step.kind,
        "name": step.name,
        "span_name": step.span_name,
        "offset_s": step.offset_s,
        "duration_s": step.duration_s,
        "depth": step.depth,
        "status": step.status,
        "error": _error(step.error),
        "raised_here": failed(step) and not passed_through,
        "input": step.input,
        "output": step.output,
        "model": step.model,
        "cost_usd": _plain(step.cost_usd),
        "input_tokens": step.input_tokens,
        "output_tokens": step.output_tokens,
        "usage_gap": usage_gap(step),
        "attributes": _attributes(step),
        "flags": list(step.flags),
        "skew_ns": step.skew_ns,
        "seq": step.seq,
    }


def _failed_index(timeline: Timeline) -> int | None:
    failed = timeline.summary.failed_step
    if failed is None:
        return None
    for i, step in enumerate(timeline.steps):
        if step.span_id == failed.span_id:
            return i
    return None


def summary_to_dict(summary: SessionSummary, failed_index: int | None = None) -> dict[str, Any]:
    """The session's headline figures in the schema's order."""
    return {
        "session_id": summary.session_id,
        "name": summary.name,
        "tags": list(summary.tags),
        "end_state": summary.end_state,
        "end_reason": summary.end_reason,
        "service_name": summary.service_name,
        "trace_ids": list(summary.trace_ids),
        "root_span_id": summary.root_span_id,
        "parent_session_id": summary.parent_session_id,
        "start_unix_nano": str(summary.start_ns),
        "start_time": _iso(summary.start_ns),
        "duration_s": summary.duration_s,
        "cost_usd": _plain(summary.cost_usd),
        "cost_complete": summary.cost_complete,
        "input_tokens": summary.input_tokens,
        "output_tokens": summary.output_tokens,
        "input_tokens_complete": summary.input_tokens_complete,
        "output_tokens_complete": summary.output_tokens_complete,
        "llm_calls": summary.llm_calls,
        "llm_calls_complete": summary.llm_calls_complete,
        "tool_calls": summary.tool_calls,
        "actions": summary.actions,
        "errors": summary.errors,
        "failed_step_index": failed_index,
        "failed_span_id": summary.failed_step.span_id if summary.failed_step is not None else None,
        "complete": summary.complete,
        "pseudo": summary.pseudo,
        "partial": summary.partial,
        "span_count": summary.span_count,
        "issues": list(summary.issues),
        "cost_gaps": list(summary.cost_gaps),
        "evaluations": [{"name": e.name, "label": e.label, "score": _plain(e.score), "explanation": e.explanation,
                         "session_id": e.session_id} for e in summary.evaluations],
    }


def timeline_to_dict(timeline: Timeline) -> dict[str, Any]:
    """One session as a ``agentops-otel/timeline@1`` document (plain dicts, lists and scalars)."""
    through = propagated(timeline.steps)
    summary = summary_to_dict(timeline.summary, _failed_index(timeline))
    summary["issues"] = all_issues(timeline)
    return {
        "schema": SCHEMA,
        "summary": summary,
        "steps": [step_to_dict(s, i, passed_through=s.span_id in through) for i, s in enumerate(timeline.steps)],
    }


def timelines_to_dict(timelines: Iterable[Timeline]) -> dict[str, Any]:
    """Several sessions as one ``agentops-otel/timelines@1`` document."""
    return {"schema": SCHEMA_LIST, "sessions": [timeline_to_dict(t) for t in timelines]}


def render_json(timeline_or_list: Timeline | Iterable[Timeline], *, indent: int | None = 2) -> str:
    """The document as text; a single Timeline gives ``timeline@1``, any iterable ``timelines@1``."""
    if isinstance(timeline_or_list, Timeline):
        doc = timeline_to_dict(timeline_or_list)
    else:
        doc = timelines_to_dict(timeline_or_list)
    return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


__all__ = [
    "SCHEMA",
    "SCHEMA_LIST",
    "render_json",
    "step_to_dict",
    "summary_to_dict",
    "timeline_to_dict",
    "timelines_to_dict",
]
