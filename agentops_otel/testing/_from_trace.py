"""A cassette from the trace itself: a session read back from a file, Jaeger or Tempo.

When content capture held the session whole, the trace *is* the recording: each LLM span carries its
input and output messages, each tool span its arguments and result. This turns those back into what
a client needs — a chat completion body, or the chunks of a stream — so a production session can be
replayed without anything recorded beside it.

When the trace is not enough, the error says which step lacks what and why (content capture off,
a value cut at the size bound), so nobody replays a session with holes in it. Masked secrets are
carried over as masked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import genai_content, semconv
from .._batch_calls import is_batch
from .._cut import cut_marker
from .._serialize import from_json
from ..reassemble._summary import Issue
from ..timeline import Step, Timeline
from ._cassette import Cassette, CassetteError, LLMStep, SessionInfo, ToolStep
from ._concurrency import Timing, marked
from ._masking import mask
from ._providers import TRACE_ANSWERS, TRACE_SDKS, request_view

__all__ = ["cassette_from_source", "cassette_from_timeline"]

_OMITTED = '"omitted_messages"'
"""The marker message standing in for a history cut by AGENTOPS_OTEL_MAX_CONTENT_CHARS."""
_OMITTED_TOOLS = '"omitted_tools"'
"""The last entry of tool definitions cut by the same budget."""
_CHAT_ENDPOINT = TRACE_ANSWERS[1]
_CAPTURE_OFF = "content capture was off for it"
"""How a value missing from the trace is described: only then is turning content capture on the advice."""
_PROVIDER_NAMES = {semconv.PROVIDER_ANTHROPIC: "Anthropic", semconv.PROVIDER_AWS_BEDROCK: "AWS Bedrock",
                   semconv.PROVIDER_GCP_VERTEX_AI: "Vertex AI"}


def _content(step: Step) -> dict[str, Any]:
    """Attributes plus content that went to an event of the span instead (``event_only`` capture)."""
    return dict(genai_content.with_event_content(step.attributes, step.events))


def _holes(label: str, step: Step, attrs: Mapping[str, Any], needed: tuple[tuple[str, str], ...],
           optional: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """What keeps the step from being replayed; a value missing because the trace held it unreadable
    is reported as that, not blamed on content capture. ``optional`` values may be absent, but not cut."""
    problems: list[str] = []
    decode = getattr(step.attributes, "decoded", None)
    if decode is not None:
        decode()  # (read lazily: the loss is known once decoded)
    unreadable = getattr(step.attributes, "decode_error", None)
    if unreadable:
        problems.append(f"{label}: {unreadable}")
    for key, what in needed:
        value = attrs.get(key)
        if value is None:
            if not (unreadable and key in unreadable):
                problems.append(f"{label}: no {what} ({key}) — {_CAPTURE_OFF}")
        elif isinstance(value, str) and _OMITTED in value:
            problems.append(f"{label}: older {what} were left out by the content budget ({key})")
        elif isinstance(value, str) and cut_marker(from_json(value)) is not None:
            problems.append(f"{label}: {what} was cut at the size bound ({key})")
    for key, what in optional:
        value = attrs.get(key)
        if isinstance(value, str) and _OMITTED_TOOLS in value:
            problems.append(f"{label}: the last {what} were left out by the content budget ({key})")
        elif isinstance(value, str) and cut_marker(from_json(value)) is not None:
            problems.append(f"{label}: {what} were cut at the size bound ({key})")
    return problems


def _tool_error(step: Step) -> dict[str, str] | None:
    err = step.error
    if err is None:
        return None
    kind = (err.type or "Exception").rsplit(".", 1)[-1]
    return {"type": kind, "message": err.message or ""}


def _tool_step(step: Step, index: int, parent: int | None, problems: list[str]) -> ToolStep:
    attrs = _content(step)
    is_tool = step.kind == "tool"
    args_key = semconv.GEN_AI_TOOL_CALL_ARGUMENTS if is_tool else semconv.ACTION_PARAMS
    result_key = semconv.GEN_AI_TOOL_CALL_RESULT if is_tool else semconv.ACTION_RETURNS
    label = f"step {index} ({step.kind} {step.name})"
    error = _tool_error(step)
    needed = ((args_key, "arguments"),) if error is not None else ((args_key, "arguments"), (result_key, "result"))
    problems.extend(_holes(label, step, attrs, needed))
    arguments = from_json(attrs.get(args_key))
    return ToolStep(index, step.name, mask(arguments if isinstance(arguments, dict) else {"*args": arguments}),
                    "tool" if is_tool else "action", mask(from_json(attrs.get(result_key))), True, error, parent)


def _llm_step(step: Step, index: int, parent: int | None, problems: list[str]) -> LLMStep:
    attrs = _content(step)
    label = f"step {index} (llm {step.model or step.name})"
    if is_batch(step):  # no content to capture: nothing else is missing, and a capture setting would not help
        problems.append(f"{label}: a batch submit: the batch it created is not in the trace (a live recording's "
                        "cassette answers it)")
        return LLMStep(index, str(attrs.get(semconv.GEN_AI_PROVIDER_NAME)), "", {}, 0, parent=parent)
    operation = attrs.get(semconv.GEN_AI_OPERATION_NAME)
    if operation not in (semconv.OP_CHAT, None):
        problems.append(f"{label}: a {operation} call's answer is not in the trace (only chat calls are)")
    failed = _tool_error(step)
    if failed is not None:  # what had streamed may be on the span; how the call then broke is not
        problems.append(f"{label}: the call failed ({failed['type']}), and a trace holds no answer that fails "
                        "as it did: a replay from it would hand the agent a clean one")
    outputs_needed = () if failed is not None else ((semconv.GEN_AI_OUTPUT_MESSAGES, "output messages"),)
    problems.extend(_holes(label, step, attrs, ((semconv.GEN_AI_INPUT_MESSAGES, "input messages"), *outputs_needed),
                           ((semconv.GEN_AI_TOOL_DEFINITIONS, "tool definitions"),)))
    provider = str(attrs.get(semconv.GEN_AI_PROVIDER_NAME) or semconv.PROVIDER_OPENAI)
    sdk = TRACE_SDKS.get(provider)
    if sdk != TRACE_ANSWERS[0]:
        name = _PROVIDER_NAMES.get(provider, provider)
        problems.append(f"{label}: {name} answers are not rebuilt from traces yet (only OpenAI and Azure OpenAI "
                        "chat calls are)")
    view = mask(request_view({k: v for k, v in attrs.items() if k != semconv.GEN_AI_OUTPUT_MESSAGES}))
    outputs = from_json(attrs.get(semconv.GEN_AI_OUTPUT_MESSAGES))
    messages = outputs if isinstance(outputs, list) else []
    body = _completion(attrs, messages, step.start_ns)
    client = sdk or provider  # the recording names the SDK that answers, as a live one does
    if attrs.get(semconv.GEN_AI_REQUEST_STREAM) is True:
        return LLMStep(index, client, _CHAT_ENDPOINT, view, 200, events=_chunks(body), parent=parent)
    return LLMStep(index, client, _CHAT_ENDPOINT, view, 200, body=body, parent=parent)


def _hand_llm_step(step: Step, index: int, parent: int | None, problems: list[str]) -> ToolStep:
    """A model call the agent reported with ``record(LLMEvent)``: the step a live recording makes of it, checked
    by model and prompt. It has no answer to rebuild (no SDK call asks for one; the completion is the
    model's), and replayed as a chat call it would wait for a request the agent never sends."""
    attrs = _content(step)
    model = str(attrs.get(semconv.GEN_AI_REQUEST_MODEL) or "unknown")
    label = f"step {index} (llm {model})"
    problems.extend(_holes(label, step, attrs, ()))
    prompt = from_json(attrs.get(semconv.GEN_AI_INPUT_MESSAGES))
    if cut_marker(prompt) is not None:
        problems.append(f"{label}: the prompt was cut at the size bound ({semconv.GEN_AI_INPUT_MESSAGES})")
    arguments: dict[str, Any] = {"prompt": prompt}
    operation = attrs.get(semconv.GEN_AI_OPERATION_NAME)
    if operation not in (semconv.OP_CHAT, None):  # the span's label: chat unless another known one was given
        arguments["operation"] = operation
    return ToolStep(index, model, mask(arguments), "llm", None, True, _tool_error(step), parent)


def _message(msg: Mapping[str, Any]) -> dict[str, Any]:
    text = "".join(str(p.get("content", "")) for p in msg.get("parts", ()) if p.get("type") == "text")
    calls = [{"id": p.get("id") or f"call_{i}", "type": "function",
              "function": {"name": p.get("name"), "arguments": p["arguments"] if isinstance(p.get("arguments"), str)
                           else json.dumps(p.get("arguments"))}}
             for i, p in enumerate(msg.get("parts", ())) if p.get("type") == "tool_call"]
    out: dict[str, Any] = {"role": msg.get("role") or "assistant", "content": text or None}
    if calls:
        out["tool_calls"] = calls
    return out


def _completion(attrs: Mapping[str, Any], messages: list[Any], start_ns: int) -> dict[str, Any]:
    """The chat completion a client would have received, from the span's response attributes."""
    reasons = list(attrs.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS) or ())
    choices = []
    for i, msg in enumerate(m for m in messages if isinstance(m, dict)):
        reason = msg.get("finish_reason") or (reasons[i] if i < len(reasons) else "stop")
        choices.append({"index": i, "message": _message(msg), "finish_reason": reason})
    body: dict[str, Any] = {
        "id": attrs.get(semconv.GEN_AI_RESPONSE_ID) or "chatcmpl-replay",
        "object": "chat.completion",
        "created": start_ns // 1_000_000_000,
        "model": attrs.get(semconv.GEN_AI_RESPONSE_MODEL) or attrs.get(semconv.GEN_AI_REQUEST_MODEL) or "",
        "choices": choices,
    }
    tokens_in = attrs.get(semconv.GEN_AI_USAGE_INPUT_TOKENS)
    tokens_out = attrs.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)
    if isinstance(tokens_in, int) and isinstance(tokens_out, int):
        body["usage"] = {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                         "total_tokens": tokens_in + tokens_out}
    return body


def _chunks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The same completion as stream chunks: content, tool calls, finish reason, usage, [DONE]."""
    base = {"id": body["id"], "object": "chat.completion.chunk", "created": body["created"], "model": body["model"]}
    events: list[dict[str, Any]] = []
    for choice in body["choices"]:
        msg = choice["message"]
        delta: dict[str, Any] = {"role": "assistant", "content": msg.get("content") or ""}
        if msg.get("tool_calls"):
            delta["tool_calls"] = [{"index": j, **call} for j, call in enumerate(msg["tool_calls"])]
        events.append({"data": {**base, "choices": [{"index": choice["index"], "delta": delta,
                                                      "finish_reason": None}]}})
        events.append({"data": {**base, "choices": [{"index": choice["index"], "delta": {},
                                                      "finish_reason": choice["finish_reason"]}]}})
    if "usage" in body:
        events.append({"data": {**base, "choices": [], "usage": body["usage"]}})
    events.append({"data": "[DONE]"})
    return events


def cassette_from_timeline(timeline: Timeline, *, source: str = "trace",
                           agent_version: str | None = None) -> Cassette:
    """The session's steps as a cassette; :class:`CassetteError` lists every step the trace cannot replay."""
    steps: list[LLMStep | ToolStep] = []
    timings: list[Timing] = []
    by_span: dict[str, int] = {}
    problems: list[str] = []
    spans = {s.span_id: s for s in timeline.steps}
    for step in timeline.steps:
        if step.kind not in ("llm", "tool", "action"):
            continue
        parent = _parent(step, spans, by_span)
        index = len(steps)
        if step.kind == "llm" and step.attributes.get(semconv.LLM_RECORDED_BY_HAND) is True:
            steps.append(_hand_llm_step(step, index, parent, problems))
        elif step.kind == "llm":
            steps.append(_llm_step(step, index, parent, problems))
        else:
            steps.append(_tool_step(step, index, parent, problems))
            by_span[step.span_id] = index
        timings.append(Timing(step.start_ns, step.start_ns + round(step.duration_s * 1e9)))
    summary = timeline.summary
    if Issue.UNKNOWN_END_STATE in summary.issue_kinds:
        # The generated test would pin a state the assertions don't know: it could only raise.
        problems.append("session: no end state recorded" if summary.end_state is None
                        else f"session: end state {summary.end_state!r} is not Success, Fail or Indeterminate")
    if problems:
        shown = "\n  ".join(problems[:20]) + (f"\n  … {len(problems) - 20} more" if len(problems) > 20 else "")
        capture = (f"with content capture on ({semconv.ENV_CAPTURE_CONTENT}=span_only) or "
                   if any(_CAPTURE_OFF in problem for problem in problems) else "")
        raise CassetteError(f"session {summary.session_id} in {source} cannot be replayed from its trace:\n  "
                            f"{shown}\nRecord it {capture}with a cassette "
                            "(agentops_otel.testing.record / pytest --agent-record-mode=record).")
    if not steps:
        raise CassetteError(f"session {summary.session_id} in {source} has no LLM or tool steps to replay")
    info = SessionInfo(summary.session_id, summary.name, summary.end_state, summary.cost_usd, list(summary.tags),
                       summary.raised)
    steps = marked(steps, timings)  # spans that overlapped ran alongside
    return Cassette.new(steps, agent_version=agent_version, recorded_from=source,
                        why="the trace holds every step whole (content capture on, nothing cut); its LLM requests "
                            "are checked on what the spans carry (model, messages, system, tools, sampling "
                            "parameters), not on other request fields such as tool_choice or response_format's "
                            "schema", session=info, callers=True)


def _parent(step: Step, spans: Mapping[str, Step], by_span: Mapping[str, int]) -> int | None:
    """The nearest enclosing tool/action step (LLM calls made inside a tool belong to it)."""
    current = step.parent_span_id
    while current is not None:
        if current in by_span:
            return by_span[current]
        above = spans.get(current)
        current = above.parent_span_id if above is not None else None
    return None


def cassette_from_source(session_id: str, source: str, *, timeout: float = 10.0,
                         agent_version: str | None = None) -> Cassette:
    """Read one session from a file, ``jaeger://`` or ``tempo://`` and make it a cassette."""
    from ..read import TraceNotFound, open_source
    from ..reassemble import reassemble

    src = open_source(source, timeout=timeout)
    try:
        try:
            records = src.session(session_id)
        except TraceNotFound:
            records = []
    finally:
        src.close()
    found = [t for t in reassemble(records).sessions if t.summary.session_id == session_id] if records else []
    if not found:
        raise CassetteError(f"no session {session_id!r} in {source}")
    return cassette_from_timeline(found[0], source=source, agent_version=agent_version)
