"""Property tests: arbitrary span sets never crash the reassembler and every span is accounted for."""

from __future__ import annotations

import random
from collections import Counter
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentops_otel import semconv as sc
from agentops_otel.read import SpanRecord
from agentops_otel.reassemble import Reassembly, reassemble
from agentops_otel.timeline import FLAG_CYCLE, FLAG_ORPHAN

T0 = 1_767_000_000_000_000_000
_NAMES = [
    "invoke_agent main", "invoke_agent helper", "chat gpt-4o", "embeddings ada", "execute_tool search",
    "action click", "error ValueError", "GET /x", "RunnableSequence", "invoke_agent", "chat", "",
]
_SCOPES = [sc.INSTRUMENTATION_SCOPE, "openinference.instrumentation.langchain", "other"]
_SERVICES = [MappingProxyType({sc.SERVICE_NAME: s}) for s in ("a", "b")] + [MappingProxyType({})]


@st.composite
def span_sets(draw: st.DrawFn) -> list[SpanRecord]:
    """Spans with random parents (existing, unknown, self, or later: cycles), sessions, traces, clocks."""
    n = draw(st.integers(0, 40))
    ids = [f"{i + 1:016x}" for i in range(n)]
    sessions = draw(st.lists(st.sampled_from(["s1", "s2", "s3", "", None]), min_size=n, max_size=n))
    records: list[SpanRecord] = []
    for i in range(n):
        parent_choice = draw(st.integers(0, 4))
        if parent_choice == 0 or n == 0:
            parent = None
        elif parent_choice == 1:
            parent = f"{draw(st.integers(1000, 1005)):016x}"  # never arrives
        else:
            parent = draw(st.sampled_from(ids))  # any span, including itself and later ones
        start = T0 + draw(st.integers(-10**10, 10**10))
        end = start + draw(st.integers(-10**9, 10**10))  # ends before it starts, sometimes
        attrs: dict[str, Any] = {}
        session = sessions[i]
        if session is not None:
            attrs[sc.SESSION_ID] = session
        if draw(st.booleans()):
            attrs[sc.SEQ] = draw(st.integers(0, 5))
        name = draw(st.sampled_from(_NAMES))
        if name.startswith("invoke_agent") and draw(st.booleans()):
            attrs[sc.SESSION_END_STATE] = draw(st.sampled_from(list(sc.END_STATES)))
            if draw(st.booleans()):
                attrs[sc.SESSION_PARENT_ID] = draw(st.sampled_from(["s1", "s2", "s3", "zz"]))
            if draw(st.booleans()):
                attrs[sc.SESSION_FAILED_SPAN_ID] = draw(st.sampled_from(ids))
            if draw(st.booleans()):
                attrs[sc.TAGS] = ("x",)
        if draw(st.booleans()):
            attrs[sc.GEN_AI_OPERATION_NAME] = draw(st.sampled_from(["chat", "execute_tool", "invoke_agent", "x"]))
        if draw(st.booleans()):
            attrs["openinference.span.kind"] = draw(st.sampled_from(["LLM", "TOOL", "CHAIN", "RETRIEVER"]))
        if draw(st.booleans()):
            attrs[sc.COST_USD] = draw(st.floats(0, 1))
        records.append(SpanRecord(
            trace_id=f"{draw(st.integers(1, 3)):032x}", span_id=ids[i], parent_span_id=parent, name=name,
            kind=0, start_ns=start, end_ns=end, status_code=draw(st.integers(0, 2)),
            attributes=MappingProxyType(attrs), resource=draw(st.sampled_from(_SERVICES)),
            scope=draw(st.sampled_from(_SCOPES)),
        ))
    # Exact duplicates, then shuffle.
    dup_idx = draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=8)) if n else []
    records += [records[i] for i in dup_idx]
    seed = draw(st.integers(0, 2**32 - 1))
    random.Random(seed).shuffle(records)
    return records


def _own_keys(result: Reassembly) -> Counter[tuple[str, str]]:
    """(trace, span) of every span each timeline owns: its root and its own (not nested) steps."""
    seen: Counter[tuple[str, str]] = Counter()
    for tl in result.sessions:
        s = tl.summary
        if s.root_span_id is not None:
            seen[(s.trace_ids[0], s.root_span_id)] += 1
        for step in tl.steps:
            if step.session_id == s.session_id and step.kind != "session":
                seen[(step.trace_id, step.span_id)] += 1
    for tl in result.pseudo_sessions:
        for step in tl.steps:
            seen[(step.trace_id, step.span_id)] += 1
    return seen


def _check(records: list[SpanRecord]) -> Reassembly:
    result = reassemble(records)
    acc = result.accounting
    assert acc.spans_in == len(records)
    assert acc.balanced, acc
    # Every distinct span (per session group) appears exactly once as a root or an own step.
    expected: Counter[tuple[str, str]] = Counter()
    distinct = {(r.session_id, r.trace_id, r.span_id) for r in records}
    for _, trace_id, span_id in distinct:
        expected[(trace_id, span_id)] += 1
    assert _own_keys(result) == expected
    assert len(records) - acc.duplicates == sum(expected.values())
    for tl in [*result.sessions, *result.pseudo_sessions]:
        _check_timeline(tl)
    return result


def _check_timeline(tl: Any) -> None:
    position: dict[tuple[str, str], int] = {}
    for i, step in enumerate(tl.steps):
        assert step.depth >= 0
        key = (step.trace_id, step.span_id)
        assert key not in position, f"{key} emitted twice in {tl.summary.session_id}"
        parent_key = (step.trace_id, step.parent_span_id)
        detached = FLAG_CYCLE in step.flags or FLAG_ORPHAN in step.flags
        if step.depth > 0 and parent_key in position and not detached:
            parent = tl.steps[position[parent_key]]
            assert parent.depth == step.depth - 1
            assert step.start_ns >= parent.start_ns, "child starts before its parent after skew repair"
        position[key] = i
    s = tl.summary
    assert s.llm_calls == len(tl.llm_calls()) and s.tool_calls == len(tl.tool_calls())
    assert s.duration_s >= 0


@pytest.mark.slow  # a long search: make test runs it, make unit does not
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(span_sets())
def test_arbitrary_span_sets_are_fully_accounted_for(records: list[SpanRecord]) -> None:
    """Shuffled, duplicated, rootless, orphaned, skewed, cyclic: nothing crashes, nothing is lost."""
    _check(records)


def _same_start(span_id: str, parent: str) -> SpanRecord:
    return SpanRecord("0" * 31 + "1", span_id, parent, "invoke_agent main", 0, T0 + 1, T0 + 1, 0, "",
                      MappingProxyType({sc.SESSION_ID: ""}), (), _SERVICES[0], sc.INSTRUMENTATION_SCOPE)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(span_sets(), st.integers(0, 2**32 - 1))
@example([_same_start("0000000000000001", "0000000000000001"), _same_start("0000000000000002", "0000000000000001")],
         1)  # a self-parented span and its child starting together: the cycle was cut by arrival order
def test_result_does_not_depend_on_arrival_order(records: list[SpanRecord], seed: int) -> None:
    """The same spans in another order give the same sessions, steps and order."""
    a = reassemble(records)
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    b = reassemble(shuffled)

    def shape(r: Reassembly) -> list[Any]:
        return [(tl.summary.session_id, tl.summary.root_span_id, tl.summary.span_count,
                 [(s.trace_id, s.span_id, s.depth, s.kind, s.flags) for s in tl.steps])
                for tl in [*r.sessions, *r.pseudo_sessions]]

    assert shape(a) == shape(b)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 300))
def test_deep_chains_do_not_overflow(depth: int) -> None:
    """A parent chain thousands deep is walked without recursion limits."""
    records = [SpanRecord(trace_id="1" * 32, span_id=f"{i + 1:016x}", parent_span_id=f"{i:016x}" if i else None,
                          name="execute_tool t", kind=0, start_ns=T0 + i, end_ns=T0 + 10**6 - i,
                          attributes=MappingProxyType({sc.SESSION_ID: "s"}))
               for i in range(depth * 10)]
    result = _check(records)
    assert max(s.depth for s in result.sessions[0].steps) == depth * 10 - 1
