"""The AgentOps-style event views of a session, rebuilt from the spans it really emitted.

``session.action_events`` and friends are what the AgentOps API offered; here they are pure
functions of the finished spans, so they show exactly what a backend would show.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, cast

import msgspec
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from .. import config, genai_content, genai_spans, semconv
from .._cost_gaps import MODELS_UNWATCHED
from .._serialize import from_json
from ..events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent

if TYPE_CHECKING:
    from ..timeline import Timeline
    from ._session import Session


DISABLED_MIDWAY: Final = f"agentops_otel was disabled ({semconv.ENV_DISABLED}) while this session ran"
"""How a timeline of such a session says so among its issues, and how a verdict on it knows to refuse."""


class SessionNotRecorded(KeyError):
    """``session.timeline()`` of a session the kill switch left unrecorded: it has no span to read.

    A ``KeyError`` as a session missing from the spans always was, with a message that says why."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "session not recorded"


def unrecorded(session: Session) -> str | None:
    """Why the kill switch left this session's steps unrecorded, or None when it did not.

    Under ``AGENTOPS_OTEL_DISABLED`` every wrapper passes straight through: the session saw no call, no
    tool and no cost, so a bound on them would pass on nothing. Every verdict on its steps refuses.
    """
    if session._unrecorded:
        return f"agentops_otel is disabled ({semconv.ENV_DISABLED}), so nothing of this session was recorded"
    start, end = session._switched_on
    if (config.switched_on() if end is None else end) != start:
        return f"{DISABLED_MIDWAY}, so what ran meanwhile was not recorded"
    return None


def unwatched(session: Session) -> str | None:
    """Why model calls of this session may have gone unseen, or None when a client was instrumented
    (or ``init()`` had run) from its start to its end (see ``config.models_watched``), or when it holds
    model calls: recorded by hand (``record(LLMEvent(...))``) or by another GenAI instrumentation, they
    say the user records their calls some other way (and ``init()`` called inside it saw them). Calls of our
    own clients alone say nothing of a client ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` switched off.

    Sessions and tools are recorded without ``init()``; model calls are not. A bound on calls, tokens or
    cost would pass on the calls it never saw."""
    if session._llm_calls:
        # Calls recorded by hand or by another instrumentation: the user records them some other way. Only our
        # clients' calls: a client switched off by the variable may have made others, unseen.
        return _switched_off(session) if session._client_calls == session._llm_calls else None
    start, end = session._watched
    if end is None:
        end = config.models_watched_since(session._uninstrumented)
    if start and end:
        return _switched_off(session)
    if not start and not end:
        return (f"{MODELS_UNWATCHED} while it ran: call agentops.init() (or instrument_openai() / "
                "instrument_anthropic()) before the agent runs; its model calls, if any, were not seen")
    return (f"{MODELS_UNWATCHED} for part of its run (agentops.init() came after it started, or a client was "
            "uninstrumented before it ended): model calls made meanwhile were not seen")


def switched_off_unwatched() -> Mapping[str, str]:
    """The model SDKs ``init()`` left uninstrumented because ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` names
    them (module name to what the variable holds for it: its entry point or ``*``), not instrumented by hand
    since: calls to them now go unseen. Taken as a session starts (``Session._switched_off``): instrumented
    midway, by hand or by an ``init()`` without the variable, the calls made before were still not seen."""
    state = config.state
    off = state.switched_off  # replaced whole, never changed in place: no copy needed to iterate it
    return {name: entry for name, entry in off.items() if name not in state.instrumented} if off else off


def switched_off_imported(at_start: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Those of :func:`switched_off_unwatched` at a session's start (``at_start``) or now that the program
    imported (an SDK never imported made no call). Taken as it ends: a later ``init()`` without the variable,
    or an SDK imported after, says nothing of the calls it made."""
    now = switched_off_unwatched()
    if not at_start and not now:
        return ()
    return tuple((name, entry) for name, entry in {**at_start, **now}.items() if name in sys.modules)


def _switched_off(session: Session) -> str | None:
    """Why a model SDK the program imported was not watched although ``init()`` ran:
    ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` names it (an SDK never imported made no call)."""
    start, end = session._switched_off
    off = end if end is not None else switched_off_imported(start)
    if not off:
        return None
    names = " and ".join(name for name, _ in off)
    given = ", ".join(dict.fromkeys(entry for _, entry in off))  # "*" once for both SDKs
    it, its = ("it", "its") if len(off) == 1 else ("them", "their")
    return (f"{MODELS_UNWATCHED} for {names}, which the program imported: {semconv.ENV_DISABLED_INSTRUMENTATIONS} "
            f"names {given}, so init() left {it} uninstrumented; {its} calls, if any, were not seen")


def timeline_of(session: Session) -> Timeline:
    """:meth:`Session.timeline`: the spans it holds (its root still open while it runs), reassembled."""
    from ..read import records_from_spans
    from ..reassemble import reassemble
    from ..reassemble._summary import MISSING_END_STATE
    from ..timeline import RUNNING_REASON

    why = unrecorded(session)
    if session._unrecorded:
        raise SessionNotRecorded(f"session {session.id} has no timeline: {why}")
    records = list(records_from_spans(session.spans))
    root = session._root_readable if session.ended else session._span
    if isinstance(root, ReadableSpan):
        for record in records_from_spans([root]):
            if not session.ended:
                record = msgspec.structs.replace(record, end_ns=max(record.start_ns, time.time_ns()))
            records.insert(0, record)
    timeline = reassemble(records).timeline_for(session.id)
    changes: dict[str, object] = {}
    issues = timeline.summary.issues
    if not session.ended and MISSING_END_STATE in issues:  # no end state yet, rather than one lost on the way
        i, kinds = issues.index(MISSING_END_STATE), timeline.summary.issue_kinds
        issues = changes["issues"] = issues[:i] + issues[i + 1:]
        changes["issue_kinds"] = kinds[:i] + kinds[i + 1:]
    added = []
    if session.not_exported:
        added.append(f"recorded in this process only, no backend will have it: {session.not_exported}")
    if why is not None:
        added.append(why)  # the switch went on while it ran: a verdict on this timeline refuses
    elif (unseen := unwatched(session)) is not None and not any(
            issue.startswith(MODELS_UNWATCHED) for issue in timeline.summary.issues):  # the ended root's says so
        added.append(unseen)  # a verdict on its model calls refuses
    if added:
        changes["issues"] = (*issues, *added)
    if not session.ended:
        changes.update(end_state=None, end_reason=RUNNING_REASON)
    if not changes:
        return timeline
    summary = msgspec.structs.replace(timeline.summary, **changes)
    return msgspec.structs.replace(timeline, summary=summary)


def iso(ns: int | None) -> datetime | None:
    """A span timestamp (ns since the epoch) as an aware datetime."""
    return None if ns is None else datetime.fromtimestamp(ns / 1e9, tz=UTC)


def span_error(span: ReadableSpan) -> str | None:
    """``"Type: message"`` for a failed span, from its exception event or its error attributes."""
    if span.status.status_code is not StatusCode.ERROR:
        return None
    for event in span.events:
        if event.name == "exception" and event.attributes:
            etype = event.attributes.get("exception.type", "Error")
            message = event.attributes.get("exception.message", "")
            return f"{etype}: {message}" if message else str(etype)
    attrs = span.attributes or {}
    etype = attrs.get(semconv.ERROR_TYPE)
    detail = span.status.description or attrs.get(semconv.ERROR_MESSAGE)
    if etype == semconv.ERROR_TYPE_OTHER and detail:
        return str(detail)  # a type no one knew: the text is the whole error
    if etype and detail:
        return f"{etype}: {detail}"
    return str(etype or detail or "error")


def span_id(span: ReadableSpan) -> str | None:
    return trace.format_span_id(span.context.span_id) if span.context else None


def _step_fields(span: ReadableSpan) -> dict[str, Any]:
    """What every event rebuilt from a span carries: its timing, its error and where to find it."""
    return {"init_timestamp": iso(span.start_time), "end_timestamp": iso(span.end_time),
            "error": span_error(span), "span_id": span_id(span)}


def _content(span: ReadableSpan) -> Mapping[str, Any]:
    """The span's attributes with its content, wherever capture put it (``event_only``: on an event)."""
    return genai_content.with_event_content(span.attributes or {}, span.events)


def action_events(spans: Iterable[ReadableSpan]) -> list[ActionEvent]:
    return [
        ActionEvent(
            action_type=cast(str, a.get(semconv.ACTION_TYPE)),
            params=from_json(a.get(semconv.ACTION_PARAMS)),
            returns=from_json(a.get(semconv.ACTION_RETURNS)),
            logs=from_json(a.get(semconv.LOGS)),
            **_step_fields(s),
            agent_id=cast("str | None", a.get(semconv.GEN_AI_AGENT_ID)),
        )
        for s in spans
        if semconv.ACTION_TYPE in (s.attributes or {})
        for a in (_content(s),)
    ]


def tool_events(spans: Iterable[ReadableSpan]) -> list[ToolEvent]:
    return [
        ToolEvent(
            name=cast(str, a.get(semconv.GEN_AI_TOOL_NAME)),
            params=from_json(a.get(semconv.GEN_AI_TOOL_CALL_ARGUMENTS)),
            returns=from_json(a.get(semconv.GEN_AI_TOOL_CALL_RESULT)),
            logs=from_json(a.get(semconv.LOGS)),
            **_step_fields(s),
            tool_call_id=cast("str | None", a.get(semconv.GEN_AI_TOOL_CALL_ID)),
            agent_id=cast("str | None", a.get(semconv.GEN_AI_AGENT_ID)),
        )
        for s in spans
        if (s.attributes or {}).get(semconv.GEN_AI_OPERATION_NAME) == semconv.OP_EXECUTE_TOOL
        for a in (_content(s),)
    ]


def is_own(span: ReadableSpan) -> bool:
    """Made by agentops_otel (its cost, when priced, is on the span) rather than another instrumentation."""
    scope = span.instrumentation_scope
    return scope is not None and scope.name == semconv.INSTRUMENTATION_SCOPE


def llm_events(spans: Iterable[ReadableSpan]) -> list[LLMEvent]:
    """One event per LLM call, whichever instrumentation recorded it, each call once."""
    calls = [s for s in spans if genai_spans.is_llm(s.attributes or {})]
    wrapping = genai_spans.wrappers((span_id(s) or "", _parent_id(s)) for s in calls)
    events: list[LLMEvent] = []
    for s in calls:
        if span_id(s) in wrapping:
            continue
        a = s.attributes or {}
        usage = genai_spans.llm_usage(a, own=is_own(s))
        content = genai_content.with_event_content(a, s.events)  # captured event_only, it is only there
        events.append(LLMEvent(
            model=cast(str, usage.model),
            prompt=from_json(content.get(semconv.GEN_AI_INPUT_MESSAGES)),
            completion=from_json(content.get(semconv.GEN_AI_OUTPUT_MESSAGES)),
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
            cost=usage.cost_usd,
            operation=cast(str, a.get(semconv.GEN_AI_OPERATION_NAME) or a.get(semconv.OPENLLMETRY_REQUEST_TYPE)
                           or a.get(semconv.OPENINFERENCE_SPAN_KIND)),
            **_step_fields(s),
            agent_id=cast("str | None", a.get(semconv.GEN_AI_AGENT_ID)),
            thread_id=cast("str | None", a.get(semconv.GEN_AI_CONVERSATION_ID)),
            params=from_json(content.get(semconv.LLM_PARAMS)),
            returns=from_json(content.get(semconv.LLM_RETURNS)),
        ))
    return events


def _parent_id(span: ReadableSpan) -> str | None:
    return trace.format_span_id(span.parent.span_id) if span.parent else None


_TRIGGERS: dict[str, type[ActionEvent | LLMEvent | ToolEvent]] = {
    cls.__name__: cls for cls in (ActionEvent, LLMEvent, ToolEvent)}


def _trigger(raw: Any, kind: Any) -> Any:
    """An error's recorded trigger: the event it was when the span names its class and the JSON fits that
    class, else the recorded data as it is (a trigger cut at the bound may no longer fit)."""
    value = from_json(raw)
    cls = _TRIGGERS.get(kind) if isinstance(kind, str) else None
    if cls is None or not isinstance(value, dict):
        return value
    fields = {f.name for f in dataclasses.fields(cls)}
    if not set(value) <= fields:
        return value
    stamps: dict[str, Any] = {}
    for key in ("init_timestamp", "end_timestamp"):
        if isinstance(value.get(key), str):
            try:
                stamps[key] = datetime.fromisoformat(value[key])
            except ValueError:
                return value
    if isinstance(value.get("id"), str):  # the triggering event's own id, to match it by, as AgentOps linked them
        try:
            stamps["id"] = uuid.UUID(value["id"])
        except ValueError:
            return value
    return cls(**{**value, **stamps})


def error_events(spans: Iterable[ReadableSpan]) -> list[ErrorEvent]:
    """Every step that ended in error, innermost first as they happened."""
    out: list[ErrorEvent] = []
    for s in spans:
        a = s.attributes or {}
        if s.status.status_code is not StatusCode.ERROR or a.get(semconv.GEN_AI_OPERATION_NAME) == (
            semconv.OP_INVOKE_AGENT
        ):
            continue
        text = span_error(s) or "error"
        etype, _, details = text.partition(": ")
        out.append(
            ErrorEvent(
                error_type=cast(str, a.get(semconv.ERROR_TYPE) or etype),
                details=cast("str | None", a.get(semconv.ERROR_MESSAGE)) or details or text,
                code=cast("str | None", a.get(semconv.ERROR_CODE)),
                logs=from_json((content := _content(s)).get(semconv.LOGS)),
                init_timestamp=(start := iso(s.start_time)),
                timestamp=start,
                step_name=s.name,
                span_id=span_id(s),
                trigger_event=_trigger(content.get(semconv.ERROR_TRIGGER), a.get(semconv.ERROR_TRIGGER_TYPE))
                if semconv.ERROR_TRIGGER in content else _step_event(s),
            )
        )
    return out


def _step_event(span: ReadableSpan) -> ActionEvent | ToolEvent | LLMEvent | None:
    """The step a failed span was, as the trigger of its error: AgentOps 0.3's ``@record_action``,
    ``@record_tool`` and LLM tracker recorded a failure as ``ErrorEvent(trigger_event=<that step>)``,
    so ported checks read ``session.errors[0].trigger_event.action_type``. ``None`` for any other span."""
    for view in (action_events, tool_events, llm_events):
        found: list[ActionEvent] | list[ToolEvent] | list[LLMEvent] = view([span])
        if found:
            return found[0]
    return None


def all_events(spans: list[ReadableSpan]) -> list[ActionEvent | ToolEvent | LLMEvent]:
    """Actions, tools and LLM calls together, in start order."""
    merged: list[ActionEvent | ToolEvent | LLMEvent] = [*action_events(spans), *tool_events(spans),
                                                         *llm_events(spans)]
    merged.sort(key=lambda e: e.init_timestamp or datetime.min.replace(tzinfo=UTC))
    return merged


def content_edges(held: Iterable[ReadableSpan]) -> dict[str, str]:
    """The first model call's input and the last one's output among a session's ``held`` spans, for its root.

    Trace viewers (Phoenix's sessions list, a trace's root row) show a run by its root's input and output;
    the calls keep their own. Found once, when the session ends, among the spans it holds (bounded: in a
    session longer than that, the earliest held call stands in for the first).
    """
    first: ReadableSpan | None = None
    last: ReadableSpan | None = None
    for sp in held:
        a = sp.attributes or {}
        if a.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OP_INVOKE_AGENT:
            continue  # a nested session's root: its calls are here themselves
        if semconv.GEN_AI_INPUT_MESSAGES in a and (first is None or (sp.start_time or 0) < (first.start_time or 0)):
            first = sp
        if semconv.GEN_AI_OUTPUT_MESSAGES in a and (last is None or (sp.end_time or 0) >= (last.end_time or 0)):
            last = sp
    edges: dict[str, str] = {}
    for key, found in ((semconv.GEN_AI_INPUT_MESSAGES, first), (semconv.GEN_AI_OUTPUT_MESSAGES, last)):
        value = (found.attributes or {}).get(key) if found is not None else None
        if isinstance(value, str):
            edges[key] = value
    return edges
