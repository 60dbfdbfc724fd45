"""The counters a session keeps while it runs: steps, errors, tokens and cost, nested sessions included.

The processor hands every finished span of a session to :meth:`Rollup.record`, which adds it to the
session and to every enclosing one. The totals are written on the root span when the session ends
(an ended span is frozen, so they cannot be updated later). The counts are kept under private names and
read through :class:`Total`: a session's reads may refuse a test (``_judged``), its bookkeeping never pays
for that check.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, Self, cast, overload

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from .. import _exit, _forksafe, _left_running, config, genai_spans, semconv
from .._batch_calls import batch_calls
from ._views import is_own, span_id

_WRAP_WINDOW = 16
"""How many of the latest spans are searched for the inner LLM span of a wrapping one."""
_OUTSIDE_NAMED = 20
"""How many of the steps outside a session are named; the rest are only counted."""
_USAGE_DOUBTS_KEPT = 100
"""How many model calls whose usage lacked a count a session keeps, to tell at a test's read which of its token
totals they leave a lower bound (past that, every total is taken as one)."""
_INTERRUPTED = "a step being counted when the process was stopped: it may be in no total, nor in the trace"


class Total:
    """A count of a :class:`Rollup`, kept under ``_<name>``: each span's bookkeeping adds to that directly, and
    everyone else reads the public name, which a session's judged reads take over (``_judged._Count``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self._stored = name, "_" + name

    @overload
    def __get__(self, rollup: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, rollup: Rollup, owner: type | None = None) -> int: ...
    def __get__(self, rollup: Rollup | None, owner: type | None = None) -> int | Self:
        return self if rollup is None else cast(int, getattr(rollup, self._stored))

    def __set__(self, rollup: Rollup, value: int) -> None:
        setattr(rollup, self._stored, value)


class Rollup:
    """Bounded copies of a session's finished spans and the totals rolled up from them."""

    llm_calls = Total()
    """Model calls, a batch submit counted as the requests it queued (see ``_batch_calls``)."""
    tool_calls = Total()
    actions = Total()
    error_count = Total()
    input_tokens = Total()
    output_tokens = Total()
    cache_read_tokens = Total()
    cache_write_tokens = Total()
    reasoning_tokens = Total()

    def __init__(self, session_id: str, parent: Rollup | None) -> None:
        self.id = session_id
        self.parent = parent
        self._lock = _forksafe.lock()
        self._spans: deque[ReadableSpan] = deque(maxlen=max(1, config.max_session_spans()))
        self._llm_parents: deque[int | None] = deque(maxlen=min(_WRAP_WINDOW, self._spans.maxlen or 1))
        """For the latest spans of ``_spans`` (same window): the parent span id of each LLM span, else None."""
        self.spans_dropped = 0
        self._llm_calls = 0
        self._client_calls = 0
        """Those of ``_llm_calls`` our client instrumentations recorded (not by hand, not another GenAI
        instrumentation): when they are all of them, a client switched off meanwhile made none that was seen
        (see ``_views.unwatched``)."""
        self.unsized_batches = 0
        """Batch submits whose number of requests is unknown: each is in ``llm_calls`` as one, so that count is
        only a lower bound, and no call bound passes on it."""
        self._usage_doubts = 0
        """Model calls counted whose usage lacked a token count: a superset of those whose counts are unknown
        (an embeddings call reports no output count, a refused call none), told apart only when a test reads a
        token total (``_lower_bounds``), from the first few of them kept here."""
        self._usage_doubt_spans: list[ReadableSpan] = []
        self._tool_calls = 0
        self._actions = 0
        self._error_count = 0
        self._input_tokens = 0
        self._output_tokens = 0
        self._cache_read_tokens = 0
        self._cache_write_tokens = 0
        self._reasoning_tokens = 0
        self._cost_usd = 0.0
        self._cost_complete = True
        self.cost_incomplete_reason: str | None = None
        """Why the cost is incomplete when no call says (a ``semconv.GAP_*``), written on the root."""
        self.failed_span_id: str | None = None
        self.failed_span_name: str | None = None
        self.open_at_end: list[str] = []
        """Span names of streams still open when this session (or a nested one) ended."""
        self._running: dict[int, tuple[str, int | None, bool]] = {}
        """Spans started in this session (not nested ones) and not ended yet, by span id, with their name, parent
        span id and whether they are ours: the processor adds each as it starts and :meth:`_record` drops it as it
        ends (plain dict operations, no lock)."""
        self.steps_outside = 0
        """Steps of this session (or a nested one) its counters and held spans miss: still running when
        it ended, or started after it ended (in its context, or under a step it left running). What a verdict
        on absence cannot pass over."""
        self.steps_outside_named: list[str] = []
        """The first few of ``steps_outside``, each as "span name: why" (bounded)."""
        self.left_running: dict[str, int] = {}
        """Of ``steps_outside``, those still running as it ended, by kind (``_left_running.LLM``, ``TOOL``,
        ``ACTION``, ``OTHER``): once ended, each left out only itself, of the figures of its kind."""
        self._left_running_named: list[tuple[str, str]] = []
        """The first few of ``left_running``: (kind, "span name: why")."""
        self._outliving: dict[int, str] = {}
        """Of ``left_running``, those not ended yet, by span id: what they start next is in no figure."""
        self.forks = 0
        """How many times this process forked while this session (or a nested one) was current in the forking
        thread: each child took it along, and what it ran there is in the trace, not in these counters
        (see ``_forks``)."""

    def _record(self, span: ReadableSpan, attrs: Mapping[str, Any] | None = None) -> None:
        """Called by the processor for each finished span of this session (and of nested ones), with its
        attributes when it has read them already."""
        ctx = span.context
        if ctx is not None:
            self._running.pop(ctx.span_id, None)
        if attrs is None:
            attrs = span.attributes or {}
        op = attrs.get(semconv.GEN_AI_OPERATION_NAME)
        failed = span.status.status_code is StatusCode.ERROR
        llm = genai_spans.is_llm(attrs)
        usage = None
        calls, unsized, doubt, client = 1, False, False, False
        if llm and not self._wraps_llm(span):
            own = is_own(span)
            usage = genai_spans.own_usage(attrs) if own else genai_spans.llm_usage(attrs, own=False)
            client = own and not attrs.get(semconv.LLM_RECORDED_BY_HAND)
            if semconv.BATCH_ENDPOINT in attrs:
                calls, unsized = batch_calls(attrs)
            doubt = usage.input_tokens is None or (usage.output_tokens is None and (
                usage.cost_usd is None or bool(attrs.get(semconv.USAGE_MISSING))))
        parent = span.parent
        llm_parent = parent.span_id if llm and parent is not None else None
        # A session's own root is summarised by the session itself; it only counts for the outer ones.
        target: Rollup | None = self.parent if op == semconv.OP_INVOKE_AGENT and (
            attrs.get(semconv.SESSION_ID) == self.id) else self
        while target is not None:
            with target._lock:
                if len(target._spans) == target._spans.maxlen:
                    target.spans_dropped += 1
                target._spans.append(span)
                target._llm_parents.append(llm_parent)
                if llm:
                    if usage is not None:
                        target._add_llm(usage, calls)
                        if client:
                            target._client_calls += calls
                        target.unsized_batches += unsized
                        if doubt:
                            target._usage_doubts += 1
                            if len(target._usage_doubt_spans) < _USAGE_DOUBTS_KEPT:
                                target._usage_doubt_spans.append(span)
                elif op == semconv.OP_EXECUTE_TOOL:
                    target._tool_calls += 1
                elif semconv.ACTION_TYPE in attrs:
                    target._actions += 1
                if failed and op != semconv.OP_INVOKE_AGENT:
                    target._error_count += 1
                    if target.failed_span_id is None:
                        target.failed_span_id = span_id(span)
                        target.failed_span_name = span.name
            target = target.parent

    def _wraps_llm(self, span: ReadableSpan) -> bool:
        """An LLM span whose LLM child already ended here is that same call seen by a second instrumentation.

        Children end before their parent, so the child is among the last spans recorded: their LLM
        parents are kept as they are recorded (``_llm_parents``), so the check is one lookup.
        """
        ctx = span.context
        if ctx is None:
            return False
        with self._lock:
            return ctx.span_id in self._llm_parents

    def note_open_calls(self, names: list[str]) -> None:
        """Streams still open as the session ends: calls it made whose cost is not known yet (their
        usage comes with their end, after this session's totals are written). Counted here and in
        every enclosing session, and named for the bounds that refuse them."""
        if not names:
            return
        target: Rollup | None = self
        while target is not None:
            with target._lock:
                target._llm_calls += len(names)
                target._client_calls += len(names)  # only our clients' streams are held open
                target.cost_complete = False
                target.open_at_end.extend(names)
            target = target.parent

    def note_outside(self, lines: list[str], reason: str = semconv.GAP_STEPS_OUTSIDE, *,
                     counted_in: object = None) -> None:
        """Steps this session will never see at all (``"name: why"``: started after it ended, sent to another
        process): counted here and in every enclosing session up to ``counted_in`` (the one that counts them),
        whose counters miss them as well, and named (the first few) for the verdicts that refuse to judge
        absence without them. The model calls they make are in no total of these sessions, so none of them
        can vouch for its cost any more. ``GAP_TOTALS_INTERRUPTED`` replaces the reason already noted: it says
        more (the tokens are a lower bound too)."""
        self._note(lines, reason, [], counted_in)

    def note_left_running(self, left: list[tuple[int, str, str]]) -> None:
        """Steps still running as this session ends, each (span id, kind, ``"name: why"``): noted as
        :meth:`note_outside` notes steps, with their kind, so that each, once ended, refuses only the figures
        of its kind (only a model call, or a step of unknown kind, leaves the cost unknown). Until it ends,
        each leaves out whatever it starts next as well (:mod:`.._left_running` follows them)."""
        self._note([line for _, _, line in left], semconv.GAP_STEPS_OUTSIDE, left, None)
        _left_running.keep([sid for sid, _, _ in left], self)

    def _note(self, lines: list[str], reason: str, left: list[tuple[int, str, str]], counted_in: object) -> None:
        if not lines:
            return
        costly = not left or any(kind in _left_running.MODEL_READS for _, kind, _ in left)
        target: Rollup | None = self
        while target is not None and target is not counted_in:
            with target._lock:
                target.steps_outside += len(lines)
                for sid, kind, line in left:
                    target.left_running[kind] = target.left_running.get(kind, 0) + 1
                    target._outliving[sid] = line
                    if len(target._left_running_named) < _OUTSIDE_NAMED:
                        target._left_running_named.append((kind, line))
                if costly:
                    target.cost_complete = False
                    if reason == semconv.GAP_TOTALS_INTERRUPTED or target.cost_incomplete_reason is None:
                        target.cost_incomplete_reason = reason
                room = _OUTSIDE_NAMED - len(target.steps_outside_named)
                if room > 0:
                    target.steps_outside_named.extend(lines[:room])
            target = target.parent

    def _left_step_ended(self, span_id: int) -> None:
        """A step left running as this session ended has ended (``_left_running``): from now on it leaves out
        only itself, here and in the sessions it was noted in."""
        target: Rollup | None = self
        while target is not None:
            target._outliving.pop(span_id, None)
            target = target.parent

    def _late_step(self, name: str, counted_in: object) -> None:
        """A step started under one this session left running, after it ended, where it was no longer current
        (``_left_running``): a step it never sees, as one started in its own context after its end."""
        self.note_outside([f"{name}: started after the session ended"], counted_in=counted_in)

    def outside_count(self, reads: frozenset[str] | None = None) -> int:
        """How many of ``steps_outside`` a figure counting the kinds ``reads`` of step (``None``: any) leaves out:
        only the steps of those kinds left running at the end, once every step left running has ended and none
        started after the end; else every one."""
        with self._lock:
            left = dict(self.left_running)
            outliving = bool(self._outliving)
        if reads is None or outliving or self.steps_outside > sum(left.values()):
            return self.steps_outside
        return sum(n for kind, n in left.items() if kind in reads)

    def _free_locks_at_exit(self) -> None:
        """On the exit thread: the lock of this session, or of an enclosing one, that is still held after a
        short wait is the interrupted thread's (SIGTERM landed while it counted a step), and that thread
        never resumes. Ending the session would wait on it to the exit's deadline and its root would never be
        written: the lock is replaced, and the totals that update was changing are marked incomplete."""
        chain: list[Rollup] = []
        target: Rollup | None = self
        while target is not None:
            chain.append(target)
            target = target.parent
        stuck = [t for t in chain if not _exit.lock_free(t._lock)]
        for t in stuck:
            t._lock = _forksafe.lock()  # its holder releases the old one, if it ever resumes
        if stuck:
            stuck[0].note_outside([_INTERRUPTED], semconv.GAP_TOTALS_INTERRUPTED)  # and every one around it

    def _add_llm(self, usage: genai_spans.LLMUsage, calls: int = 1) -> None:
        self._llm_calls += calls
        self._input_tokens += usage.input_tokens or 0
        self._output_tokens += usage.output_tokens or 0
        self._cache_read_tokens += usage.cache_read_tokens
        self._cache_write_tokens += usage.cache_write_tokens
        self._reasoning_tokens += usage.reasoning_tokens
        if usage.cost_usd is None:
            self.cost_complete = False
        else:
            self._cost_usd += usage.cost_usd

    @property
    def cost_complete(self) -> bool:
        """Whether the cost is known whole: every call counted has a price, no call is known to be missing,
        and no step left running at the end is running still (it may make calls none of the totals will have;
        an action or a tool that has ended since made none, or they are noted as started after the end). So a
        root written while such a step runs says incomplete, though the session may say complete later."""
        return self._cost_complete and not self._outliving

    @cost_complete.setter
    def cost_complete(self, value: bool) -> None:
        self._cost_complete = value

    @property
    def _known_cost(self) -> float:
        """USD spent by the priced LLM calls of this session and its nested sessions (0.0 if none priced): the
        cost when ``cost_complete``, else its known part. What this package reads; users read ``cost``."""
        return round(self._cost_usd, 12)

    @property
    def spans(self) -> list[ReadableSpan]:
        """Finished spans of this session (and nested ones), in start order; bounded in memory."""
        with self._lock:
            spans = list(self._spans)
        spans.sort(key=lambda s: (s.start_time or 0, (s.attributes or {}).get(semconv.SEQ, 0)))
        return spans

    def totals_attributes(self) -> dict[str, Any]:
        """The root span's summary attributes: what a backend reads without the session's other spans."""
        attrs: dict[str, Any] = {
            semconv.SESSION_COST_USD: self._known_cost,
            semconv.SESSION_COST_MICROS: round(self._cost_usd * 1_000_000),
            semconv.SESSION_COST_COMPLETE: self.cost_complete,
            semconv.SESSION_LLM_CALLS: self._llm_calls,
            semconv.SESSION_TOOL_CALLS: self._tool_calls,
            semconv.SESSION_ACTIONS: self._actions,
            semconv.SESSION_ERRORS: self._error_count,
            semconv.GEN_AI_USAGE_INPUT_TOKENS: self._input_tokens,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: self._output_tokens,
        }
        if self._cache_read_tokens:
            attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = self._cache_read_tokens
        if self._cache_write_tokens:
            attrs[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = self._cache_write_tokens
        if self._reasoning_tokens:
            attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = self._reasoning_tokens
        reason = self.cost_incomplete_reason or (semconv.GAP_STEPS_OUTSIDE if self._outliving else None)
        if reason is not None:
            attrs[semconv.SESSION_COST_INCOMPLETE_REASON] = reason
        return attrs

    def failing_error_type(self) -> str | None:
        """``error.type`` of the first failed step, for a session that ends Fail without an exception."""
        if self.failed_span_id is None:
            return None
        for s in reversed(self.spans):
            if span_id(s) == self.failed_span_id:
                return (s.attributes or {}).get(semconv.ERROR_TYPE)  # type: ignore[return-value]
        return None
