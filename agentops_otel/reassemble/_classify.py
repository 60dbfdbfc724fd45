"""What a span is (LLM call, tool, action, ...) and the small helpers every step of the reassembly shares.

The GenAI conventions name spans ``{operation} {target}``, so the name of one of our spans settles its
kind without decoding attributes; results are cached per span name. Another instrumentation's span is
what its attributes say, as in the live session: its name is anyone's to choose.
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Any, Final

from agentops_otel import genai_spans
from agentops_otel import semconv as sc
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.read._record import SpanRecord
from agentops_otel.timeline import (
    StepKind,
    StepStatus,
)

# --- classification --------------------------------------------------------------------------
_NAME_KINDS: Final[dict[str, StepKind]] = {
    sc.OP_CHAT: "llm", sc.OP_TEXT_COMPLETION: "llm", sc.OP_GENERATE_CONTENT: "llm", sc.OP_EMBEDDINGS: "llm",
    sc.OP_EXECUTE_TOOL: "tool", sc.OP_INVOKE_AGENT: "agent", sc.OP_CREATE_AGENT: "agent",
}
_OP_KINDS: Final[dict[str, StepKind]] = dict(_NAME_KINDS)
_OPENINFERENCE_KIND: Final = "openinference.span.kind"
_TRACELOOP_KIND: Final = sc.TL_SPAN_KIND
_OI_KINDS: Final[dict[str, StepKind]] = {
    "LLM": "llm", "EMBEDDING": "llm", "TOOL": "tool", "AGENT": "agent", "CHAIN": "agent",
}
_TL_KINDS: Final[dict[str, StepKind]] = {"workflow": "agent", "agent": "agent", "task": "agent", "tool": "tool"}
_OWN_SCOPE: Final = sc.INSTRUMENTATION_SCOPE
_STATUS: Final[tuple[StepStatus, ...]] = ("unset", "ok", "error")
_NO_FLAGS: Final[tuple[str, ...]] = ()
_MISSING: Final[Any] = object()
# Span name -> (kind, display name) for names whose classification needs no attributes.
_KIND_CACHE_OWN: dict[str, tuple[StepKind, str]] = {}
_KIND_CACHE_FOREIGN: dict[str, tuple[StepKind, str]] = {}


def _classify(rec: SpanRecord, own: bool) -> tuple[StepKind, str, bool]:
    """(kind, display name, decided by the name alone).

    Our spans are named ``{operation} {target}`` with the operation in their attributes too, so their
    name settles the kind without decoding attributes. Otherwise ``gen_ai.operation.name``, then
    OpenInference's and traceloop's span kinds, then the LLM attributes the live session counts; with
    none of these, a conventional name counts only from a GenAI instrumentation
    (``semconv.GENAI_SCOPE_PREFIXES``), else "other". A foreign span is never decided by its name alone:
    the cache, keyed by name, cannot tell a websocket's ``chat support-room`` from a model call.
    """
    name = rec.name
    head, _, tail = name.partition(" ")
    if own and tail:
        kind = _NAME_KINDS.get(head)
        if kind is not None:
            return kind, tail, True
        if head == sc.SPAN_ACTION:
            return "action", tail, True
        if head == sc.SPAN_ERROR:
            return "error", tail, True
        if head == sc.SPAN_EVALUATION:
            return "evaluation", tail, True
    attrs = rec.attributes
    op = attrs.get(sc.GEN_AI_OPERATION_NAME)
    kind = _OP_KINDS.get(op) if isinstance(op, str) else None
    if kind is None:
        if attrs.get(sc.ACTION_TYPE) is not None:
            return "action", str(attrs.get(sc.ACTION_TYPE)), False
        oi = attrs.get(_OPENINFERENCE_KIND)
        tl = attrs.get(_TRACELOOP_KIND)
        if isinstance(oi, str):
            kind = _OI_KINDS.get(oi.upper(), "other")
        elif isinstance(tl, str):
            kind = _TL_KINDS.get(tl.lower(), "other")
        elif genai_spans.is_llm(attrs):
            kind = "llm"
        elif op is not None:
            kind = "other"
        else:
            kind = _NAME_KINDS.get(head) if tail and rec.scope.startswith(sc.GENAI_SCOPE_PREFIXES) else None
            if kind is None:
                return "other", name, False
            name = tail  # the conventional name's target: model, tool or agent
    if kind == "llm":
        model = attrs.get(sc.GEN_AI_REQUEST_MODEL) or genai_spans.model_of(attrs)
        return kind, str(model) if model else name, False
    if kind == "tool":
        # OpenLLMetry names a tool's span "get_weather.tool": the tool is its entity name, or
        # assert_tool_not_called("get_weather") would pass on a call it did not recognise.
        tool = attrs.get(sc.GEN_AI_TOOL_NAME) or attrs.get(sc.OI_TOOL_NAME) or attrs.get(sc.TL_ENTITY_NAME)
        return kind, str(tool) if tool else name, False
    return kind, name, False


def _session_id_of(rec: SpanRecord) -> str | None:
    attrs = rec.attributes
    if type(attrs) is _LAZY:
        return attrs.session_id()  # type: ignore[attr-defined,no-any-return]
    value = attrs.get(sc.SESSION_ID)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _service(rec: SpanRecord) -> str | None:
    v = rec.resource.get(sc.SERVICE_NAME)
    return v if isinstance(v, str) else None


def _str(v: Any) -> str | None:
    return None if v is None else v if isinstance(v, str) else str(v)


_as_int = genai_spans.whole


def _as_float(v: Any, *, finite: bool = True) -> float | None:
    """A number as written, else None; NaN and infinities too unless ``finite`` is off: no figure is
    computed from them (and NaN compares false with every bound)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if not finite or math.isfinite(f) else None


def seq_of(rec: SpanRecord) -> int | None:
    """The span's ``agentops.seq``, without decoding its other attributes where the bytes allow."""
    attrs = rec.attributes
    if type(attrs) is _LAZY:
        return attrs.seq()  # type: ignore[attr-defined,no-any-return]
    return _as_int(attrs.get(sc.SEQ))


def _seq_key(rec: SpanRecord) -> tuple[int, int, str, str]:
    seq = seq_of(rec)
    return (rec.start_ns, seq if seq is not None else 1 << 62, rec.span_id, rec.trace_id)


def _root_key(rec: SpanRecord) -> tuple[int, str, str]:
    return (rec.start_ns, rec.span_id, rec.trace_id)


_START: Final = attrgetter("start_ns")
_LAZY: Final[type] = LazyAttributes


def _sort_siblings(nodes: list[SpanRecord]) -> None:
    """By start time; ties (common with coarse clocks) by ``agentops.seq``, then span id."""
    if len(nodes) < 2:
        return
    nodes.sort(key=_START)
    prev = nodes[0].start_ns
    for n in nodes[1:]:
        if n.start_ns == prev:
            nodes.sort(key=_seq_key)  # decode seq only when a tie makes it matter
            return
        prev = n.start_ns
