"""Recording a session live: every LLM exchange and tool call, whole, in the order the agent made them.

The trace already holds a session's content when capture is on, but bounded (values over
``AGENTOPS_OTEL_MAX_VALUE_CHARS`` are cut) and only as the GenAI attributes, not the bytes a client
needs to be answered. The recorder keeps the whole values and the provider's answers, masked by the
same rules as the trace, and :meth:`Recorder.where` says whether the trace alone would have been
enough to replay the session, and if not, why.

Recording runs the agent for real: our bookkeeping is guarded so that it can never change what the
agent gets back; only a failure to *save* the cassette is reported to the caller.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from contextvars import Token
from pathlib import Path
from typing import Any

from .. import _forksafe, _guard, _replay_hook
from .._private import private_folder
from .._serialize import to_json
from ._bodies import kept
from ._cassette import Cassette, CassetteError, LLMStep, SessionInfo, ToolStep
from ._concurrency import Branch, Lineage, Timing, branch_here, marked, running_here
from ._masking import mask, mask_events
from ._providers import (
    answer_headers,
    request_extra,
    request_headers,
    request_view,
    sse_events,
)
from ._seam import Exchange, current_parent, inside, install, uninstall
from ._tee import tee_stream
from ._trace_enough import WHOLE, llm_notes, size_notes, trace_gaps, trace_or_cassette

__all__ = ["Recorder", "record"]

logger = logging.getLogger("agentops_otel")
DEFAULT_DIR = ".agentops-otel/cassettes"
"""Where ``save_beside`` writes, next to the default trace file ``.agentops-otel/traces.jsonl``.

Its top folder is ours, as the trace sink's is: private (0700) and git-ignored (``agentops_otel._private``)."""


class Recorder:
    """Collects the steps of whatever the agent does while installed; :meth:`cassette` hands them over."""

    def __init__(self, *, agent_version: str | None = None) -> None:
        self.agent_version = agent_version
        self.steps: list[LLMStep | ToolStep] = []
        self._lock = _forksafe.lock()
        self._cut: list[str] = []
        self._unseen: list[str] = []
        self._session: Any = None
        self._clock = 0
        self._timings: list[Timing] = []
        """When each step ran, by index (a logical clock: the order of begins and ends, not the time)."""
        self._lines: dict[Branch, Lineage | None] = {}
        """Each branch the agent ran steps in, and the branch and clock it was forked from (None: not known)."""
        self._root: Token[Any] | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Recorder:
        install(self)
        root: Branch = (*running_here(), None)
        self._lines[root] = None
        self._root = _replay_hook.LINEAGE.set((root, 0))  # the code recorded: tasks it starts fork from it
        return self

    def __exit__(self, *exc: object) -> None:
        uninstall(self)
        if self._root is not None:
            with _guard.guard("replay.record_step"):  # a context other than the one entered in (a generator)
                _replay_hook.LINEAGE.reset(self._root)
            self._root = None

    def _add(self, make: Callable[[int], LLMStep | ToolStep]) -> LLMStep | ToolStep:
        if self._session is None:
            from .. import current_session

            self._session = current_session()  # the session the agent runs in: the cassette's name
        branch, forked_from, new = branch_here()
        with self._lock:
            step = make(len(self.steps))
            self.steps.append(step)
            self._clock += 1
            self._timings.append(Timing(self._clock, None, branch))
            if branch not in self._lines:
                self._lines[branch] = forked_from if new and forked_from and forked_from[0] in self._lines else None
            clock = self._clock
        _replay_hook.LINEAGE.set((branch, clock))  # this branch's last step: what tasks it starts fork from
        return step

    def _ended(self, step: LLMStep | ToolStep | None) -> None:
        """The step's call returned (a model call: its answer began to arrive) or raised."""
        if step is None:
            return
        with _guard.guard("replay.record_step"), self._lock:
            self._clock += 1
            if step.index < len(self._timings):
                began = self._timings[step.index]
                self._timings[step.index] = Timing(began.began, self._clock, began.branch)

    # --- LLM exchanges --------------------------------------------------------------------
    def _begin(self, ex: Exchange) -> LLMStep | None:
        try:
            view = mask(request_view(ex.provider.attributes(ex.endpoint, ex.body)))
            self._cut.extend(llm_notes(f"llm {view.get('model') or ex.endpoint}", view))
            extra = mask(request_extra(ex.provider, ex.endpoint, ex.body))
            parent = current_parent()
            headers = request_headers(ex.request) or None
            step = self._add(lambda i: LLMStep(i, ex.provider.name, ex.endpoint, view, 0, parent=parent,
                                               extra=extra, headers=headers))
            return step if isinstance(step, LLMStep) else None
        except Exception as exc:
            _guard.report("replay.record_request", exc)
            return None

    def _answer(self, step: LLMStep | None, response: Any, is_async: bool) -> None:
        if step is None:
            return
        try:
            step.status = int(response.status_code)
            step.answer_headers = answer_headers(response) or None
            if "text/event-stream" in response.headers.get("content-type", ""):
                step.events = []

                def done(raw: bytes, error: Exception | None) -> None:
                    step.events = mask_events(sse_events(raw))
                    if error is not None:
                        step.stream_error = _failure(error)

                tee_stream(response, done, is_async)
            else:
                step.body = None  # set below once the SDK (or we) read it
                if not is_async:
                    _keep(step, response, response.read())
        except Exception as exc:
            _guard.report("replay.record_response", exc)

    def send(self, exchange: Exchange, send: Callable[[], Any]) -> Any:
        step = self._begin(exchange)
        try:
            response = send()
        except BaseException as exc:
            self._failed(step, exc)
            self._ended(step)
            raise
        self._ended(step)
        self._answer(step, response, False)
        return response

    async def asend(self, exchange: Exchange, send: Callable[[], Awaitable[Any]]) -> Any:
        step = self._begin(exchange)
        try:
            response = await send()
        except BaseException as exc:
            self._failed(step, exc)
            self._ended(step)
            raise
        self._ended(step)
        self._answer(step, response, True)
        if step is not None and step.events is None:
            with _guard.guard("replay.record_response"):
                _keep(step, response, await response.aread())
        return response

    @staticmethod
    def _failed(step: LLMStep | None, exc: BaseException) -> None:
        if step is not None:
            step.status = 0
            step.body = {"error": _failure(exc)}

    def unseen(self, call: str, why: str) -> None:
        """The call runs live as it would unrecorded; the cassette, missing its step, is not saved."""
        with self._lock:
            self._unseen.append(f"{call}: {why}")

    # --- tools ----------------------------------------------------------------------------
    def _open_tool(self, kind: str, name: str, arguments: dict[str, Any]) -> ToolStep | None:
        try:
            args = mask(_plain(arguments))
            for arg, value in args.items():
                self._cut.extend(size_notes(f"{kind} {name} argument {arg}", value))
            parent = current_parent()
            step = self._add(lambda i: ToolStep(i, name, args, kind, parent=parent))
            return step if isinstance(step, ToolStep) else None
        except Exception as exc:
            _guard.report("replay.record_tool", exc)
            return None

    def _close_tool(self, step: ToolStep | None, result: Any = None, exc: BaseException | None = None) -> None:
        if step is None:
            return
        self._ended(step)
        with _guard.guard("replay.record_tool"):
            if exc is not None:
                step.error = {"type": _guard.type_name(exc, qualified=False),
                              "message": _guard.describe(exc).partition(": ")[2]}
                return
            plain = _plain(result)
            step.result_is_json = _is_json(result)
            step.result = mask(plain, answer=True)  # handed back by a replay that answers the tool
            self._cut.extend(size_notes(f"{step.tool_type} {step.name} result", step.result))

    def call(self, kind: str, name: str, arguments: dict[str, Any], run: Callable[[], Any]) -> Any:
        step = self._open_tool(kind, name, arguments)
        try:
            with inside(step.index if step is not None else None):
                result = run()
        except BaseException as exc:
            self._close_tool(step, exc=exc)
            raise
        self._close_tool(step, result)
        return result

    async def acall(self, kind: str, name: str, arguments: dict[str, Any],
                    run: Callable[[], Awaitable[Any]]) -> Any:
        step = self._open_tool(kind, name, arguments)
        try:
            with inside(step.index if step is not None else None):
                result = await run()
        except BaseException as exc:
            self._close_tool(step, exc=exc)
            raise
        self._close_tool(step, result)
        return result

    def event(self, kind: str, name: str, arguments: dict[str, Any], result: Any,
              error: tuple[str, str | None] | None = None) -> None:
        step = self._open_tool(kind, name, arguments)
        self._close_tool(step, result)
        if step is not None and error is not None:
            with _guard.guard("replay.record_tool"):
                step.error = mask({"type": error[0], "message": error[1] or ""})

    # --- the result -----------------------------------------------------------------------
    def where(self) -> tuple[str, str]:
        """``("trace" | "cassette", why)``: can the trace alone replay this session?"""
        with self._lock:
            gaps = trace_gaps(self.steps)
        return trace_or_cassette(self._cut, *gaps)

    def session_info(self) -> SessionInfo:
        """What the recorded session showed (its id, name, end state, cost, tags), when one was live."""
        s = self._session
        if s is None:
            return SessionInfo()
        return SessionInfo.of(s)

    def cassette(self, session: SessionInfo | None = None) -> Cassette:
        import importlib.metadata as md

        with self._lock:
            steps = list(self.steps)
            timings = self._timings[:len(steps)]
            lines = dict(self._lines)
        if len(timings) == len(steps):
            steps = marked(steps, timings, lines)
        sdk: dict[str, str] = {}
        for dist in [*sorted({s.provider for s in steps if isinstance(s, LLMStep)}), "agentops-otel-replay"]:
            try:
                sdk[dist] = md.version(dist)
            except md.PackageNotFoundError:
                pass
        _, why = self.where()
        return Cassette.new(steps, agent_version=self.agent_version, why=why, session=session or self.session_info(),
                            sdk=sdk, hand_events=True, callers=True, beta_headers=True)

    def save(self, path: str | Path, session: SessionInfo | None = None) -> Path:
        """Write the cassette; a recording that saw nothing is refused, as its replay would always pass."""
        with self._lock:
            unseen = list(self._unseen)
        if unseen:  # its replay would send them live, or diverge on a step it never recorded
            raise CassetteError(f"not saving {path}: the recording missed model calls the agent made, so the "
                                "cassette would not hold them:\n  " + "\n  ".join(unseen))
        cassette = self.cassette(session)
        if not cassette.steps:
            raise CassetteError(f"not saving {path}: the recording saw no LLM or tool steps (is the agent's "
                                "client one the recorder covers, and did the agent run inside record()?)")
        return cassette.save(path)

    def save_beside(self, directory: str | Path = DEFAULT_DIR, *, always: bool = False) -> Path | None:
        """Write ``<directory>/<session id>.json`` only when the trace cannot replay the session.

        Returns the path, or None when the trace holds every step whole (then it is the recording) or
        the session made no step (nothing to replay);
        either way one log line says which and why.
        """
        where, why = self.where()
        sid = self.session_info().id or "session"
        if not self.steps:
            logger.info("agentops_otel: session %s made no LLM or tool step: no cassette written", sid)
            return None
        if where == "trace" and not always:
            logger.info("agentops_otel: session %s replays from its trace: %s", sid, why)
            return None
        if os.path.abspath(directory) == os.path.abspath(DEFAULT_DIR):
            private_folder(DEFAULT_DIR, os.path.dirname(DEFAULT_DIR))
        path = self.save(Path(directory) / f"{sid}.json")
        logger.info("agentops_otel: session %s recorded in cassette %s: %s", sid, path, why)
        return path


def _failure(exc: BaseException) -> dict[str, str]:
    """How a model call's connection failed, as the cassette keeps it (its type names what a replay raises)."""
    return {"type": _guard.type_name(exc, qualified=False), "message": _guard.describe(exc).partition(": ")[2]}


def _keep(step: LLMStep, response: Any, raw: bytes) -> None:
    """The answer as the cassette keeps it: credential-shaped text masked, as in streamed events; an answer
    that is not JSON with its content type, so that its replay hands the agent the bytes it got."""
    step.body, step.content_type, step.body_encoding = kept(raw, response.headers.get("content-type", ""))


def _plain(value: Any) -> Any:
    """JSON data for a recorded value (tuples become lists, objects their JSON form or repr)."""
    if _is_json(value):
        return json.loads(json.dumps(value))
    return json.loads(to_json(value, WHOLE))


def _is_json(value: Any) -> bool:
    """Whether ``value`` round-trips through JSON as plain data (so a replay can hand it back)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    return False


def record(*, agent_version: str | None = None) -> Recorder:
    """``with record() as rec: run_agent(...)`` then ``rec.save("cassettes/x.json")``."""
    return Recorder(agent_version=agent_version)
