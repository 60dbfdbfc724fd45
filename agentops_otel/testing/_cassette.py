"""The cassette: one agent session, step by step, in a file a reviewer can read.

A cassette holds what a replay needs and nothing else: each LLM call's request (in the GenAI
"parts" shape the trace uses, so a cassette built from a trace and one recorded live compare equal)
and its answer as the provider sent it (a JSON body, or the server-sent events of a stream), and each
tool call's arguments and result. Steps are in the order the agent took them; a step made inside a
tool names that tool's step as its ``parent``, so answering the tool from the recording skips them.

The file is stable JSON (sorted keys, two-space indent, one stream event per line) so that a
re-recording shows up in code review as the few lines that changed. Loading is strict: a truncated
file, a hand edit that drops a field or a step, another format or another agent version fails with
a message naming what is wrong, because the alternative — replaying a partial recording — would let
the agent make a call the cassette cannot answer.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final, Literal

import msgspec

from ._bodies import bad_body

__all__ = [
    "FORMAT",
    "Cassette",
    "CassetteError",
    "LLMStep",
    "SessionInfo",
    "ToolStep",
    "dumps",
    "load",
]

FORMAT: Final = "agentops-otel/cassette@1"


class CassetteError(Exception):
    """A cassette that cannot be replayed: missing, truncated, hand-edited, of another agent version."""


CassetteError.__module__ = "agentops_otel.testing"


class LLMStep(msgspec.Struct, tag="llm", tag_field="kind", omit_defaults=True):
    """One model call: the request as the trace shows it, the answer as the provider sent it."""

    index: int
    provider: str
    endpoint: str
    """The API path after the client's base URL (``/chat/completions``, ``/messages``)."""
    request: dict[str, Any]
    """model, messages, system, tools, params: what divergence compares."""
    status: int
    body: Any = None
    """The JSON body of a non-streamed answer (or of an error); for any other answer its text, or its bytes
    in base64 (``body_encoding``)."""
    events: list[dict[str, Any]] | None = None
    """A streamed answer: server-sent events as ``{"event": ..., "data": ...}`` in order."""
    parent: int | None = None
    extra: dict[str, Any] | None = None
    """The request's other body fields (``tool_choice``, ``response_format``, ``stream_options``, ...),
    compared too. None when they are unknown — a cassette built from a trace, or recorded before they
    were kept — and then a replay compares ``request`` alone."""
    content_type: str | None = None
    """The answer's content type when it was not JSON (audio, a file's text): a replay sends ``body`` back
    as these bytes. None for JSON, and in cassettes recorded before it was kept (which replay as JSON)."""
    body_encoding: str | None = None
    """``base64`` when ``body`` holds the answer's bytes (media, or bytes that are not text)."""
    concurrent: list[int] = msgspec.field(default_factory=list)
    """The earlier steps this one ran alongside (threads, ``asyncio.gather``): a replay may meet it before them.
    Empty for a step that began once every earlier step had ended or was one of its callers (``_concurrency``)."""
    headers: dict[str, str] | None = None
    """The request's headers that turn provider features on (``anthropic-beta``, ``openai-beta``), when it sent
    any: compared where the cassette keeps them (:attr:`Cassette.beta_headers`)."""
    answer_headers: dict[str, str] | None = None
    """The answer's headers that steer the SDK's retries (``x-should-retry``, ``retry-after-ms``, ``retry-after``),
    when it sent any: a replay sends them back with the answer. None in cassettes recorded before they were kept
    and in those made from a trace, which replay as before: the SDK retries by status, after its own backoff."""
    stream_error: dict[str, str] | None = None
    """``{"type": ..., "message": ...}`` when the connection failed while the answer streamed (dropped, timed
    out): ``events`` are what arrived before it, and a replay raises it after them, as the agent saw it. A
    connection that failed before any answer is ``status`` 0 with the error as ``body``."""


class ToolStep(msgspec.Struct, tag="tool", tag_field="kind", omit_defaults=True):
    """One ``@tool`` / ``@record_action`` call, or an event the agent recorded by hand (``agentops.record``)."""

    index: int
    name: str
    arguments: dict[str, Any]
    tool_type: str = "tool"
    """``tool`` or ``action`` (``@record_action``); ``llm`` for ``record(LLMEvent)`` (``name`` is the model,
    ``arguments`` its prompt) and ``error`` for ``record(ErrorEvent)`` (``name`` is its type). Those two have
    nothing a replay could answer, but they are what the agent did, so a replay checks them."""
    result: Any = None
    result_is_json: bool = True
    """False when the result was not plain JSON (an object): it is recorded by repr and cannot be answered."""
    error: dict[str, str] | None = None
    """``{"type": ..., "message": ...}`` when the call raised (or the recorded event carries an error)."""
    parent: int | None = None
    concurrent: list[int] = msgspec.field(default_factory=list)
    """The earlier steps this one ran alongside (threads, ``asyncio.gather``): a replay may meet it before them.
    Empty for a step that began once every earlier step had ended or was one of its callers (``_concurrency``)."""


Step = LLMStep | ToolStep


class SessionInfo(msgspec.Struct, omit_defaults=True):
    """What the recorded session showed: what an exported test asserts."""

    id: str | None = None
    name: str | None = None
    end_state: str | None = None
    cost_usd: float | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    raised: str | None = None
    """The class of the exception that left the session (:attr:`SessionSummary.raised`): a test exported from a
    failed session expects it. None when none is recorded: the agent ended the session itself (it may have
    raised after), or the cassette was recorded before this was kept; such a test accepts either outcome."""

    @classmethod
    def of(cls, session: Any) -> SessionInfo:
        """What a live ``session`` shows; which exception left it is read back from its ended root, as from a
        trace (unknown while it runs, or when it was not recorded)."""
        raised = None
        if session.end_state is not None:
            try:
                raised = session.timeline().summary.raised
            except Exception:  # not recorded (switched off while it ran): nothing to say
                raised = None
        return cls(session.id, session.name, session.end_state, session._known_cost, list(session.tags), raised)


class Cassette(msgspec.Struct, forbid_unknown_fields=False):
    """A recorded session; ``step_count`` guards against a cut or hand-shortened file."""

    format: str
    steps: list[LLMStep | ToolStep]
    step_count: int
    agent_version: str | None = None
    recorded_from: str = "live"
    """``live`` (recorded in-process) or the source a trace was read from."""
    why: str = ""
    """Why this cassette exists rather than replaying from the trace itself."""
    session: SessionInfo = msgspec.field(default_factory=SessionInfo)
    sdk: dict[str, str] = msgspec.field(default_factory=dict)
    hand_events: bool = False
    """True when ``record(LLMEvent)`` / ``record(ErrorEvent)`` calls and the errors of recorded events are
    steps of this cassette (live recordings since they are kept). A cassette without them (recorded
    earlier, or made from a trace) lets a replay pass those by, as it always did, rather than fail every
    agent that records them; re-record it to check them. One made from a trace still holds the
    ``record(LLMEvent)`` calls its spans mark (``llm`` steps), and a replay checks those."""
    callers: bool = False
    """True when each step's ``parent`` is the call it ran inside, wherever its context went (live recordings
    since the caller travels in the OpenTelemetry context, and every cassette made from a trace's parent ids).
    An older live recording saved a tool handed to ``SessionExecutor`` or ``carry_context`` without its
    caller, so a replay does not check the callers of a live cassette without this (see ``checks_callers``)."""
    beta_headers: bool = False
    """True when each model call's :attr:`LLMStep.headers` are the beta headers its request sent (live recordings
    since they are kept). Without it (recorded earlier, or made from a trace) a replay does not compare them."""

    @classmethod
    def new(cls, steps: list[Step], *, agent_version: str | None = None, recorded_from: str = "live",
            why: str = "", session: SessionInfo | None = None, sdk: dict[str, str] | None = None,
            hand_events: bool = False, callers: bool = False, beta_headers: bool = False) -> Cassette:
        return cls(FORMAT, list(steps), len(steps), agent_version, recorded_from, why,
                   session or SessionInfo(), dict(sdk or {}), hand_events, callers, beta_headers)

    def save(self, path: str | Path) -> Path:
        """Write the cassette (parent folders created); returns the path.

        The file is 0600 wherever it goes: it holds whole prompts and tool values. Its folder is the
        user's choice, made as usual (a test's cassettes are meant to be committed).
        """
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.chmod(tmp, 0o600)  # before the content: a crashed write's leftover must not lend us its mode
            handle.write(dumps(self))
        tmp.replace(out)  # a crash mid-write never leaves a truncated cassette behind
        return out

    def tools(self) -> list[ToolStep]:
        """The tool and action calls: not the model calls and errors recorded by hand, which run nothing."""
        return [s for s in self.steps if isinstance(s, ToolStep) and s.tool_type not in ("llm", "error")]

    def llm_calls(self) -> list[LLMStep]:
        return [s for s in self.steps if isinstance(s, LLMStep)]


_EVENT_MARK = "\x00event:"


def dumps(cassette: Cassette) -> str:
    """Stable, reviewable JSON: sorted keys, one value per line, one stream event (and one list of steps run
    alongside) per line."""
    doc = msgspec.to_builtins(cassette)
    events: list[str] = []
    for step in doc["steps"]:
        if step.get("concurrent"):  # one line, however many calls ran alongside
            events.append(json.dumps(step["concurrent"]))
            step["concurrent"] = f"{_EVENT_MARK}{len(events) - 1}"
        if step.get("events"):
            marked = []
            for ev in step["events"]:
                events.append(json.dumps(ev, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")))
                marked.append(f"{_EVENT_MARK}{len(events) - 1}")
            step["events"] = marked
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False)
    for i, ev in enumerate(events):
        text = text.replace(json.dumps(f"{_EVENT_MARK}{i}"), ev, 1)
    return text + "\n"


def load(path: str | Path, *, agent_version: str | None = None) -> Cassette:
    """Read and check a cassette; every problem is a :class:`CassetteError` naming what is wrong."""
    where = Path(path)
    try:
        raw = where.read_bytes()
    except FileNotFoundError:
        raise CassetteError(f"no cassette at {where} (record it first: pytest --agent-record-mode=record, "
                            "or agentops-otel export-test)") from None
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {where}: {exc.strerror or exc}") from None
    return loads(raw, str(where), agent_version=agent_version)


def loads(raw: bytes | str, where: str = "<cassette>", *, agent_version: str | None = None) -> Cassette:
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        size = len(raw)
        raise CassetteError(f"cassette {where} is truncated or not JSON ({exc}; {size} bytes): "
                            "re-record it") from None
    if not isinstance(doc, dict):
        raise CassetteError(f"cassette {where} is not a JSON object")
    fmt = doc.get("format")
    if fmt != FORMAT:
        raise CassetteError(f"cassette {where} has format {fmt!r}; this agentops_otel reads {FORMAT!r}")
    try:
        cassette = msgspec.convert(doc, Cassette)
    except msgspec.ValidationError as exc:
        raise CassetteError(f"cassette {where} was edited into a shape it cannot replay: {exc}") from None
    _check_steps(cassette, where)
    if agent_version is not None and cassette.agent_version != agent_version:
        raise CassetteError(
            f"cassette {where} was recorded with agent version {cassette.agent_version!r}, this is "
            f"{agent_version!r}: re-record it (pytest --agent-record-mode=record) or replay the matching version")
    return cassette


def _check_steps(cassette: Cassette, where: str) -> None:
    steps = cassette.steps
    if not steps:
        raise CassetteError(f"cassette {where} holds no LLM or tool steps: replaying it would pass any agent "
                            "that makes no call the replay sees; re-record it")
    if len(steps) != cassette.step_count:
        raise CassetteError(f"cassette {where} says it holds {cassette.step_count} steps but has {len(steps)}: "
                            "it was cut or steps were deleted by hand; re-record it")
    for position, step in enumerate(steps):
        if step.index != position:
            raise CassetteError(f"cassette {where}: step at position {position} has index {step.index} "
                                f"(expected {position}): steps were removed, added or reordered by hand")
        if step.parent is not None and not 0 <= step.parent < position:
            raise CassetteError(f"cassette {where}: step {position} names parent {step.parent}, "
                                "which is not an earlier step")
        if any(not 0 <= other < position for other in step.concurrent):
            raise CassetteError(f"cassette {where}: step {position} names steps {step.concurrent} it ran alongside, "
                                "not all of them earlier steps")
        if isinstance(step, LLMStep) and step.body is None and step.events is None:
            raise CassetteError(f"cassette {where}: step {position} ({step.endpoint}) has neither a body nor "
                                "stream events: its answer is missing")
        if isinstance(step, LLMStep) and step.stream_error is not None and step.events is None:
            raise CassetteError(f"cassette {where}: step {position} ({step.endpoint}) has a stream_error but no "
                                "stream events: it was edited by hand; re-record it")
        if isinstance(step, LLMStep) and (why := bad_body(step)) is not None:
            raise CassetteError(f"cassette {where}: step {position} ({step.endpoint}) {why}: it was edited "
                                "by hand; re-record it")


def step_label(step: Step) -> str:
    """``llm gpt-4o-mini`` / ``tool lookup_invoices``: how messages name a step."""
    if isinstance(step, ToolStep):
        return f"{step.tool_type} {step.name}"
    model = step.request.get("model")
    return f"llm {model}" if model else f"llm {step.endpoint}"


Kind = Literal["llm", "tool"]
