"""Where two runs of an agent part ways: the first step at which their step sequences diverge.

A passing and a failing variant of the same test usually share a prefix of identical decisions and
then split at one step; finding that step by eye in two long replays is slow. Steps are compared by
what the agent decided, most telling difference first: *which* call it made (kind and name), *who*
made it (the chain of enclosing steps, from the spans' parent ids), then *with what* (the recorded
input, compared as JSON so key order and spacing don't count), then *what came of it* (status and
error). An LLM call's input is its messages and, beside them, its system instructions, tool definitions
and request parameters (every ``gen_ai.request.*``, the output type, the provider's own request
attributes): the same question under another system prompt, offered other tools or asked at another
temperature, is another call. Parameters are no content: they are recorded, and compared, with content
capture off too. Outputs are not part of the signature — LLM outputs differ on every
run — but a differing output just before the split is reported as the likely cause.

Steps are compared in the timeline's order: the call tree depth-first, each caller's calls by start
(by the order their process started them, ``agentops.seq``, where its clock went back).
Calls in concurrent branches (``asyncio.gather``, threads) interleave differently from run to run, so
comparing them by the clock would report noise as a divergence; which ran first is the ordering
assertions' question (:mod:`agentops_otel.testing._order`), not the diff's.

Runs are ``identical`` only on what was recorded in full: an input that was never recorded (content
capture off), was cut at ``AGENTOPS_OTEL_MAX_VALUE_CHARS``, was cut after recording, or was masked
can hide the difference, so such steps make the outcome :data:`CONTENT_UNKNOWN` (as unreadable
attributes make it :data:`UNREADABLE`). Our recorder writes arguments and messages as valid JSON and
marks what it cuts; the OpenTelemetry SDK's own ``OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`` cuts without a
mark, but a cut JSON object or list never parses, so such a value of our own steps counts as cut.
Two secrets masked as ``[REDACTED]`` read the same whatever they were, so a masked value is unknown.
A session that lost spans on the way (its root missing, fewer steps than its root counted, the trace cut)
may differ in the steps lost: the outcome is :data:`INCOMPLETE`, and a divergence found beside it names
the loss (where a run "ended" it may only have lost its spans). Data that contradicts itself (copies of
a span that differ, a key given twice, a root saying Success with status ERROR: what the gate refuses to
judge) is compared as kept, and ``contradictions`` names it: never ``same`` (:data:`CONTRADICTORY`). So is
such data in a session nested in either, given with it (the gate judges nested sessions with their run).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agentops_otel import genai_content
from agentops_otel import semconv as sc
from agentops_otel._cut import cut_marker
from agentops_otel._diff_calls import Callers, aliased, call_ids, caller_text, json_text, request_params_json
from agentops_otel._diff_contradictions import contradictions, nested_contradictions, step_notes
from agentops_otel._json_equal import same_json
from agentops_otel._redact import REDACTED, REDACTION_FAILED
from agentops_otel._serialize import from_json
from agentops_otel.reassemble._summary import Issue
from agentops_otel.reassemble._unseen import unseen_steps
from agentops_otel.render import _format as fmt
from agentops_otel.render.diff import render_diff
from agentops_otel.timeline import FLAG_FOREIGN, Step, Timeline

_NOUN = {"tool": "tool", "llm": "LLM call", "action": "action", "error": "error event",
         "session": "nested session", "agent": "agent step", "other": "step"}
_ARGS = {"tool": "arguments", "action": "arguments"}

DIFFERENT_KIND = "different kind of step"
SAME_CALL_DIFFERENT_OUTCOME = "same call, different outcome"
A_ENDED = "a ended here"
B_ENDED = "b ended here"
UNREADABLE = "no divergence in what could be read, but some attributes could not be read"
"""Not ``identical``: values that could not be read (a corrupt source) can't be said to agree."""
DIFFERENT_END_REASON = "same steps, different end reason"
"""Both runs ended alike (both Fail) after the same steps, for different reasons: the error raised in the
agent's own code between its steps, which no step records."""
UNKNOWN_END_STATE = "same steps, but an end state that is not Success, Fail or Indeterminate"
"""Not ``identical`` either: equal unknown end states say nothing about whether both runs went well."""
CONTENT_UNKNOWN = "content unknown: some arguments or messages were not recorded, were cut or were masked"
"""Not ``identical``: arguments or messages never recorded (content capture off), cut (at the recording
bound or after it) or masked can't be said to agree; ``details`` names the steps."""
INCOMPLETE = "not recorded in full: spans of a session were lost, its steps can't be shown to agree"
"""Not ``identical``: steps a session lost on the way to the backend may be where the runs part;
``details`` names what each side lost."""
CONTRADICTORY = "no divergence in what was kept, but the data contradicts itself"
"""Not ``identical``: copies, values or roots that say two things were compared as kept (``contradictions``)."""
_CONTENT = {"tool": "arguments", "action": "arguments", "llm": "input messages"}
"""The kinds whose input the recorder writes when content capture is on, and what that input is."""
_LLM_EXTRAS = (("system instructions", sc.GEN_AI_SYSTEM_INSTRUCTIONS), ("tool definitions", sc.GEN_AI_TOOL_DEFINITIONS))
"""The rest of an LLM call's input, recorded beside its messages (absent: the call had none)."""
_MASKS = (REDACTED, REDACTION_FAILED, sc.OI_REDACTED)
_ABSENT = object()
_MAX_UNKNOWN = 10


@dataclass(frozen=True)
class SessionDiff:
    """The outcome of :func:`diff_timelines`; ``diverged_at`` is None when the sequences agree."""

    a: Timeline
    b: Timeline
    diverged_at: int | None
    """Index into both compared sequences (the timelines' steps, in order) of the first difference."""
    a_step: Step | None
    b_step: Step | None
    reason: str
    """``different tool``, ``same tool, different arguments``, ``same call, different outcome``,
    ``a ended here``, ... or ``identical`` / ``same steps, different end state`` / :data:`DIFFERENT_END_REASON`
    / :data:`CONTENT_UNKNOWN` / :data:`UNREADABLE` / :data:`INCOMPLETE`."""
    details: tuple[str, ...] = field(default=())
    """What exactly differed (argument keys, error types), one line each."""
    hint: str | None = None
    """The nearest earlier step whose output differed: often why the runs split."""
    contradictions: tuple[str, ...] = ()
    """``side: session: what``, for each thing a session says two ways: the outcome rests on what was kept."""

    @property
    def same(self) -> bool:
        return self.diverged_at is None and self.reason == "identical" and not self.contradictions


_Ids = tuple[dict[str, str], dict[str, str]]
"""Each side's tool call ids by position (:func:`_call_ids`)."""


def _same_value(a: str | None, b: str | None, ids: _Ids | None = None) -> bool:
    if a == b:
        return True
    if ids is None:
        return same_json(from_json(a), from_json(b))
    return same_json(aliased(from_json(a), ids[0]), aliased(from_json(b), ids[1]))


def _inputs(step: Step) -> list[tuple[str, str | None]]:
    """The parts of the step's input that are compared, each with its name (the first is the main one)."""
    main = (_CONTENT.get(step.kind, "input"), step.input)
    if step.kind != "llm":
        return [main]
    return [main, *((label, json_text(step.content_attribute(key))) for label, key in _LLM_EXTRAS),
            ("request", json_text(genai_content.request(step.attributes)))]  # another instrumentation's raw request


def _first_difference(a: Any, b: Any) -> tuple[str, Any, Any]:
    """The path (``[0].content``) to the first place two decoded values differ, and both values there."""
    keys, a, b = _difference(a, b)
    return _path_text(keys), a, b


def _path_text(keys: list[tuple[bool, Any]]) -> str:
    return "".join(f"[{k}]" if is_index else f".{k}" for is_index, k in keys)


def _difference(a: Any, b: Any) -> tuple[list[tuple[bool, Any]], Any, Any]:
    """:func:`_first_difference` with the path as ``(is_list_index, key)`` steps, to look the place up."""
    keys: list[tuple[bool, Any]] = []
    while True:
        if isinstance(a, dict) and isinstance(b, dict):
            order = [*a, *(k for k in b if k not in a)]
            key = next((k for k in order if a.get(k, _ABSENT) != b.get(k, _ABSENT)), _ABSENT)
            if key is _ABSENT:  # equal after all (NaN is never equal to itself): show the whole values
                return keys, a, b
            keys.append((False, key))
            a, b = a.get(key, _ABSENT), b.get(key, _ABSENT)
        elif isinstance(a, list) and isinstance(b, list):
            i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            keys.append((True, i))
            a, b = a[i] if i < len(a) else _ABSENT, b[i] if i < len(b) else _ABSENT
        else:
            return keys, a, b


def _at(value: Any, keys: list[tuple[bool, Any]]) -> Any:
    """The value at a path :func:`_difference` found (in the same structure before tool call ids were aliased)."""
    for is_index, key in keys:
        found = (key < len(value)) if is_index and isinstance(value, list) else (
            not is_index and isinstance(value, dict) and key in value)
        if not found:
            return _ABSENT
        value = value[key]
    return value


def _outcome(step: Step) -> tuple[str, str | None, str | None]:
    err = step.error
    return (step.status, err.type if err else None, err.message if err else None)


_BRIEF = 60
"""Characters shown of each of two differing values."""


def _shown(value: Any) -> str:
    """A value as JSON, every character that could pass for another (spacing, invisible ones) escaped."""
    if value is _ABSENT:
        return "(absent)"
    return fmt.escape(json.dumps(value, ensure_ascii=False, default=str), spaces=True)


def _briefs(a: Any, b: Any) -> str:
    """``a → b``, both cut to the same window around the first character where they differ: two long
    values that differ late would otherwise print as the same beginning twice."""
    ta, tb = _shown(a), _shown(b)
    at = next((i for i, (x, y) in enumerate(zip(ta, tb, strict=False)) if x != y), min(len(ta), len(tb)))
    start = at - _BRIEF // 3 if at > _BRIEF - 10 else 0

    def window(text: str) -> str:
        lead = fmt.ELLIPSIS if start else ""
        return lead + fmt.cut(text[start:], _BRIEF - len(lead))

    return f"{window(ta)} → {window(tb)}"


def _input_details(a: Step, b: Step, ids: _Ids | None) -> list[str]:
    """Where the main inputs differ: each differing argument, or the first differing place in a message
    list, down to the value that differs (the replay's one-line view of two message lists shows the
    last message, which may well be the same in both)."""
    pa, pb = from_json(a.input), from_json(b.input)
    # Tool call ids the provider made up differ on every run: the place is found with them compared by
    # position, and shown with the ids as recorded.
    ca, cb = (pa, pb) if ids is None else (aliased(pa, ids[0]), aliased(pb, ids[1]))
    if isinstance(ca, dict) and isinstance(cb, dict):
        return [_difference_line(str(key), ca.get(key, _ABSENT), cb.get(key, _ABSENT), pa.get(key, _ABSENT),
                                 pb.get(key, _ABSENT))
                for key in [*ca, *(k for k in cb if k not in ca)] if ca.get(key, _ABSENT) != cb.get(key, _ABSENT)]
    if isinstance(ca, list) and isinstance(cb, list):
        return [_difference_line(_CONTENT.get(a.kind, "input"), ca, cb, pa, pb)]
    return [f"a: {fmt.short(a.input, 70) or '(none)'}", f"b: {fmt.short(b.input, 70) or '(none)'}"]


def _difference_line(label: str, ca: Any, cb: Any, pa: Any, pb: Any) -> str:
    """``label.path: a → b`` at the first place ``ca`` and ``cb`` differ, showing ``pa``'s and ``pb``'s values there."""
    keys, _, _ = _difference(ca, cb)
    return f"{label}{_path_text(keys)}: {_briefs(_at(pa, keys), _at(pb, keys))}"


def _outcome_text(step: Step) -> str:
    err = fmt.error_text(step)
    return f"{step.status} ({err})" if err else step.status


def _value_gap(raw: str, own: bool) -> str | None:
    """Why one recorded value can't stand for what the agent passed, or None when it can."""
    try:
        value = json.loads(raw)
    except ValueError:  # we only ever write valid JSON: something after us cut it (the SDK's length limit)
        if own:
            return "cut after recording (no longer valid JSON)"
        value = raw
    except RecursionError:  # valid, only deeper than the parser goes
        value = raw
    if cut_marker(value) is not None:
        return "cut at the recording bound"
    if any(mask in raw for mask in _MASKS):
        return "masked"
    if not own and (field := genai_content.unread(value)) is not None:
        return f"not read ({field})"
    return None


def _content_gaps(step: Step) -> list[tuple[str, str]]:
    """Which parts of the step's recorded input can't stand for what the agent passed, and why."""
    if step.kind not in _CONTENT:
        return []
    parts = _inputs(step)
    if parts[0][1] is None:
        return [(parts[0][0], "not recorded")]
    own = FLAG_FOREIGN not in step.flags
    return [(label, gap) for label, raw in parts if raw is not None and (gap := _value_gap(raw, own)) is not None]


def _unknown_content(i: int, a: Step, b: Step) -> str | None:
    """One detail line when the input of the steps at ``i`` is unknown on either side."""
    found: dict[str, list[tuple[str, str]]] = {}
    for side, step in (("a", a), ("b", b)):
        for label, gap in _content_gaps(step):
            found.setdefault(label, []).append((side, gap))
    if not found:
        return None
    parts = []
    for label, gaps in found.items():
        if len(gaps) == 2 and gaps[0][1] == gaps[1][1]:
            parts.append(f"{label} {gaps[0][1]} in a and b")
        else:
            parts.append(f"{label} " + " and ".join(f"{gap} in {side}" for side, gap in gaps))
    return f"step #{i} {a.kind} {a.name}: {'; '.join(parts)}"


def _compare(a: Step, b: Step, ids: _Ids | None = None,
             callers: tuple[Callers, Callers] | None = None) -> tuple[str, list[str]] | None:
    """The reason two steps at the same position differ, or None when they count as the same."""
    if a.kind != b.kind:
        return DIFFERENT_KIND, [f"a: {a.kind} {a.name}", f"b: {b.kind} {b.name}"]
    noun = _NOUN.get(a.kind, "step")
    if a.name != b.name:
        return f"different {noun}", [f"a: {a.name}", f"b: {b.name}"]
    if callers is not None:
        ca, cb = callers[0].of(a), callers[1].of(b)
        if ca is not None and cb is not None and ca != cb:  # None: a parent was lost, reported as such
            return f"same {noun}, different caller", [f"a: {a.name} called by {caller_text(ca)}",
                                                      f"b: {b.name} called by {caller_text(cb)}"]
    # Recorded on one side only: unknown there (reported by the caller), not different.
    recorded = not (a.kind in _CONTENT and (a.input is None or b.input is None))
    if recorded:
        for n, ((label, ia), (_, ib)) in enumerate(zip(_inputs(a), _inputs(b), strict=True)):
            if _same_value(ia, ib, ids if a.kind == "llm" else None):
                continue
            if n == 0:
                return (f"same {noun}, different {_ARGS.get(a.kind, 'input')}",
                        _input_details(a, b, ids if a.kind == "llm" else None))
            path, va, vb = _first_difference(*(_ABSENT if raw is None else from_json(raw) for raw in (ia, ib)))
            return f"same {noun}, different input", [f"{label}{path}: {_briefs(va, vb)}"]
    pa, pb = request_params_json(a), request_params_json(b)
    if not _same_value(pa, pb):
        path, va, vb = _first_difference(*({} if raw is None else from_json(raw) for raw in (pa, pb)))
        return f"same {noun}, different request parameters", [f"request parameters{path}: {_briefs(va, vb)}"]
    if _outcome(a) != _outcome(b):
        return SAME_CALL_DIFFERENT_OUTCOME, [f"a: {_outcome_text(a)}", f"b: {_outcome_text(b)}"]
    return None


def diff_timelines(a: Timeline, b: Timeline, *, nested_a: Sequence[Timeline] = (),
                   nested_b: Sequence[Timeline] = ()) -> SessionDiff:
    """Compare two sessions step by step and stop at the first difference. ``nested_a`` / ``nested_b``: the
    sessions nested in each, read with it (``_diff_contradictions.nested_in``): what they say two ways is named."""
    said_by = [(side, t, contradictions(t), nested) for side, t, nested in (("a", a, nested_a), ("b", b, nested_b))]
    said = tuple(f"{side}: {line}" for side, t, own, nested in said_by
                 for line in (*(f"{t.summary.session_id}: {what}" for what in own),
                              *nested_contradictions(t, nested, own)))
    found = _diff(a, b, step_notes(a) | step_notes(b) if said else set())
    # A nested session ending in a state nobody defined says no more than the compared one's own (UNKNOWN_END_STATE).
    odd = [f"{side}: {c.summary.session_id} (nested in {c.summary.parent_session_id or t.summary.session_id}): "
           + ("no end state recorded" if c.summary.end_state is None else f"end state {c.summary.end_state!r}")
           + " is not Success, Fail or Indeterminate"
           for side, t, _, nested in said_by for c in nested if Issue.UNKNOWN_END_STATE in c.summary.issue_kinds]
    if odd and found.reason == "identical":
        found = replace(found, reason=UNKNOWN_END_STATE, details=tuple(odd))
    if not said:
        return found
    return replace(found, reason=CONTRADICTORY if found.same else found.reason, contradictions=said)


def _diff(a: Timeline, b: Timeline, twice: set[str]) -> SessionDiff:
    """:func:`diff_timelines` on what was kept; ``twice``: unreadable-attribute entries named as contradictions."""
    hint: str | None = None
    unknown: list[str] = []
    lost = tuple(f"{side} not recorded in full: {why}" for side, t in (("a", a), ("b", b)) for why in unseen_steps(t))
    ids = (call_ids(a), call_ids(b))
    callers = (Callers(a), Callers(b))
    for i, (sa, sb) in enumerate(zip(a.steps, b.steps, strict=False)):
        found = _compare(sa, sb, ids, callers)
        if found is not None:
            reason, details = found
            return SessionDiff(a, b, i, sa, sb, reason, (*details, *lost), hint)
        gap = _unknown_content(i, sa, sb)
        if gap is not None:
            unknown.append(gap)
        if not _same_value(sa.output, sb.output, ids if sa.kind == "llm" else None):
            hint = f"step #{i} ({sa.kind} {sa.name}) returned different output just before"
    na, nb = len(a.steps), len(b.steps)
    if na != nb:
        i = min(na, nb)
        if na < nb:
            more = f"b went on with {nb - na} more step(s)"
            return SessionDiff(a, b, i, None, b.steps[i], A_ENDED, (more, *lost), hint)
        more = f"a went on with {na - nb} more step(s)"
        return SessionDiff(a, b, i, a.steps[i], None, B_ENDED, (more, *lost), hint)
    ea, eb = a.summary.end_state, b.summary.end_state
    if ea != eb:
        ends = (f"a: {ea or 'Unknown'}", f"b: {eb or 'Unknown'}")
        return SessionDiff(a, b, None, None, None, "same steps, different end state", (*ends, *lost), hint)
    ra, rb = a.summary.end_reason, b.summary.end_reason
    if ra != rb:  # the agent's own code failed otherwise between the steps (a KeyError, not a RuntimeError)
        why = [f"{side}: {end or 'Unknown'} ({text or 'no reason recorded'})"
               for side, end, text in (("a", ea, ra), ("b", eb, rb))]
        return SessionDiff(a, b, None, None, None, DIFFERENT_END_REASON, (*why, *lost), hint)
    what = "no end state recorded" if ea is None else f"end state {ea!r} is not Success, Fail or Indeterminate"
    odd = [f"{side}: {what}" for side, t in (("a", a), ("b", b)) if Issue.UNKNOWN_END_STATE in t.summary.issue_kinds]
    if odd:  # both ended the same unknown way: nothing the diff understands says they agree
        return SessionDiff(a, b, None, None, None, UNKNOWN_END_STATE, (*odd, *lost), hint)
    unread = [f"{side}: {what}" for side, t in (("a", a), ("b", b)) for what in t.unreadable_attributes()
              if what not in twice]
    if len(unknown) > _MAX_UNKNOWN:
        unknown[_MAX_UNKNOWN:] = [f"… {len(unknown) - _MAX_UNKNOWN} more step(s) with unknown content"]
    if lost:  # the steps a side lost may be where they part
        return SessionDiff(a, b, None, None, None, INCOMPLETE, (*lost, *unread, *unknown), hint)
    if unread:  # what could not be read can't be said to agree
        return SessionDiff(a, b, None, None, None, UNREADABLE, (*unread, *unknown), hint)
    if unknown:  # nor can what was never recorded, or was cut
        return SessionDiff(a, b, None, None, None, CONTENT_UNKNOWN, tuple(unknown), hint)
    return SessionDiff(a, b, None, None, None, "identical", (), hint)


__all__ = ["CONTRADICTORY", "INCOMPLETE", "SessionDiff", "diff_timelines", "render_diff"]
