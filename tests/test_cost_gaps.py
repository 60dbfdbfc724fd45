"""The reassembled summary says why a session's cost is incomplete: missing usage, unpriced model, lost root."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from agentops_otel import semconv as sc
from agentops_otel.read import SpanRecord
from agentops_otel.reassemble import reassemble
from agentops_otel.timeline import Timeline

T0 = 1_700_000_000_000_000_000
TRACE = "ab" * 16


def rec(span: int, parent: int | None, *, name: str, start: float, attrs: dict[str, Any],
        end: float | None = None) -> SpanRecord:
    return SpanRecord(
        trace_id=TRACE, span_id=f"{span:016x}", parent_span_id=None if parent is None else f"{parent:016x}",
        name=name, kind=0, start_ns=T0 + int(start * 1e9), end_ns=T0 + int((start + 0.5 if end is None else end) * 1e9),
        status_code=0, attributes=MappingProxyType({sc.SESSION_ID: "s1", **attrs}), events=(),
        resource=MappingProxyType({sc.SERVICE_NAME: "agent"}), scope=sc.INSTRUMENTATION_SCOPE,
    )


def root(attrs: dict[str, Any] | None = None) -> SpanRecord:
    return rec(1, None, name="invoke_agent agent", start=0, end=100,
               attrs={sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT, sc.SESSION_END_STATE: sc.END_SUCCESS,
                      **(attrs or {})})


def llm(span: int, *, start: float, model: str = "gpt-4o", cost: float | None = 0.01) -> SpanRecord:
    attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, sc.GEN_AI_REQUEST_MODEL: model,
                             sc.GEN_AI_USAGE_INPUT_TOKENS: 100, sc.GEN_AI_USAGE_OUTPUT_TOKENS: 20}
    if cost is not None:
        attrs[sc.COST_USD] = cost
    return rec(span, 1, name=f"chat {model}", start=start, attrs=attrs)


def one(records: list[SpanRecord]) -> Timeline:
    sessions = reassemble(records).sessions
    assert len(sessions) == 1
    return sessions[0]


def test_lost_root_is_named_as_the_reason() -> None:
    """Without its root the cost is summed from the calls found, and the summary says the root was lost."""
    tl = one([llm(2, start=1, cost=0.25), llm(3, start=2, cost=0.5)])
    assert not tl.summary.cost_complete
    assert any("root span missing" in gap for gap in tl.summary.cost_gaps)


def test_calls_from_foreign_instrumentations_without_usage_count_as_missing_usage() -> None:
    """A span with no cost, no reason and no token counts is missing usage, not an unpriced model."""
    bare = rec(2, 1, name="chat gpt-4o", start=1,
               attrs={sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, sc.GEN_AI_REQUEST_MODEL: "gpt-4o"})
    tl = one([bare, root()])
    assert tl.summary.cost_gaps == ("1 call without usage (no usage in the response)",)


def test_unpriced_model_is_named_with_its_model() -> None:
    """A call with usage but no cost names its model as unpriced."""
    tl = one([llm(2, start=1, model="acme-9", cost=None), llm(3, start=2, model="acme-9", cost=None),
              llm(4, start=3), root()])
    assert tl.summary.cost_gaps == ("2 calls to an unpriced model (acme-9)",)


def test_complete_cost_has_no_gaps() -> None:
    """A fully priced session reports no reason."""
    tl = one([llm(2, start=1), root(attrs={sc.SESSION_COST_USD: 0.01, sc.SESSION_COST_COMPLETE: True})])
    assert tl.summary.cost_complete and tl.summary.cost_gaps == ()


def test_root_saying_incomplete_without_the_culprit_among_the_spans() -> None:
    """The root's verdict stands when the unpriced call itself was lost, and the summary says so."""
    tl = one([llm(2, start=1), root(attrs={sc.SESSION_COST_USD: 0.01, sc.SESSION_COST_COMPLETE: False})])
    assert not tl.summary.cost_complete
    assert tl.summary.cost_gaps == ("the root reports unpriced calls that are not among the spans read",)


def test_a_call_the_root_did_not_count_leaves_the_cost_incomplete() -> None:
    """A root written complete at $0 beside a $0.35 call it never counted (it ended after the session) is no
    complete $0: the summary says the cost is at least the call's and names why."""
    tl = one([llm(2, start=1, cost=0.35), root(attrs={sc.SESSION_COST_USD: 0.0, sc.SESSION_COST_COMPLETE: True,
                                                      sc.SESSION_LLM_CALLS: 0})])
    assert not tl.summary.cost_complete
    assert tl.summary.cost_usd == 0.35
    assert tl.summary.cost_gaps == ("1 call in the trace the session's totals leave out "
                                    "(ended after the session, or recorded elsewhere)",)


def test_root_naming_steps_outside_the_session_says_so() -> None:
    """A root whose session saw steps still running at its end names that, not a lost unpriced call."""
    tl = one([llm(2, start=1), root(attrs={sc.SESSION_COST_USD: 0.01, sc.SESSION_COST_COMPLETE: False,
                                           sc.SESSION_LLM_CALLS: 1,
                                           sc.SESSION_COST_INCOMPLETE_REASON: sc.GAP_STEPS_OUTSIDE})])
    assert not tl.summary.cost_complete
    assert tl.summary.cost_gaps == ("steps still running when the session ended, or started after it: "
                                    "model calls they made are not in its totals",)


def test_root_cut_short_by_sigterm_leaves_cost_tokens_and_steps_incomplete() -> None:
    """A root whose totals the process was stopped in the middle of (SIGTERM) is a lower bound of its cost,
    tokens and steps: the summary names it, even beside a call's own gap, and is no complete view."""
    tl = one([llm(2, start=1, model="unpriced-model", cost=None),
              root(attrs={sc.SESSION_COST_USD: 0.0, sc.SESSION_COST_COMPLETE: False, sc.SESSION_LLM_CALLS: 1,
                          sc.SESSION_COST_INCOMPLETE_REASON: sc.GAP_TOTALS_INTERRUPTED})])
    assert not tl.summary.cost_complete and not tl.summary.complete
    assert not tl.summary.input_tokens_complete and not tl.summary.output_tokens_complete
    assert tl.summary.cost_gaps[-1].startswith("the process was stopped (SIGTERM)")
