"""One step of a session's replay: a span seen as a tool call, an action, an LLM call, an error or a
nested session, with what it took and gave (see :mod:`agentops_otel.timeline` for why these are
frozen ``msgspec.Struct``s)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

import msgspec

from agentops_otel import genai_content, genai_spans
from agentops_otel import semconv as sc
from agentops_otel.read._record import SpanEventRecord

StepKind = Literal["llm", "tool", "action", "error", "session", "agent", "other", "evaluation"]
"""``session`` is the root of a nested session; ``agent`` a foreign agent/chain/workflow span;
``evaluation`` a verdict recorded after its session ended (the reassembler folds it into
``SessionSummary.evaluations``: it never appears among a timeline's steps)."""

StepStatus = Literal["ok", "error", "unset"]

STEP_KINDS: tuple[StepKind, ...] = ("llm", "tool", "action", "error", "session", "agent", "other")

# Flags a step can carry; renderers show them, tests assert on them.
FLAG_ORPHAN = "orphan"
"""The span's parent never arrived: it hangs directly under the session."""
FLAG_CLOCK_SKEW = "clock_skew_adjusted"
"""The span (or an ancestor) started outside its parent's interval and was shifted into it."""
FLAG_DUPLICATE = "duplicate"
"""The same span id arrived more than once; one copy is kept and carries this flag."""
FLAG_CYCLE = "parent_cycle"
"""The span's parent chain looped back onto itself; the loop was cut here."""
FLAG_FOREIGN = "foreign"
"""The span came from another instrumentation (OpenInference, traceloop, ...); its name, attributes, events and
status message read masked as ours are at capture (``reassemble/_masked.py``)."""
FLAG_NO_SESSION = "no_session"
"""The span carried no ``session.id`` and sits in a per-trace pseudo-session."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})

# Other instrumentations' content keys, shown for their agent/chain/other spans.
_OI_INPUT = sc.OI_INPUT_VALUE
_OI_OUTPUT = sc.OI_OUTPUT_VALUE
_TL_INPUT = sc.TL_ENTITY_INPUT
_TL_OUTPUT = sc.TL_ENTITY_OUTPUT


class StepError(msgspec.Struct, frozen=True, gc=False):
    """What went wrong on a step, from its ``exception`` event or its status and ``error.type``."""

    type: str | None
    message: str | None
    stacktrace: str | None
    span_id: str


# A tool another instrumentation traced keeps its arguments and result where that one writes a span's
# input and output (OpenInference's TOOL spans, OpenLLMetry's @tool): without them its calls would
# replay empty and with_args would refuse them as if content capture were off.
_INPUT_KEYS: dict[str, tuple[str, ...]] = {
    "tool": (sc.GEN_AI_TOOL_CALL_ARGUMENTS, _OI_INPUT, _TL_INPUT),
    "action": (sc.ACTION_PARAMS,),
    "llm": (sc.GEN_AI_INPUT_MESSAGES,),
    "agent": (_OI_INPUT, _TL_INPUT),
    "other": (_OI_INPUT, _TL_INPUT),
}
_OUTPUT_KEYS: dict[str, tuple[str, ...]] = {
    "tool": (sc.GEN_AI_TOOL_CALL_RESULT, _OI_OUTPUT, _TL_OUTPUT),
    "action": (sc.ACTION_RETURNS,),
    "llm": (sc.GEN_AI_OUTPUT_MESSAGES,),
    "agent": (_OI_OUTPUT, _TL_OUTPUT),
    "other": (_OI_OUTPUT, _TL_OUTPUT),
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return msgspec.json.encode(value, enc_hook=repr).decode()
    except (TypeError, ValueError):
        return repr(value)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


_int = genai_spans.whole


class Step(msgspec.Struct, frozen=True, gc=False):
    """One span of a session as a replay line; offsets are relative to the session start.

    Content (``input``, ``output``, ``model``, cost, tokens, ``error``) is read from ``attributes``
    and ``events`` when asked for, not when the step is built: attributes stay undecoded until
    then, which keeps reassembling many sessions about as fast as parsing them. To build a step by
    hand with content, use ``Step.build``.
    """

    span_id: str
    parent_span_id: str | None
    trace_id: str
    session_id: str | None
    kind: StepKind
    name: str
    """Tool name, model, action type, nested session name, else the span name."""
    span_name: str
    offset_s: float
    """Seconds from the session start, after any clock-skew adjustment."""
    duration_s: float
    depth: int
    """0 = direct child of the session root (or of the session level, for orphans)."""
    status: StepStatus
    attributes: Mapping[str, Any] = _EMPTY
    events: tuple[SpanEventRecord, ...] = ()
    flags: tuple[str, ...] = ()
    skew_ns: int = 0
    """How far this step was shifted to fit its parent (0 when it was not)."""
    service_name: str | None = None
    status_message: str = ""
    start_ns: int = 0
    """Absolute start (unix ns) after any clock-skew adjustment."""

    # --- content, decoded on access -------------------------------------------------------
    def _first(self, keys: tuple[str, ...]) -> Any:
        attrs = self.attributes
        for k in keys:
            v = attrs.get(k)
            if v is not None:
                return v
        if self.events:  # captured event_only, a tool's or action's content is on an event of its span
            for k in keys:
                v = self.content_attribute(k)
                if v is not None:
                    return v
        return None

    def content_attribute(self, key: str) -> Any:
        """A content attribute of the span (``gen_ai.input.messages``, ``gen_ai.tool.call.arguments``...),
        else of its content event: captured ``event_only``, the content is only there."""
        return genai_content.content_attribute(self.attributes, self.events, key)

    @property
    def input(self) -> str | None:
        """Tool arguments / action params / LLM input messages: JSON text as recorded."""
        if self.kind == "llm":
            found = genai_content.input_messages(self.attributes)
            return _text(found if found is not None else self.content_attribute(sc.GEN_AI_INPUT_MESSAGES))
        return _text(self._first(_INPUT_KEYS.get(self.kind, ())))

    @property
    def output(self) -> str | None:
        if self.kind == "llm":
            found = genai_content.output_messages(self.attributes)
            return _text(found if found is not None else self.content_attribute(sc.GEN_AI_OUTPUT_MESSAGES))
        return _text(self._first(_OUTPUT_KEYS.get(self.kind, ())))

    @property
    def model(self) -> str | None:
        return genai_spans.model_of(self.attributes) if self.kind == "llm" else None

    def _usage(self) -> genai_spans.LLMUsage | None:
        """Tokens and cost of an LLM step, in our spelling or another instrumentation's (priced here)."""
        if self.kind != "llm":
            return None
        return genai_spans.llm_usage(self.attributes, own=FLAG_FOREIGN not in self.flags)

    @property
    def cost_usd(self) -> float | None:
        usage = self._usage()
        return usage.cost_usd if usage is not None else _num(self.attributes.get(sc.COST_USD))

    @property
    def input_tokens(self) -> int | None:
        usage = self._usage()
        return usage.input_tokens if usage is not None else _int(self.attributes.get(sc.GEN_AI_USAGE_INPUT_TOKENS))

    @property
    def output_tokens(self) -> int | None:
        usage = self._usage()
        return usage.output_tokens if usage is not None else _int(
            self.attributes.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS))

    @property
    def seq(self) -> int | None:
        """``agentops.seq`` when recorded."""
        return _int(self.attributes.get(sc.SEQ))

    @property
    def error(self) -> StepError | None:
        """The exception recorded on this step, or its error status; None when it did not fail."""
        if self.status != "error" and self.kind != "error":
            return None  # an exception recorded and handled is not a failure of the step
        exc = None
        for ev in self.events:
            if ev.name == "exception":
                exc = ev
        attrs = self.attributes
        etype = attrs.get(sc.ERROR_TYPE)
        message = attrs.get(sc.ERROR_MESSAGE) or self.status_message or None
        stack = None
        if exc is not None:
            ea = exc.attributes
            etype = ea.get("exception.type") or etype
            message = ea.get("exception.message") or message
            stack = ea.get("exception.stacktrace")
        return StepError(_text(etype), _text(message), _text(stack), self.span_id)

    # --- helpers ---------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        *,
        kind: StepKind,
        name: str,
        span_id: str = "0000000000000001",
        trace_id: str = "0" * 31 + "1",
        session_id: str | None = None,
        parent_span_id: str | None = None,
        span_name: str | None = None,
        offset_s: float = 0.0,
        duration_s: float = 0.0,
        depth: int = 0,
        status: StepStatus = "unset",
        input: str | None = None,
        output: str | None = None,
        model: str | None = None,
        cost_usd: float | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        error: StepError | None = None,
        attributes: Mapping[str, Any] | None = None,
        flags: tuple[str, ...] = (),
    ) -> Step:
        """A step made by hand (tests, renderers' fixtures): content goes where a reader finds it."""
        attrs: dict[str, Any] = dict(attributes or {})
        if input is not None and kind in _INPUT_KEYS:
            attrs[_INPUT_KEYS[kind][0]] = input
        if output is not None and kind in _OUTPUT_KEYS:
            attrs[_OUTPUT_KEYS[kind][0]] = output
        if model is not None:
            attrs[sc.GEN_AI_RESPONSE_MODEL] = model
        if cost_usd is not None:
            attrs[sc.COST_USD] = cost_usd
        if input_tokens is not None:
            attrs[sc.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
        if output_tokens is not None:
            attrs[sc.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
        events: tuple[SpanEventRecord, ...] = ()
        if error is not None:
            status = "error"
            ev_attrs = {k: v for k, v in (("exception.type", error.type), ("exception.message", error.message),
                                          ("exception.stacktrace", error.stacktrace)) if v is not None}
            events = (SpanEventRecord("exception", 0, MappingProxyType(ev_attrs)),)
        prefix = {"tool": sc.SPAN_TOOL, "action": sc.SPAN_ACTION, "error": sc.SPAN_ERROR,
                  "session": sc.SPAN_SESSION, "llm": sc.OP_CHAT}.get(kind)
        return cls(
            span_id=span_id, parent_span_id=parent_span_id, trace_id=trace_id, session_id=session_id,
            kind=kind, name=name, span_name=span_name or (f"{prefix} {name}" if prefix else name),
            offset_s=offset_s, duration_s=duration_s, depth=depth, status=status,
            attributes=MappingProxyType(attrs), events=events, flags=flags,
        )

    def to_builtins(self) -> dict[str, Any]:
        """Plain JSON-ready data, content included (decodes the attributes)."""
        err = self.error
        return {
            "span_id": self.span_id, "parent_span_id": self.parent_span_id, "trace_id": self.trace_id,
            "session_id": self.session_id, "kind": self.kind, "name": self.name,
            "span_name": self.span_name, "offset_s": self.offset_s, "duration_s": self.duration_s,
            "depth": self.depth, "status": self.status,
            "error": None if err is None else msgspec.structs.asdict(err),
            "input": self.input, "output": self.output, "model": self.model, "cost_usd": self.cost_usd,
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens, "seq": self.seq,
            "flags": list(self.flags), "skew_ns": self.skew_ns, "service_name": self.service_name,
            "attributes": msgspec.to_builtins(dict(self.attributes), enc_hook=repr),
        }
