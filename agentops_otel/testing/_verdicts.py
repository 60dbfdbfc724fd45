"""Verdicts as telemetry: each assertion and each test outcome becomes a ``gen_ai.evaluation.result``.

A CI failure says *which* test failed; the backend only has sessions. Recording the verdict on the
session it judged lets a trace UI (and ``agentops-otel replay``) show which check failed on which
session, next to the steps that made it fail.

Where the verdict goes depends on when it is made, because an ended span is frozen:

- the session is still running (the pytest plugin's own verdicts, an assertion on the test's
  session): an event on its root span, as the conventions recommend (parented to the operation
  judged);
- the session has ended (the usual case for an assertion on an agent's session): a small
  ``evaluation {name}`` span, child of the session's root in the same trace, carrying the event and
  ``session.id``. The reassembler folds it into the session's verdicts instead of showing a step;
- a Timeline read back from a backend: the same span, parented to the root span it names.

Recording never raises and never changes the assertion's outcome.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final, ParamSpec

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from agentops_otel import _error_text, config, semconv
from agentops_otel._cost_gaps import MODELS_UNWATCHED
from agentops_otel._cut import truncate_masked
from agentops_otel._guard import guard
from agentops_otel.sessions import Session
from agentops_otel.sessions._views import unwatched
from agentops_otel.testing._partial import DISABLED_MIDWAY, unrecorded
from agentops_otel.timeline import Timeline

__all__ = ["LABELS", "end_state_verdict", "model_verdict", "record_failure_after_end", "record_verdict", "verdict"]

LABELS: Final = {True: semconv.EVAL_PASS, False: semconv.EVAL_FAIL, None: semconv.EVAL_SKIP}
"""``passed`` → ``gen_ai.evaluation.score.label``; the score is 1.0 / 0.0, absent for a skip."""

_P = ParamSpec("_P")


def _attributes(name: str, passed: bool | None, explanation: str | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        semconv.GEN_AI_EVALUATION_NAME: name,
        semconv.GEN_AI_EVALUATION_SCORE_LABEL: LABELS[passed],
    }
    if passed is not None:
        attrs[semconv.GEN_AI_EVALUATION_SCORE_VALUE] = 1.0 if passed else 0.0
    if explanation:
        # A failure message quotes what the agent said and what the test expected: user text, so the
        # user's hook sees it like every other error text we record.
        attrs[semconv.GEN_AI_EVALUATION_EXPLANATION] = _error_text.scrub(
            semconv.GEN_AI_EVALUATION_EXPLANATION, truncate_masked(explanation, config.max_value_chars()))
    return attrs


def _tracer(session: Session) -> trace.Tracer:
    from agentops_otel import export

    local = session._local_tracer
    return local if local is not None else export.tracer()


def _emit(tracer: trace.Tracer, parent: trace.Span | None, name: str, attrs: dict[str, Any],
          session_id: str | None, span_attrs: dict[str, Any] | None = None) -> trace.Span:
    """The ``evaluation {name}`` span, started in a context of its own (no live session stamps it)."""
    ctx = trace.set_span_in_context(parent, otel_context.Context()) if parent is not None else otel_context.Context()
    own = {**({semconv.SESSION_ID: session_id} if session_id else {}), **(span_attrs or {})}
    span = tracer.start_span(f"{semconv.SPAN_EVALUATION} {name}", context=ctx, kind=SpanKind.INTERNAL,
                             attributes=own or None)
    span.add_event(semconv.GEN_AI_EVALUATION_RESULT, attrs)
    span.end()
    return span


def _on_session(session: Session, name: str, attrs: dict[str, Any],
                span_attrs: dict[str, Any] | None = None) -> None:
    root = session._span
    if root is None:
        return
    if not session.ended:
        if root.is_recording():
            root.add_event(semconv.GEN_AI_EVALUATION_RESULT, attrs)
        return
    span = _emit(_tracer(session), root, name, attrs, session.id, span_attrs)
    if isinstance(span, ReadableSpan):
        # The processor keeps spans of live sessions only: hand it to the ended session (and the ones
        # around it) so their in-process replays show the verdict too.
        session._record(span)


def _span_context(trace_id: str, span_id: str) -> SpanContext:
    return SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True,
                       trace_flags=TraceFlags(TraceFlags.SAMPLED))


def _on_timeline(timeline: Timeline, name: str, attrs: dict[str, Any]) -> None:
    from agentops_otel import export

    summary = timeline.summary
    parent: trace.Span | None = None
    if summary.root_span_id and summary.trace_ids:
        parent = NonRecordingSpan(_span_context(summary.trace_ids[0], summary.root_span_id))
    elif timeline.steps:  # no root (a trace without a session, a lost root): under the first step
        first = timeline.steps[0]
        parent = NonRecordingSpan(_span_context(first.trace_id, first.span_id))
    _emit(export.tracer(), parent, name, attrs, None if summary.pseudo else summary.session_id)


def record_verdict(session: Session | Timeline, name: str, passed: bool | None,
                   explanation: str | None = None) -> None:
    """Record one verdict on ``session`` (``passed=None`` for a skip); never raises."""
    with guard("testing.verdict"):
        attrs = _attributes(name, passed, explanation)
        if isinstance(session, Session):
            _on_session(session, name, attrs)
        elif isinstance(session, Timeline):
            _on_timeline(session, name, attrs)


def record_failure_after_end(session: Session, name: str, explanation: str, end_reason: str) -> None:
    """Record a failing verdict on an ended session that readers then take as the session's end: ``Fail``.

    The root span is frozen once ended, so when the code under test ended the test's own session
    (ported AgentOps code calls ``end_session("Success")`` at the end of its run) and the test then
    failed, this span is the only way the failure reaches the gate. Never raises."""
    with guard("testing.verdict"):
        attrs = _attributes(name, False, explanation)
        reason = _error_text.scrub(semconv.SESSION_END_REASON, truncate_masked(end_reason, config.max_value_chars()))
        _on_session(session, name, attrs, {semconv.VERDICT_END_STATE: semconv.END_FAIL,
                                           semconv.VERDICT_END_REASON: reason, **_root_dimensions(session)})


_COPIED_FROM_ROOT: Final = (semconv.TAGS, semconv.RUN_ID, semconv.SESSION_PARENT_ID)


def _root_dimensions(session: Session) -> dict[str, Any]:
    """What a collector counting sessions by their root needs on the late verdict to count it alike: the
    end state the root was frozen with (the count the session leaves) and the root's own filter values,
    copied as the root has them (so a label written from either matches)."""
    root_attrs = getattr(session._span, "attributes", None) or {}
    out = {key: root_attrs[key] for key in _COPIED_FROM_ROOT if key in root_attrs}
    state = root_attrs.get(semconv.SESSION_END_STATE)
    if state is not None:
        out[semconv.VERDICT_ROOT_END_STATE] = state
    return out


def _call_text(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    shown = [_repr(a) for a in args[1:]] + [f"{k}={_repr(v)}" for k, v in kwargs.items() if k != "session"]
    return ", ".join(shown)


def _repr(value: Any) -> str:
    try:
        text = getattr(value, "__name__", None) if callable(value) else None
        return text if isinstance(text, str) else repr(value)
    except Exception:
        return f"<{type(value).__qualname__}>"


def verdict(check: Callable[_P, None]) -> Callable[_P, None]:
    """An assertion that records its verdict (named after it) on the session it was given.

    The failure message's first sentences are the explanation of a fail; a pass names what was checked.
    On a session the kill switch left unrecorded it refuses (fails, saying so) before judging anything.
    """
    return _judging(check, steps=True)


def model_verdict(check: Callable[_P, None]) -> Callable[_P, None]:
    """:func:`verdict` for a bound on model calls, tokens or cost: it also refuses on a session whose model
    calls went unseen (no client instrumented while it ran, see ``sessions._views.unwatched``)."""
    return _judging(check, steps=True, models=True)


def end_state_verdict(check: Callable[_P, None]) -> Callable[_P, None]:
    """:func:`verdict` for a check of the session object's end state alone, which it keeps without any
    span: it judges under the kill switch too."""
    return _judging(check, steps=False)


def _refuse_unrecorded(name: str, target: object, models: bool = False) -> None:
    __tracebackhide__ = True
    if isinstance(target, Session):
        why = unrecorded(target)
        if why is None and models:
            why = unwatched(target)
    else:  # a session's timeline says so among its issues (see Session.timeline)
        issues = target.summary.issues if isinstance(target, Timeline) else ()
        refused = (DISABLED_MIDWAY, MODELS_UNWATCHED) if models else (DISABLED_MIDWAY,)
        why = next((issue for issue in issues if issue.startswith(refused)), None)
    if why is not None:
        from agentops_otel.testing._assertions import AgentAssertionError  # it imports this module

        raise AgentAssertionError(f"{name} cannot judge this session: {why}.")


def _judging(check: Callable[_P, None], *, steps: bool, models: bool = False) -> Callable[_P, None]:
    name = check.__name__

    @functools.wraps(check)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> None:
        __tracebackhide__ = True
        target = args[0] if args else kwargs.get("session")
        try:
            if steps:
                _refuse_unrecorded(name, target, models)
            check(*args, **kwargs)
        except AssertionError as exc:  # an AgentAssertionError: its summary leaves the replay out
            if isinstance(target, (Session, Timeline)):
                record_verdict(target, name, False, getattr(exc, "summary", None) or str(exc))
            raise
        if isinstance(target, (Session, Timeline)):
            record_verdict(target, name, True, f"{name}({_call_text(args, kwargs)})")

    return run
