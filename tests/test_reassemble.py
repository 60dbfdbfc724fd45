"""Reassembly of span sets into session timelines: structure, order and the repairs, case by case."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest

from agentops_otel import semconv as sc
from agentops_otel.read import SpanEventRecord, SpanRecord
from agentops_otel.reassemble import reassemble
from agentops_otel.timeline import (
    FLAG_CLOCK_SKEW,
    FLAG_CYCLE,
    FLAG_DUPLICATE,
    FLAG_FOREIGN,
    FLAG_NO_SESSION,
    FLAG_ORPHAN,
    Timeline,
)

T0 = 1_767_000_000_000_000_000
SEC = 1_000_000_000
_RESOURCES: dict[str, Mapping[str, Any]] = {}


def tid(n: int | str) -> str:
    return f"{n:032x}" if isinstance(n, int) else n


def sid(n: int | str) -> str:
    return f"{n:016x}" if isinstance(n, int) else n


def resource(service: str) -> Mapping[str, Any]:
    if service not in _RESOURCES:
        _RESOURCES[service] = MappingProxyType({sc.SERVICE_NAME: service})
    return _RESOURCES[service]


def rec(
    span: int | str,
    parent: int | str | None = None,
    *,
    name: str = "execute_tool search",
    start: float = 0.0,
    end: float | None = None,
    trace: int | str = 1,
    session: str | None = "s1",
    status: int = 0,
    attrs: Mapping[str, Any] | None = None,
    scope: str = sc.INSTRUMENTATION_SCOPE,
    service: str = "agent",
    events: tuple[SpanEventRecord, ...] = (),
    seq: int | None = None,
) -> SpanRecord:
    """A span record; times are seconds after T0."""
    a: dict[str, Any] = {}
    if session is not None:
        a[sc.SESSION_ID] = session
    if seq is not None:
        a[sc.SEQ] = seq
    a.update(attrs or {})
    return SpanRecord(
        trace_id=tid(trace), span_id=sid(span), parent_span_id=None if parent is None else sid(parent),
        name=name, kind=0, start_ns=T0 + int(start * SEC),
        end_ns=T0 + int((end if end is not None else start + 0.5) * SEC), status_code=status,
        attributes=MappingProxyType(a), events=events, resource=resource(service), scope=scope,
    )


def root(
    span: int | str = 1,
    *,
    session: str = "s1",
    start: float = 0.0,
    end: float = 100.0,
    trace: int | str = 1,
    parent: int | str | None = None,
    state: str = sc.END_SUCCESS,
    attrs: Mapping[str, Any] | None = None,
    name: str = "agent",
) -> SpanRecord:
    a: dict[str, Any] = {
        sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT, sc.SESSION_END_STATE: state,
        sc.SESSION_END_REASON: "done", sc.TAGS: ("prod", "eu"), sc.SESSION_NAME: name,
    }
    a.update(attrs or {})
    return rec(span, parent, name=f"invoke_agent {name}", start=start, end=end, trace=trace, session=session,
               status=1 if state == sc.END_SUCCESS else 2 if state == sc.END_FAIL else 0, attrs=a)


def one(records: list[SpanRecord]) -> Timeline:
    result = reassemble(records)
    assert result.accounting.balanced
    assert len(result.sessions) == 1, [t.summary.session_id for t in result.sessions]
    return result.sessions[0]


def llm(span: int, parent: int | None = 1, *, start: float, model: str = "gpt-4o", cost: float | None = 0.01,
        **kw: Any) -> SpanRecord:
    attrs = {sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, sc.GEN_AI_REQUEST_MODEL: model,
             sc.GEN_AI_USAGE_INPUT_TOKENS: 100, sc.GEN_AI_USAGE_OUTPUT_TOKENS: 20,
             sc.GEN_AI_INPUT_MESSAGES: '[{"role":"user"}]', sc.GEN_AI_OUTPUT_MESSAGES: '[{"role":"assistant"}]'}
    if cost is not None:
        attrs[sc.COST_USD] = cost
    return rec(span, parent, name=f"chat {model}", start=start, attrs=attrs, **kw)


def tool(span: int, parent: int | None = 1, *, start: float, tool_name: str = "search", **kw: Any) -> SpanRecord:
    attrs = {sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL, sc.GEN_AI_TOOL_NAME: tool_name,
             sc.GEN_AI_TOOL_CALL_ARGUMENTS: '{"q": 1}', sc.GEN_AI_TOOL_CALL_RESULT: '"ok"'}
    attrs.update(kw.pop("attrs", {}))
    return rec(span, parent, name=f"execute_tool {tool_name}", start=start, attrs=attrs, **kw)


def exception_event(etype: str, message: str) -> SpanEventRecord:
    return SpanEventRecord("exception", T0, MappingProxyType({
        "exception.type": etype, "exception.message": message, "exception.stacktrace": "Traceback..."}))


# --- the ordinary case -------------------------------------------------------------------------


def test_simple_session_summary_and_steps() -> None:
    """A whole session becomes one timeline: summary from the root, steps in start order with content."""
    failed = rec(6, 1, name="error ValueError", start=4, status=2,
                 attrs={sc.ERROR_TYPE: "ValueError", sc.ERROR_MESSAGE: "bad"},
                 events=(exception_event("ValueError", "bad value"),))
    records = [
        tool(3, start=2, tool_name="lookup"),
        llm(2, start=1),
        rec(4, 1, name="action navigate", start=3, attrs={sc.ACTION_TYPE: "navigate",
                                                         sc.ACTION_PARAMS: '{"url": "x"}'}),
        failed,
        root(state=sc.END_FAIL, attrs={sc.SESSION_COST_USD: 0.5, sc.SESSION_COST_COMPLETE: True,
                                       sc.GEN_AI_USAGE_INPUT_TOKENS: 1000, sc.GEN_AI_USAGE_OUTPUT_TOKENS: 200,
                                       sc.SESSION_FAILED_SPAN_ID: sid(6)}),
    ]
    tl = one(records)
    s = tl.summary
    assert (s.session_id, s.name, s.tags, s.end_state, s.end_reason) == ("s1", "agent", ("prod", "eu"), "Fail",
                                                                         "done")
    assert (s.cost_usd, s.cost_complete, s.input_tokens, s.output_tokens) == (0.5, True, 1000, 200)
    assert (s.llm_calls, s.tool_calls, s.actions, s.errors) == (1, 1, 1, 1)
    assert s.complete and s.issues == () and s.root_span_id == sid(1) and s.span_count == 5
    assert s.trace_ids == (tid(1),) and s.service_name == "agent" and s.duration_s == 100.0
    assert [(st.kind, st.name, st.offset_s, st.depth) for st in tl.steps] == [
        ("llm", "gpt-4o", 1.0, 0), ("tool", "lookup", 2.0, 0), ("action", "navigate", 3.0, 0),
        ("error", "ValueError", 4.0, 0)]
    assert s.failed_step is not None and s.failed_step.span_id == sid(6)
    err = tl.steps[3].error
    assert err is not None and (err.type, err.message, err.span_id) == ("ValueError", "bad value", sid(6))
    assert tl.steps[0].model == "gpt-4o" and tl.steps[0].cost_usd == 0.01 and tl.steps[0].input_tokens == 100
    assert tl.steps[1].input == '{"q": 1}' and tl.steps[1].output == '"ok"'
    assert tl.steps[2].input == '{"url": "x"}'
    assert tl.tool_calls() == [tl.steps[1]] and tl.step_names("llm") == ["gpt-4o"]
    assert [st.name for st in tl.errors()] == ["ValueError"]


def test_tree_order_is_depth_first_and_siblings_tie_break_on_seq() -> None:
    """Children follow their parent; siblings starting at the same instant go by agentops.seq."""
    records = [
        rec(5, 2, name="chat m", start=1.5, seq=4),
        rec(4, 1, name="execute_tool b", start=3, seq=5),
        rec(3, 1, name="execute_tool a", start=1, seq=2),  # same start as 2, lower seq
        rec(2, 1, name="execute_tool c", start=1, seq=3),
        rec(6, 2, name="chat n", start=1.5, seq=1),
        root(),
    ]
    tl = one(records)
    assert [(st.name, st.depth) for st in tl.steps] == [
        ("a", 0), ("c", 0), ("n", 1), ("m", 1), ("b", 0)]


def test_session_without_root_totals_sums_its_llm_steps() -> None:
    """Cost and tokens fall back to the sum over LLM steps; one unpriced call makes it incomplete."""
    tl = one([llm(2, start=1, cost=0.25), llm(3, start=2, cost=None), root()])
    assert tl.summary.cost_usd == 0.25 and not tl.summary.cost_complete
    assert (tl.summary.input_tokens, tl.summary.output_tokens) == (200, 40)


# --- repairs -----------------------------------------------------------------------------------


def test_missing_root_rebuilds_session_from_children() -> None:
    """Without its root the session is rebuilt from the children and marked incomplete."""
    failing = tool(3, start=2, status=2)
    tl = one([llm(2, start=1), failing])
    s = tl.summary
    assert not s.complete and "root span missing" in s.issues
    assert s.end_state is None and s.root_span_id is None and s.start_ns == T0 + SEC
    assert [st.flags for st in tl.steps] == [(), ()]  # children of the lost root are not orphans
    assert s.failed_step is not None and s.failed_step.span_id == sid(3)
    assert s.span_count == 2


def test_orphan_attached_at_session_level_and_flagged() -> None:
    """A span whose parent never arrived hangs at depth 0, flagged, and the summary says so."""
    tl = one([root(), tool(2, start=1), tool(4, 99, start=2), rec(5, 4, name="chat x", start=2.1)])
    by = {st.span_id: st for st in tl.steps}
    assert by[sid(4)].flags == (FLAG_ORPHAN,) and by[sid(4)].depth == 0
    assert by[sid(5)].depth == 1 and by[sid(5)].flags == ()
    assert "1 orphan span (parent never arrived)" in tl.summary.issues and not tl.summary.complete


def test_clock_skew_shifts_subtree_into_parent_and_reports_it() -> None:
    """A child from another service starting before its parent moves, with its subtree, inside it."""
    records = [
        root(end=10),
        tool(2, start=5, end=6),
        rec(3, 2, name="execute_tool remote", start=3.0, end=3.5, service="other"),  # 2 s early
        rec(4, 3, name="chat m", start=3.1, end=3.2, service="other"),
    ]
    tl = one(records)
    by = {st.span_id: st for st in tl.steps}
    assert by[sid(3)].offset_s == pytest.approx(5.25) and FLAG_CLOCK_SKEW in by[sid(3)].flags
    assert by[sid(4)].offset_s == pytest.approx(5.35) and by[sid(4)].skew_ns == 2.25 * SEC
    assert "clock skew: shifted 1 subtree by 2.25s" in tl.summary.issues
    assert tl.summary.complete  # a shift loses nothing


def test_child_of_other_service_ending_after_parent_is_pulled_back() -> None:
    """Another service's child that ends after its parent returned is shifted back inside it."""
    tl = one([root(end=10), tool(2, start=1, end=3), rec(3, 2, name="chat m", start=2.5, end=3.5, service="b")])
    step = next(st for st in tl.steps if st.span_id == sid(3))
    assert step.offset_s == pytest.approx(1.5) and step.skew_ns == -SEC


def test_a_remote_child_moved_for_clock_skew_sits_mid_parent() -> None:
    """Another clock's child is centred in its parent (the network taken as long each way), so it is not
    put ahead of a local step that came first."""
    tl = one([root(end=10), tool(2, start=0.1, end=0.9), tool(3, 2, start=0.11, end=0.15, tool_name="validate"),
              rec(4, 2, name="POST /reserve", start=-4.8, end=-4.2, service="booking")])
    assert [st.span_id for st in tl.steps] == [sid(2), sid(3), sid(4)]
    assert tl.steps[2].offset_s == pytest.approx(0.2) and tl.steps[2].skew_ns == 5 * SEC


def test_steps_moved_for_clock_skew_are_listed_in_their_repaired_order() -> None:
    """A remote child pulled back inside its parent is listed where it now starts: offsets never go back."""
    tl = one([root(end=10), tool(2, start=1, end=3), tool(3, 2, start=2.85, end=2.86, tool_name="local"),
              rec(4, 2, name="chat m", start=2.86, end=3.4, service="b")])
    offsets = [st.offset_s for st in tl.steps]
    assert offsets == sorted(offsets) and [st.span_id for st in tl.steps] == [sid(2), sid(4), sid(3)]


def test_same_service_child_may_outlive_parent() -> None:
    """In one process there is one clock: a child ending after its parent is left alone."""
    tl = one([root(end=10), tool(2, start=1, end=3), rec(3, 2, name="chat m", start=2.5, end=3.5)])
    assert all(st.skew_ns == 0 for st in tl.steps) and tl.summary.issues == ()


def test_a_status_outside_otlp_three_is_shown_as_an_error() -> None:
    """A record built with a status code OTLP does not define is a failed step, not a crash."""
    tl = one([root(), tool(2, start=1, status=3), tool(3, start=2, status=-1)])
    assert [st.status for st in tl.steps] == ["error", "error"]


def test_duplicates_dropped_counted_and_flagged() -> None:
    """A span exported twice is shown once, flagged, and counted as a duplicate."""
    t = tool(2, start=1)
    result = reassemble([root(), t, t, t])
    acc = result.accounting
    assert (acc.spans_in, acc.in_sessions, acc.duplicates) == (4, 2, 2) and acc.balanced
    tl = result.sessions[0]
    assert len(tl.steps) == 1 and tl.steps[0].flags == (FLAG_DUPLICATE,)
    assert "2 duplicate spans dropped" in tl.summary.issues


def test_parent_cycle_is_cut_and_every_span_kept() -> None:
    """Spans whose parents form a loop are detached at the earliest one and all still shown."""
    records = [root(), tool(2, 3, start=1), tool(3, 4, start=2), tool(4, 2, start=3), tool(5, 5, start=4)]
    tl = one(records)
    assert sorted(st.span_id for st in tl.steps) == [sid(2), sid(3), sid(4), sid(5)]
    by = {st.span_id: st for st in tl.steps}
    assert by[sid(2)].flags == (FLAG_CYCLE,) and by[sid(2)].depth == 0
    assert by[sid(5)].flags == (FLAG_CYCLE,)
    assert [by[sid(n)].depth for n in (4, 3)] == [1, 2]
    assert "2 parent cycles cut" in tl.summary.issues


# --- other instrumentations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "attrs", "kind", "label"),
    [
        ("ChatOpenAI", {"openinference.span.kind": "LLM", sc.GEN_AI_REQUEST_MODEL: "gpt-x"}, "llm", "gpt-x"),
        ("lookup", {"openinference.span.kind": "TOOL", "tool.name": "lookup"}, "tool", "lookup"),
        ("RunnableSequence", {"openinference.span.kind": "CHAIN"}, "agent", "RunnableSequence"),
        ("planner.workflow", {"traceloop.span.kind": "workflow"}, "agent", "planner.workflow"),
        ("fetch.tool", {"traceloop.span.kind": "tool"}, "tool", "fetch.tool"),
        ("weird", {sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL, sc.GEN_AI_TOOL_NAME: "t"}, "tool", "t"),
        ("anthropic.chat", {sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, sc.GEN_AI_REQUEST_MODEL: "m"}, "llm", "m"),
        ("chat gpt-4", {}, "llm", "gpt-4"),
        ("GET /api", {"http.method": "GET"}, "other", "GET /api"),
        ("action click", {}, "other", "action click"),  # only our scope's "action …" is an action
    ],
)
def test_foreign_spans_classified(name: str, attrs: dict[str, Any], kind: str, label: str) -> None:
    """Other instrumentations' spans: gen_ai.operation.name, then OpenInference, traceloop, else other."""
    tl = one([root(), rec(2, 1, name=name, start=1, attrs=attrs, scope="openinference.instrumentation")])
    step = tl.steps[0]
    assert (step.kind, step.name) == (kind, label) and FLAG_FOREIGN in step.flags


def test_a_span_of_another_instrumentation_named_like_a_call_is_not_one() -> None:
    """A websocket handler's "chat support-room" carries no GenAI attributes: not an LLM call, as live."""
    tl = one([root(), rec(2, 1, name="chat support-room", start=1, attrs={"ws.room": "support"},
                          scope="opentelemetry.instrumentation.websocket")])
    assert tl.steps[0].kind == "other" and tl.summary.llm_calls == 0 and tl.summary.cost_complete


def test_a_foreign_span_is_what_its_attributes_say_whatever_its_name() -> None:
    """gen_ai.operation.name decides for another instrumentation's span, as the live session does."""
    tl = one([root(), rec(2, 1, name="chat planner", start=1, scope="some.instrumentation",
                          attrs={sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL, sc.GEN_AI_TOOL_NAME: "plan"})])
    assert (tl.steps[0].kind, tl.steps[0].name) == ("tool", "plan")


def test_the_same_name_is_classified_per_instrumentation() -> None:
    """A GenAI instrumentation's bare "chat gpt-4" is a call by its name; another scope's same name is not."""
    tl = one([root(), rec(2, 1, name="chat gpt-4", start=1, scope="openinference.instrumentation.openai"),
              rec(3, 1, name="chat gpt-4", start=2, scope="opentelemetry.instrumentation.websocket")])
    assert [st.kind for st in tl.steps] == ["llm", "other"]


# --- sessions across and within traces ----------------------------------------------------------


def test_nested_session_appears_inside_parent_and_on_its_own() -> None:
    """A nested session is a `session` step under its anchor, its steps one level deeper."""
    records = [
        root(), tool(2, start=1, end=8, tool_name="delegate"),
        root(10, session="inner", parent=2, start=2, end=7, name="helper",
             attrs={sc.SESSION_PARENT_ID: "s1"}),
        llm(11, 10, start=3, session="inner"), tool(12, 10, start=4, session="inner"),
        llm(3, start=9),
    ]
    result = reassemble(records)
    assert result.accounting.balanced and result.accounting.in_sessions == 6
    outer = result.timeline_for("s1")
    inner = result.timeline_for("inner")
    assert [(st.kind, st.name, st.depth) for st in outer.steps] == [
        ("tool", "delegate", 0), ("session", "helper", 1), ("llm", "gpt-4o", 2), ("tool", "search", 2),
        ("llm", "gpt-4o", 0)]
    assert outer.steps[2].offset_s == 3.0 and outer.steps[2].session_id == "inner"
    assert [(st.kind, st.depth, st.offset_s) for st in inner.steps] == [("llm", 0, 1.0), ("tool", 0, 2.0)]
    assert inner.summary.parent_session_id == "s1" and outer.summary.span_count == 3
    assert outer.summary.llm_calls == 2 and inner.summary.llm_calls == 1


def test_nested_session_in_new_trace_attaches_by_parent_id() -> None:
    """A nested session split into its own trace still appears in its parent, at the session level."""
    records = [root(), llm(2, start=1),
               root(10, session="inner", trace=2, start=5, end=6, attrs={sc.SESSION_PARENT_ID: "s1"}),
               tool(11, 10, start=5.5, session="inner", trace=2)]
    outer = reassemble(records).timeline_for("s1")
    assert [(st.kind, st.depth) for st in outer.steps] == [("llm", 0), ("session", 0), ("tool", 1)]


def test_session_spanning_two_traces() -> None:
    """Spans of one session in two traces make one timeline listing both traces."""
    records = [root(), llm(2, start=1), rec(20, None, name="execute_tool later", trace=2, start=50),
               llm(21, 20, start=51, trace=2)]
    tl = one(records)
    assert tl.summary.trace_ids == (tid(1), tid(2))
    assert [(st.name, st.depth, st.flags) for st in tl.steps] == [
        ("gpt-4o", 0, ()), ("later", 0, ()), ("gpt-4o", 1, ())]


def test_equal_span_ids_in_different_traces_are_different_spans() -> None:
    """Span ids are only unique within a trace: the same id in two traces is two steps."""
    records = [root(), tool(2, start=1), tool(2, None, start=50, trace=2), llm(3, 2, start=51, trace=2)]
    tl = one(records)
    assert len(tl.steps) == 3 and tl.summary.issues == ()
    assert [(st.trace_id, st.depth) for st in tl.steps] == [(tid(1), 0), (tid(2), 0), (tid(2), 1)]


def test_spans_without_session_adopt_ancestor_session() -> None:
    """A downstream service's un-stamped spans join the session they ran under."""
    records = [root(), tool(2, start=1), rec(3, 2, name="GET /x", start=1.1, session=None, service="api",
                                            scope="opentelemetry.instrumentation.flask"),
               rec(4, 3, name="SELECT", start=1.2, session=None, service="api", scope="sqlalchemy")]
    result = reassemble(records)
    assert result.pseudo_sessions == [] and result.accounting.in_sessions == 4
    steps = result.sessions[0].steps
    assert [(st.name, st.depth) for st in steps] == [("search", 0), ("GET /x", 1), ("SELECT", 2)]
    assert FLAG_NO_SESSION in steps[1].flags and FLAG_FOREIGN in steps[1].flags


def test_traces_without_any_session_become_pseudo_sessions() -> None:
    """Spans with no session anywhere are grouped per trace, reported apart from sessions."""
    records = [rec(1, None, name="GET /", session=None, trace=7, start=0),
               rec(2, 1, name="SELECT", session=None, trace=7, start=1),
               rec(3, None, name="cron", session=None, trace=8, start=2)]
    result = reassemble(records)
    assert result.sessions == [] and len(result.pseudo_sessions) == 2 and len(result.unassigned) == 3
    first = result.pseudo_sessions[0]
    assert first.summary.pseudo and first.summary.session_id == f"trace:{tid(7)}"
    assert [(st.name, st.depth, st.session_id) for st in first.steps] == [("GET /", 0, None), ("SELECT", 1, None)]
    assert result.accounting.in_pseudo_sessions == 3 and result.accounting.balanced


_OPENINFERENCE = "openinference.instrumentation.openai"


def oi_turn(span: int, *, trace: int, start: float, session: str = "conv-7", status: int = 1,
            seq: int | None = None) -> SpanRecord:
    """One turn of a conversation an app traced with OpenInference only (its using_session sets session.id)."""
    attrs = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.token_count.prompt": 10,
             "llm.token_count.completion": 3}
    return rec(span, None, name="ChatCompletion", start=start, trace=trace, session=session, status=status,
               attrs=attrs, scope=_OPENINFERENCE, seq=seq)


def test_another_instrumentations_session_id_is_a_session_of_its_own() -> None:
    """OpenInference's own session.id groups its turns into one session judged on them, not one of ours
    whose root never arrived."""
    result = reassemble([oi_turn(1, trace=1, start=0), oi_turn(2, trace=2, start=10)])
    assert result.sessions == [] and result.accounting.balanced
    (conv,) = result.pseudo_sessions
    s = conv.summary
    assert (s.session_id, s.end_state, s.trace_ids, len(conv.steps)) == ("conv-7", sc.END_SUCCESS, (tid(1), tid(2)), 2)
    assert "root span missing" not in s.issues and s.cost_complete
    assert s.end_reason is not None and "session.id" in s.end_reason and "no session.id" not in s.end_reason


def test_another_instrumentations_session_fails_when_a_top_span_failed() -> None:
    """Judged on what it has: a failed turn fails the conversation."""
    (conv,) = reassemble([oi_turn(1, trace=1, start=0), oi_turn(2, trace=2, start=10, status=2)]).pseudo_sessions
    assert conv.summary.end_state == sc.END_FAIL and conv.summary.failed_step is not None


def test_a_session_of_ours_holding_only_foreign_spans_still_misses_its_root() -> None:
    """Foreign spans our processor stamped (session.id and agentops.seq) belong to our session: without
    its root it never ended."""
    tl = one([oi_turn(2, trace=1, start=1, session="s1", seq=1)])
    assert tl.summary.session_id == "s1" and "root span missing" in tl.summary.issues


def test_a_foreign_span_whose_session_id_was_overwritten_stays_in_the_session_it_ran_in() -> None:
    """OpenInference's using_session inside one of our sessions overwrites the id we stamped (not our
    agentops.seq): the call is a step of our session, not a phantom session of its own."""
    records = [root(), oi_turn(2, trace=1, start=1, seq=1)]
    records[1] = rec(2, 1, name="ChatCompletion", start=1, session="conv-7", attrs=records[1].attributes,
                     scope=_OPENINFERENCE)
    result = reassemble(records)
    assert result.pseudo_sessions == [] and result.accounting.balanced
    (tl,) = result.sessions
    assert (tl.summary.session_id, tl.summary.llm_calls, tl.summary.issues) == ("s1", 1, ())


def test_sessions_ordered_by_start_and_looked_up_by_id() -> None:
    """Reassembly lists sessions by start time; timeline_for finds one or raises KeyError."""
    records = [root(1, session="b", start=5, trace=1), root(2, session="a", start=1, trace=2)]
    result = reassemble(records)
    assert [t.summary.session_id for t in result.sessions] == ["a", "b"]
    assert result.timeline_for("b").summary.start_ns == T0 + 5 * SEC
    with pytest.raises(KeyError):
        result.timeline_for("nope")


def test_root_declaring_more_calls_than_found_marks_incomplete() -> None:
    """When the root counted more LLM calls than arrived, spans were lost: say so."""
    tl = one([root(attrs={sc.SESSION_LLM_CALLS: 3}), llm(2, start=1)])
    assert "root reports 3 LLM calls, 1 found" in tl.summary.issues and not tl.summary.complete


def test_root_declaring_more_errors_than_found_marks_incomplete() -> None:
    """A failed step the root counted but the trace lacks is a lost span too, even with every call found."""
    tl = one([root(attrs={sc.SESSION_ERRORS: 2, sc.SESSION_TOOL_CALLS: 1}), rec(2, 1, start=1, status=2)])
    assert "root reports 2 errors, 1 found" in tl.summary.issues and not tl.summary.complete


def test_root_declaring_more_actions_than_found_marks_incomplete() -> None:
    """Actions count as calls for the assertions: one the root counted but the trace lacks is lost."""
    tl = one([root(attrs={sc.SESSION_ACTIONS: 1})])
    assert "root reports 1 actions, 0 found" in tl.summary.issues and not tl.summary.complete


def test_empty_input() -> None:
    """No spans, no sessions, balanced accounting."""
    result = reassemble([])
    assert result.sessions == [] and result.accounting.spans_in == 0 and result.accounting.balanced


def test_timeline_to_builtins_is_plain_data() -> None:
    """to_builtins decodes content and yields JSON-ready data."""
    import json

    tl = one([root(), tool(2, start=1)])
    data = tl.to_builtins()
    json.dumps(data)
    assert data["steps"][0]["input"] == '{"q": 1}' and data["summary"]["tags"] == ["prod", "eu"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -5.0])
def test_root_cost_that_is_not_a_price_falls_back_to_the_steps(bad: float) -> None:
    """A NaN, infinite or negative session cost is not believed: the calls' sum, marked incomplete."""
    tl = one([root(attrs={sc.SESSION_COST_USD: bad, sc.SESSION_COST_COMPLETE: True}), llm(2, start=1, cost=0.25)])
    assert tl.summary.cost_usd == 0.25 and not tl.summary.cost_complete
    assert any("not a price" in gap for gap in tl.summary.cost_gaps)
