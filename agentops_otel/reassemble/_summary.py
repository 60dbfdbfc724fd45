"""The session summary: end state, counts, cost and tokens, the failing step, and the issues found."""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Final

from agentops_otel import genai_spans
from agentops_otel import semconv as sc
from agentops_otel._batch_calls import BATCH_SUFFIX, step_calls, unsized_batches
from agentops_otel._cost_gaps import GAP_TEXT
from agentops_otel._end_states import canonical_end_state
from agentops_otel._start_order import StartOrder
from agentops_otel.read._record import SpanEventRecord, SpanRecord
from agentops_otel.reassemble._classify import (
    _as_float,
    _as_int,
    _service,
    _str,
)
from agentops_otel.reassemble._masked import attribute_notes, conflict_note, shown_content
from agentops_otel.reassemble._state import _Session
from agentops_otel.reassemble._totals import session_totals
from agentops_otel.timeline import (
    Evaluation,
    SessionSummary,
    Step,
    Timeline,
)


class Issue(StrEnum):
    """What a repair or a gap in a session was; ``SessionSummary.issue_kinds`` lists them beside the
    human-readable ``issues``, so code decides on kinds, never by parsing the text."""

    TRACE_CUT = "trace_cut"
    """The backend returned only part of a trace (Tempo's PARTIAL)."""
    ROOT_MISSING = "root_missing"
    DUPLICATE_ROOTS = "duplicate_roots"
    FAILED_STEP_MISSING = "failed_step_missing"
    STEPS_MISSING = "steps_missing"
    """The root counts more LLM or tool calls than were found."""
    ORPHANS = "orphans"
    CYCLES = "cycles"
    SESSION_PARENT_CYCLE = "session_parent_cycle"
    """The root names as its parent session itself, or one whose parents lead back to it: not nested in
    it (``parent_session_id`` is None), so the gate counts it as a run of its own."""
    SESSION_PARENT_CONTESTED = "session_parent_contested"
    """The root's span parent is in one session, and it names another as its parent session (not that one,
    nor one that session ran in): which run it was part of the data does not say. Nested in neither
    (``parent_session_id`` is None), and the gate does not judge it."""
    CLOCK_SKEW = "clock_skew"
    CLOCK_WENT_BACK = "clock_went_back"
    """Steps one process started in one order carry times in another (``agentops.seq`` against the clock):
    the clock was set back while the session ran. Listed, and judged by the order assertions, by number
    (see ``_start_order``)."""
    DUPLICATES = "duplicates"
    CONFLICTING_COPIES = "conflicting_copies"
    """Copies of one span (same trace and span id) that differ in what they say: which copy is right the
    data does not say, and the gate does not judge the session (see ``read._copies``)."""
    ADOPTED = "adopted"
    """Spans without session.id attached to the session by ancestry."""
    UNREADABLE_ATTRIBUTES = "unreadable_attributes"
    """Attribute values in the source that could not be read: the session is shown without them, and
    the gate does not judge it."""
    GIVEN_TWICE = "given_twice"
    """An attribute key listed twice with different values, on a span or on one of its events (OTLP
    lists attributes as key/value pairs): the first is shown, which is right the data does not say. The
    gate does not judge the session, and ``diff`` says its comparison rests on contradictory data."""
    MODELS_UNWATCHED = "models_not_instrumented"
    """The root says a model client was not instrumented while the session ran and it holds no model call
    recorded another way: that client's calls, if any, were never seen (a verdict on its calls, tokens or cost
    refuses)."""
    TOTALS_BELOW_CALLS = "totals_below_calls"
    """The root's cost or token totals are below what the session's own model calls report (another writer,
    a hand edit, a rollup that missed calls): the calls' figures are used, so no bound passes on the root's."""
    TOTALS_INTERRUPTED = "totals_interrupted"
    """The root says the process was stopped while the session's totals were being updated or written
    (``GAP_TOTALS_INTERRUPTED``): a step may be in none of its totals nor among the spans, so its calls,
    tokens and cost are a lower bound (the verdicts on them, and on absence, refuse)."""
    STATE_CONTRADICTED = "state_contradicted"
    """The root's end state is Success but its span status is ERROR: our writer sets OK for Success, so
    something else (another writer, a pipeline, a hand edit) says the run failed. Which is right the data
    does not say: the gate does not judge it (a Fail with status OK is judged a failure: no pass is at stake)."""
    UNKNOWN_END_STATE = "unknown_end_state"
    """The root's end state is none of Success, Fail, Indeterminate in any case (another writer, a hand
    edit, a number): shown as written, and the gate does not judge it (neither a pass nor a failure).
    Also a root of ours that carries no end state at all (a collector processor or a hand edit dropped
    it): ``end_state`` is then None, never guessed from the span's status."""


MISSING_END_STATE: Final = f"no end state recorded ({sc.SESSION_END_STATE} missing from the root)"
"""The issue of a root of ours without an end state (see ``Issue.UNKNOWN_END_STATE``)."""


PSEUDO_REASON: Final = "no session.id: state from the trace's top spans"
"""``end_reason`` of a trace without a session: Fail when a top-level span failed, else Success."""


def _summarise(sess: _Session, steps: list[Step], start: int, end_max: int, shifted: int,
               shift_total: int, nested_evaluations: tuple[Evaluation, ...] = (),
               start_order: StartOrder | None = None) -> Timeline:
    root = sess.root
    issues: list[str] = []
    kinds: list[Issue] = []

    def add(kind: Issue, text: str) -> None:
        kinds.append(kind)
        issues.append(text)

    attrs: Mapping[str, Any] = {}
    root_events: tuple[SpanEventRecord, ...] = ()
    root_name = ""
    if root is not None:  # one another writer recorded in our schema reads masked, as its steps would
        attrs, root_events, _, root_name = shown_content(root)
    name: str | None = None
    end_state = end_reason = parent_sid = None
    tags: tuple[str, ...] = ()
    if root is not None:
        name = _str(attrs.get(sc.SESSION_NAME) or attrs.get(sc.GEN_AI_AGENT_NAME))
        if not name:
            _, _, tail = root_name.partition(" ")
            name = tail or root_name
        raw_state = attrs.get(sc.SESSION_END_STATE)
        end_state = canonical_end_state(raw_state)
        if end_state is None and raw_state is not None:
            end_state = _str(raw_state)
            if not sess.pseudo:
                add(Issue.UNKNOWN_END_STATE, f"end state {reprlib.repr(raw_state)} is not Success, Fail or "
                    "Indeterminate: neither a pass nor a failure")
        elif raw_state is None:
            # Only a root of ours is a root (our scope, see is_session_root), and ours always carries its
            # end state: gone, it was removed on the way, and its span status is no stand-in (an OK status
            # would pass a run that may have failed).
            add(Issue.UNKNOWN_END_STATE, MISSING_END_STATE)
        end_reason = _str(attrs.get(sc.SESSION_END_REASON))
        parent_sid = _str(attrs.get(sc.SESSION_PARENT_ID))
        raw_tags = attrs.get(sc.TAGS)
        if isinstance(raw_tags, (list, tuple)):
            tags = tuple(str(t) for t in raw_tags)
        elif isinstance(raw_tags, str) and raw_tags:
            tags = (raw_tags,)
    partial = _partial(sess.records)
    if partial is not None:
        add(Issue.TRACE_CUT, f"trace cut by the backend: {partial}")
    elif root is None and not sess.pseudo:
        add(Issue.ROOT_MISSING, "root span missing")
    if len(sess.duplicate_roots):
        add(Issue.DUPLICATE_ROOTS, f"{len(sess.duplicate_roots) + 1} root spans; the earliest is used")

    llm = tool = actions = errors = 0
    # An LLM step wrapping another is the same call seen by a second instrumentation: counted once.
    wrapping = genai_spans.wrappers((st.span_id, st.parent_span_id) for st in steps if st.kind == "llm")
    verdict_spans: list[Step] = []
    maybe_batches: list[Step] = []
    for st in steps:
        k = st.kind
        if k == "evaluation":
            verdict_spans.append(st)
            continue
        if k == "llm":
            batch = st.span_name.endswith(BATCH_SUFFIX)
            if batch:
                maybe_batches.append(st)
            if st.span_id in wrapping:
                continue
            llm += step_calls(st) if batch else 1  # a batch: the requests it queued
        elif k == "tool":
            tool += 1
        elif k == "action":
            actions += 1
        if k == "error" or (st.status == "error" and k != "session"):
            errors += 1  # a failed nested session is counted by its failed steps, as the live session does

    if verdict_spans:
        steps = [st for st in steps if st.kind != "evaluation"]
        if root is not None and not sess.pseudo and end_state != sc.END_FAIL:
            late = _failed_after_end(verdict_spans)
            if late is not None:
                end_state, end_reason = sc.END_FAIL, late
    if root is not None and not sess.pseudo and end_state == sc.END_SUCCESS and root.status_code == 2:
        etype = _str(attrs.get(sc.ERROR_TYPE))
        add(Issue.STATE_CONTRADICTED, f"end state Success, span status ERROR"
            f"{f' (error.type {etype})' if etype else ''}: the root says both")
    evaluations = _evaluations(None if sess.pseudo else sess.key, root_events, verdict_spans, nested_evaluations)
    totals = session_totals(attrs, has_root=root is not None, pseudo=sess.pseudo, steps=steps, wrapping=wrapping,
                            llm_calls=llm, trace_cut=partial is not None)
    if totals.below_calls is not None:
        add(Issue.TOTALS_BELOW_CALLS, f"the root's totals are below what its model calls report "
            f"({totals.below_calls}): the calls' figures are used")
    if root is not None and attrs.get(sc.SESSION_COST_INCOMPLETE_REASON) == sc.GAP_MODELS_UNWATCHED:
        add(Issue.MODELS_UNWATCHED, GAP_TEXT[sc.GAP_MODELS_UNWATCHED])
    interrupted = root is not None and attrs.get(sc.SESSION_COST_INCOMPLETE_REASON) == sc.GAP_TOTALS_INTERRUPTED
    if interrupted:
        add(Issue.TOTALS_INTERRUPTED, GAP_TEXT[sc.GAP_TOTALS_INTERRUPTED])

    failed: Step | None = None
    if root is not None:
        fid = _str(attrs.get(sc.SESSION_FAILED_SPAN_ID))
        if fid:
            failed = next((s for s in steps if s.span_id == fid), None)
            if failed is None:
                add(Issue.FAILED_STEP_MISSING, f"failing step {fid} not among the spans")
    if failed is None and (end_state == sc.END_FAIL or root is None):
        failed = next((s for s in steps if s.kind == "error" or s.status == "error"), None)
    if sess.pseudo and steps:
        # A trace without a session is a run too (gateable): it failed when one of its top spans did.
        top_failed = next((s for s in steps if s.depth == 0 and s.status == "error"), None)
        end_state = sc.END_FAIL if top_failed is not None else sc.END_SUCCESS
        end_reason = PSEUDO_REASON
        name = steps[0].span_name
        failed = top_failed or failed

    if root is not None:
        for key, found, label in ((sc.SESSION_LLM_CALLS, llm, "LLM calls"), (sc.SESSION_TOOL_CALLS, tool,
                                  "tool calls")):
            declared = _as_int(attrs.get(key))
            if declared is not None and declared > found:
                add(Issue.STEPS_MISSING, f"root reports {declared} {label}, {found} found")
    if sess.orphans:
        add(Issue.ORPHANS, f"{sess.orphans} orphan span{'s' if sess.orphans != 1 else ''} (parent never arrived)")
    if sess.cycles:
        add(Issue.CYCLES, f"{sess.cycles} parent cycle{'s' if sess.cycles != 1 else ''} cut")
    if sess.parent_cycle is not None:
        parent_sid = None
        named = ("is this session itself" if sess.parent_cycle == sess.key
                 else "names this session among its own parents")
        add(Issue.SESSION_PARENT_CYCLE, f"parent session {sess.parent_cycle} {named} (a cycle): shown and "
            "counted as a session of its own")
    if sess.parent_contested is not None:
        add(Issue.SESSION_PARENT_CONTESTED, f"parent span in {sess.parent_contested}, parent session {parent_sid}: "
            "shown as a session of its own")
        parent_sid = None
    if shifted:
        add(Issue.CLOCK_SKEW, f"clock skew: shifted {shifted} subtree{'s' if shifted != 1 else ''} "
                      f"by {shift_total / 1e9:.3g}s")
    if start_order is not None:
        n = start_order.steps_back
        add(Issue.CLOCK_WENT_BACK, f"clock went back: {n} step{'s' if n != 1 else ''} started, by the clock, before "
            "steps their process had started earlier; listed in the order it started them (agentops.seq)")
    if sess.dups:
        add(Issue.DUPLICATES, f"{sess.dups} duplicate span{'s' if sess.dups != 1 else ''} dropped")
    if sess.conflicts:
        add(Issue.CONFLICTING_COPIES, conflicts_issue(sess))
    if sess.no_session:
        add(Issue.ADOPTED, f"{len(sess.no_session)} span{'s' if len(sess.no_session) != 1 else ''} without "
                      "session.id attached by ancestry")
    # Among the spans read so far (the root's always is); Timeline.unreadable_attributes reads the rest.
    unreadable, twice = attribute_notes(sess.records)
    if root is not None:  # the root is no step: Timeline.unreadable_attributes does not see its counts
        unreadable += [f"{root_name}: {what}" for what in genai_spans.not_counts(attrs)]
    unreadable += _resource_notes(sess.records, sc.READ_UNREADABLE, "resource")
    if unreadable:
        add(Issue.UNREADABLE_ATTRIBUTES, unreadable_issue(unreadable))
    if twice:
        add(Issue.GIVEN_TWICE, twice_issue(twice))
    complete = (root is not None and partial is None and not sess.orphans and not sess.cycles
                and Issue.STEPS_MISSING not in kinds and not interrupted)
    own = len(sess.records) - sess.dups
    summary = SessionSummary(
        session_id=sess.key, name=name, tags=tags, end_state=end_state, end_reason=end_reason,
        service_name=_service(root) if root is not None else (steps[0].service_name if steps else None),
        trace_ids=sess.trace_ids, root_span_id=root.span_id if root is not None else None,
        parent_session_id=parent_sid, start_ns=start, duration_s=max(0, end_max - start) / 1e9,
        cost_usd=totals.cost, cost_complete=totals.cost_complete, cost_gaps=totals.cost_gaps,
        input_tokens=totals.input_tokens, output_tokens=totals.output_tokens,
        llm_calls=llm, tool_calls=tool, actions=actions, errors=errors, failed_step=failed,
        complete=complete, issues=tuple(issues), issue_kinds=tuple(kinds), span_count=own, pseudo=sess.pseudo,
        partial=partial, evaluations=evaluations, input_tokens_complete=not (totals.input_unknown or interrupted),
        output_tokens_complete=not (totals.output_unknown or interrupted), raised=raised_by(root_events),
        llm_calls_complete=not (interrupted or unsized_batches(maybe_batches)),
    )
    return Timeline(summary, tuple(steps), start_order)


def conflicts_issue(sess: _Session) -> str:
    """The issue line for copies of one span that differ, naming the spans and what differs."""
    notes = [conflict_note(rec, fields) for rec, fields in sess.conflicts.values()]
    more = f" (and {len(notes) - 3} more)" if len(notes) > 3 else ""
    return f"copies of one span that differ: {'; '.join(notes[:3])}{more}"


def _failed_after_end(verdict_spans: list[Step]) -> str | None:
    """The end reason of a verdict that ended the session Fail after its root had ended (a test that failed
    after the code under test ended its session Success: ``sc.VERDICT_END_STATE``), else None. Only Fail
    is taken: a later record can make a run a failure, never turn a failure into a pass."""
    for st in verdict_spans:
        if canonical_end_state(st.attributes.get(sc.VERDICT_END_STATE)) == sc.END_FAIL:
            return _str(st.attributes.get(sc.VERDICT_END_REASON)) or "failed after it ended"
    return None


def raised_by(root_events: Sequence[Any]) -> str | None:
    """The type of the exception that left the session: its root's (last) ``exception`` event's, which the
    session records only for one that escaped it (see ``Session.end``)."""
    for event in reversed(root_events):
        if event.name == sc.EVENT_EXCEPTION:
            found = (event.attributes or {}).get(sc.EXCEPTION_TYPE)
            return found if isinstance(found, str) and found else None
    return None


def _evaluations(session_id: str | None, root_events: tuple[SpanEventRecord, ...], verdict_spans: list[Step],
                 nested: tuple[Evaluation, ...]) -> tuple[Evaluation, ...]:
    """Verdicts on the root (``root_events``: made while the session ran), on ``evaluation`` spans (made after
    it ended) and those of nested sessions, in the order they were made."""
    found: list[Evaluation] = []
    events = list(root_events)
    for st in verdict_spans:
        events.extend(st.events)
    for ev in events:
        if ev.name != sc.GEN_AI_EVALUATION_RESULT:
            continue
        a = ev.attributes
        found.append(Evaluation(
            name=_str(a.get(sc.GEN_AI_EVALUATION_NAME)) or "evaluation",
            label=_str(a.get(sc.GEN_AI_EVALUATION_SCORE_LABEL)),
            score=_as_float(a.get(sc.GEN_AI_EVALUATION_SCORE_VALUE)),
            explanation=_str(a.get(sc.GEN_AI_EVALUATION_EXPLANATION)),
            session_id=session_id, time_ns=ev.time_ns))
    if not found and not nested:
        return ()
    return tuple(sorted((*found, *nested), key=lambda e: e.time_ns))


def all_issues(timeline: Timeline) -> list[str]:
    """The session's issues, with attributes that could not be read on spans reassembly did not need to
    read (see ``Timeline.unreadable_attributes``) added: what a replay shows under "Issues"."""
    issues = list(timeline.summary.issues)
    kinds = timeline.summary.issue_kinds
    if Issue.UNREADABLE_ATTRIBUTES not in kinds and Issue.GIVEN_TWICE not in kinds:
        found = timeline.unreadable_attributes()
        if found:
            issues.append(unreadable_issue(found))
    return issues


def twice_issue(found: list[str]) -> str:
    """The issue line for ``"span: key given twice …"`` entries."""
    more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
    return f"values given twice that differ: {'; '.join(found[:3])}{more}"


def unreadable_issue(found: list[str]) -> str:
    """The issue line for ``"span: what"`` entries of attributes that could not be read."""
    more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
    return f"attributes that could not be read, left out: {'; '.join(found[:3])}{more}"


def _resource_notes(records: list[SpanRecord], key: str, label: str) -> list[str]:
    """A reader's note under ``key`` on the resources of these spans, once per distinct resource."""
    notes: list[str] = []
    prev: Any = None
    for r in records:
        res = r.resource
        if res is not prev:
            note = res.get(key)
            if note is not None and f"{label}: {note}" not in notes:
                notes.append(f"{label}: {note}")
            prev = res
    return notes


def _partial(records: list[SpanRecord]) -> str | None:
    """The reader's note when a backend returned only part of one of these traces (looked up once
    per resource: spans of one batch share it)."""
    prev: Any = None
    for r in records:
        res = r.resource
        if res is not prev:
            why = res.get(sc.READ_PARTIAL)
            if why is not None:
                return str(why)
            prev = res
    return None
