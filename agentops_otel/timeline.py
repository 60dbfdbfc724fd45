"""The replay model: one session as a summary plus its steps in causal order.

Renderers, the CLI, the pytest plugin and the compat API all read sessions through these types and
never through spans, so a change of backend or of wire names stays inside ``read/`` and
``reassemble``.

The types are frozen ``msgspec.Struct``s rather than frozen dataclasses: building one is ~18x faster
(78 ns against 1.4 µs for a 22-field frozen slotted dataclass, whose ``__init__`` goes through
``object.__setattr__`` per field), and a reassembly builds one ``Step`` per span. They behave like
frozen dataclasses — immutable, compared by value, positional-and-keyword construction — and
``msgspec.structs.asdict`` / ``msgspec.structs.replace`` / ``msgspec.structs.fields`` stand in for
the ``dataclasses`` helpers. ``Timeline.to_builtins()`` gives plain JSON-ready data.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from agentops_otel import genai_spans
from agentops_otel._start_order import StartOrder
from agentops_otel._step import (
    FLAG_CLOCK_SKEW,
    FLAG_CYCLE,
    FLAG_DUPLICATE,
    FLAG_FOREIGN,
    FLAG_NO_SESSION,
    FLAG_ORPHAN,
    STEP_KINDS,
    Step,
    StepError,
    StepKind,
    StepStatus,
)


class Evaluation(msgspec.Struct, frozen=True, gc=False):
    """A verdict on the session (an assertion, the test's outcome), from a ``gen_ai.evaluation.result`` event."""

    name: str
    label: str | None
    """``pass`` / ``fail`` / ``skip`` for ours; another evaluator's own label otherwise."""
    score: float | None
    explanation: str | None
    session_id: str | None = None
    """The session it judged (a nested session's verdict also shows in the sessions around it)."""
    time_ns: int = 0


RUNNING_REASON: Final = "still running"
"""``end_reason`` of a session read while it runs (no end state yet): replays say "Running"."""

PSEUDO_SESSION_PREFIX: Final = "trace:"
"""The id of a trace that carried no ``session.id``, judged as a session of its own, is this plus its trace
id: listed so by ``sessions`` and ``gate``, and taken back by ``replay`` and ``diff``."""


class SessionSummary(msgspec.Struct, frozen=True, gc=False):
    """One line per session: what a listing or a test assertion needs without walking steps."""

    session_id: str
    name: str | None
    tags: tuple[str, ...]
    end_state: str | None
    """``Success`` | ``Fail`` | ``Indeterminate``; None when unknown (e.g. the root span is missing)."""
    end_reason: str | None
    service_name: str | None
    trace_ids: tuple[str, ...]
    """Every trace holding the session's spans, the root's first."""
    root_span_id: str | None
    parent_session_id: str | None
    start_ns: int
    duration_s: float
    cost_usd: float
    """The root's total when recorded, else the sum over the session's LLM steps; never below that sum (a root
    total below it is replaced by it: issue ``totals_below_calls``)."""
    cost_complete: bool
    input_tokens: int
    output_tokens: int
    llm_calls: int
    tool_calls: int
    actions: int
    errors: int
    failed_step: Step | None
    complete: bool
    """False when the root span is missing or the structure needed repairs that lose information."""
    issues: tuple[str, ...]
    """Human-readable repairs and gaps: "root span missing", "2 orphan spans", ..."""
    span_count: int = 0
    """Spans accounted to this session (its steps plus the root), nested sessions excluded."""
    pseudo: bool = False
    """True for a session not of ours, judged on its top spans: a per-trace pseudo-session built from
    spans that carried no ``session.id`` (id ``trace:<trace id>``), or one keyed by another
    instrumentation's ``session.id`` (:attr:`foreign_session_id`)."""

    @property
    def foreign_session_id(self) -> bool:
        """A pseudo-session keyed by another instrumentation's ``session.id`` (OpenInference's
        ``using_session``) rather than by trace."""
        return self.pseudo and not self.session_id.startswith(PSEUDO_SESSION_PREFIX)

    cost_gaps: tuple[str, ...] = ()
    """Why ``cost_usd`` is incomplete, one line per reason ("2 calls without usage (...)", an unpriced
    model, a lost root); empty when ``cost_complete``."""
    partial: str | None = None
    """Why the backend returned only part of the session's trace (Tempo's ``PARTIAL``), else None."""
    issue_kinds: tuple[str, ...] = ()
    """One ``reassemble.Issue`` value per entry of ``issues``, for code that decides on them."""
    evaluations: tuple[Evaluation, ...] = ()
    """Verdicts recorded on this session and the sessions nested in it, in the order they were made."""
    input_tokens_complete: bool = True
    """False when a model call's input count is unknown (no usage, or usage without it): ``input_tokens``
    is then only a lower bound, what the other calls reported, and replays show it as ``≥ N`` or ``?``."""
    output_tokens_complete: bool = True
    """As ``input_tokens_complete``, for ``output_tokens``."""
    llm_calls_complete: bool = True
    """False when ``llm_calls`` is only a lower bound: a batch submit whose number of requests is unknown counts
    as one (see ``_batch_calls``); replays show it as ``≥ N``."""
    raised: str | None = None
    """The class of the exception that left the session (``module.Qualname``, a builtin's bare name), from its
    root's ``exception`` event: one that left ``with session`` / ``@session``. None when none is recorded: none
    did, or the agent ended the session itself (``end_session("Fail")``, after which it may have raised), or the
    root is missing. A test made from the session expects it, not the last error a step recorded (which the agent
    may have handled, or turned into another)."""


class Timeline(msgspec.Struct, frozen=True, gc=False):
    """A session replay: the summary plus every step in causal order.

    Steps of nested sessions appear beneath their ``session`` step (depth + 1), so the outer
    timeline reads as one story; each nested session also has a Timeline of its own.
    """

    summary: SessionSummary
    steps: tuple[Step, ...]
    start_order: StartOrder | None = None
    """Where steps one process numbered (``agentops.seq``) carry times that disagree with their numbers
    (the clock went back): which started first, for the order assertions. None when the times agree."""

    @property
    def session_id(self) -> str:
        return self.summary.session_id

    def unreadable_attributes(self) -> list[str]:
        """``"span: what"`` for every step whose attribute values could not all be read, decoding each
        step's attributes now: reassembly decodes them only where it needs them, so the issues it found
        may not cover every span. Verdicts (the gate, ``diff``) and replays ask this before trusting a
        session."""
        found: list[str] = []
        for step in self.steps:
            attrs = step.attributes
            decode = getattr(attrs, "decoded", None)
            if decode is not None:
                decode()
                error = getattr(attrs, "decode_error", None)
                if error:
                    found.append(f"{step.span_name}: {error}")
            found.extend(f"{step.span_name}: {what}" for what in genai_spans.not_counts(attrs))
        return found

    def _of(self, kind: StepKind) -> list[Step]:
        return [s for s in self.steps if s.kind == kind]

    def llm_calls(self) -> list[Step]:
        """LLM calls, each once: a step wrapping another LLM step is the same call seen twice."""
        calls = self._of("llm")
        wrapping = genai_spans.wrappers((s.span_id, s.parent_span_id) for s in calls)
        return [s for s in calls if s.span_id not in wrapping] if wrapping else calls

    def tool_calls(self) -> list[Step]:
        return self._of("tool")

    def actions(self) -> list[Step]:
        return self._of("action")

    def errors(self) -> list[Step]:
        """Steps that failed: ``error`` steps and any other step whose status is error.

        A nested session that failed is not one more error: its failed steps are already here.
        """
        return [s for s in self.steps if s.kind == "error" or (s.status == "error" and s.kind != "session")]

    def step_names(self, kind: StepKind | None = None) -> list[str]:
        return [s.name for s in self.steps if kind is None or s.kind == kind]

    def to_builtins(self) -> dict[str, Any]:
        """Plain dicts/lists/scalars (content decoded) for JSON renderers and diffs."""
        summary: dict[str, Any] = msgspec.structs.asdict(self.summary)
        fs = self.summary.failed_step
        summary["failed_step"] = None if fs is None else fs.to_builtins()
        summary["tags"] = list(self.summary.tags)
        summary["trace_ids"] = list(self.summary.trace_ids)
        summary["issues"] = list(self.summary.issues)
        summary["evaluations"] = [msgspec.structs.asdict(e) for e in self.summary.evaluations]
        return {"summary": summary, "steps": [s.to_builtins() for s in self.steps]}


__all__ = [
    "FLAG_CLOCK_SKEW",
    "FLAG_CYCLE",
    "FLAG_DUPLICATE",
    "FLAG_FOREIGN",
    "FLAG_NO_SESSION",
    "FLAG_ORPHAN",
    "STEP_KINDS",
    "Evaluation",
    "SessionSummary",
    "StartOrder",
    "Step",
    "StepError",
    "StepKind",
    "StepStatus",
    "Timeline",
]
