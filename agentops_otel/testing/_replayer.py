"""Running the agent's own code against a recording: the world held still, every step checked.

While a :class:`Replayer` is installed, each LLM request the agent's client sends is compared with
the next recorded step and answered from it — by the SDK itself, from the recorded bytes, so the
agent gets a real ``ChatCompletion`` or a ``Stream`` that streams, and our instrumentation still
writes the LLM span with its usage and cost. No socket is opened and no API key is needed. Tools
run for real (their arguments, their caller and how they ended are still checked) unless the test
names them in ``answer_tools``;
then the recorded result is handed back and the steps the tool made inside are skipped.
``answer_tools=True`` answers every tool; when one of them had made model calls inside (an action
wrapping the LLM call), a passing replay ends with a :class:`ReplayWarning`, since those calls went
unchecked (see ``_answering``).

Nothing ever goes live by accident: a request the recording cannot answer raises
:class:`DivergenceError`, and the divergence is raised again on exit in case the agent swallowed it.
:class:`Fork` is the one explicit way out — replay up to a step, substitute a tool result or an LLM
reply there (or go live), and let the agent continue.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import _forksafe
from .._guard import describe
from ._answering import ReplayWarning, holding_llm, unchecked_note
from ._cassette import Cassette, CassetteError, LLMStep, ToolStep, load, step_label
from ._divergence import (
    ActualStep,
    DivergenceError,
    compare,
    describe_actual_llm,
    describe_args,
    describe_recorded,
    differing_fields,
)
from ._masking import mask
from ._providers import plain_endpoint, request_view
from ._replay_answers import DummyKeys, RecordedToolError, recorded_error, reply_with, respond
from ._replay_checks import caller_change, ended_with, hand_arguments, hint, outcome_change
from ._replay_match import fork_index, json_args, llm_differs, llm_views, tool_fits
from ._replay_walk import Walk
from ._seam import Exchange, current_parent, inside, install, uninstall

__all__ = ["Fork", "RecordedToolError", "Replayer", "replay"]

_NOT_GIVEN: Any = object()


@dataclass(frozen=True)
class Fork:
    """Replay the recording up to step ``at``, change that step, then let the agent go on its own.

    ``at`` is a step index of the cassette or a tool name (its first call). At that step the tool
    returns ``tool_result`` (or raises ``tool_error``) without running, or the LLM answers
    ``llm_reply``. After it, LLM calls are answered by ``then``: ``"recorded"`` (the remaining
    recorded answers in order, requests no longer checked) or ``"live"`` (the real provider: the one
    way a replay touches the network); tools run for real.
    """

    at: int | str
    tool_result: Any = _NOT_GIVEN
    tool_error: BaseException | None = None
    llm_reply: str | None = None
    then: Literal["recorded", "live"] = "recorded"


class Replayer:
    """One replay of one cassette; use as a context manager around the agent's run."""

    def __init__(self, cassette: Cassette, *, answer_tools: Collection[str] | bool = (),
                 ignore: Sequence[str] = (), fork: Fork | None = None, name: str = "cassette") -> None:
        self.cassette = cassette
        self.answer_tools = answer_tools
        self.ignore = tuple(ignore)
        self.fork = fork
        self.name = name
        self.actual: list[ActualStep] = []
        self.expected: list[LLMStep | ToolStep] = []
        self.divergence: DivergenceError | None = None
        self._walk = Walk(cassette.steps)
        self._forked = False
        self._fork_index = fork_index(cassette, fork, name)
        self._holding_llm = holding_llm(cassette.steps) if answer_tools is True else {}
        self._unchecked: list[ToolStep] = []
        self._lock = _forksafe.rlock()
        self._keys = DummyKeys()

    # --- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Replayer:
        self._keys.ensure()
        install(self)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        uninstall(self)
        self._keys.restore()
        if self.divergence is not None and exc is not self.divergence:
            raise self.divergence  # the agent caught it: the test must still fail
        if exc_type is None and not self._forked:
            self._check_finished()
        if exc is not None and (nxt := self._stopped_early(exc)) is not None:
            raise self._diverge(nxt, None, f"the agent raised {describe(exc)}, but the recording "
                                f"continues with {step_label(nxt)} ({describe_recorded(nxt)})",
                                index=len(self.actual)) from exc
        if exc_type is None and self._unchecked:
            warnings.warn(ReplayWarning(unchecked_note(self.name, self.cassette, self._unchecked)), stacklevel=2)

    def _stopped_early(self, exc: BaseException) -> LLMStep | ToolStep | None:
        """The agent's own error left the replay before the recording's end: a test expecting that error
        (``pytest.raises`` around the replay) must not pass on an agent that now fails sooner. A failed
        assertion is the test's own verdict and stays the headline; skips and interrupts are not errors."""
        if not isinstance(exc, Exception) or isinstance(exc, (AssertionError, CassetteError)) or self._forked:
            return None
        return self._peek()

    def _check_finished(self) -> None:
        nxt = self._peek()
        if nxt is not None:
            raise self._diverge(nxt, None, "the agent finished, but the recording continues with "
                                f"{step_label(nxt)} ({describe_recorded(nxt)})", index=len(self.actual))

    # --- walking the recording --------------------------------------------------------------
    def _peek(self) -> LLMStep | ToolStep | None:
        return self._walk.peek()

    def _take(self, step: LLMStep | ToolStep | None) -> LLMStep | ToolStep | None:
        if step is not None:
            self._walk.meet(step.index)
            self.expected.append(step)
        return step

    def _diverge(self, expected: LLMStep | ToolStep | None, diff: str | None, reason: str,
                 index: int | None = None) -> DivergenceError:
        if expected is not None and (not self.expected or self.expected[-1] is not expected):
            self.expected.append(expected)
        at = len(self.actual) - 1 if index is None else index
        err = DivergenceError(at, reason, list(self.expected), list(self.actual), diff, self.name,
                              hint(self.ignore))
        if self.divergence is None:
            self.divergence = err
        return err

    def _check_caller(self, expected: LLMStep | ToolStep) -> None:
        """Who made the call is part of the step: a charge recorded inside ``verify_and_charge`` and made
        after it returned is another agent. The caller is the recorded step whose call this one runs inside
        (from the OpenTelemetry context, as the trace's parent ids say), never the order of the clock."""
        __tracebackhide__ = True
        change = caller_change(self.cassette, expected, current_parent())
        if change is not None:
            raise self._diverge(expected, None, change)

    # --- LLM calls ----------------------------------------------------------------------------
    def _llm_step(self, ex: Exchange) -> tuple[LLMStep | None, Any]:
        """The recorded step answering this request (None: forward to the provider)."""
        __tracebackhide__ = True
        with self._lock:
            if self.divergence is not None:
                raise self.divergence
            view = mask(request_view(ex.provider.attributes(ex.endpoint, ex.body)))
            self.actual.append(ActualStep(f"llm {view.get('model') or ex.endpoint}", describe_actual_llm(view),
                                          view))
            if self._forked:
                if self.fork is not None and self.fork.then == "live":
                    return None, None
                step = self._next_llm()
                if step is None:
                    raise self._diverge(None, None, "after the fork the agent made more LLM calls than the "
                                        "recording holds (use Fork(then='live') to let it talk to the provider)")
                return step, None
            expected = self._take(self._walk.next_for(
                lambda s: llm_differs(self.cassette, self.ignore, self._fork_index, s, ex, view) is None))
            if expected is not None and expected.index == self._fork_index:
                return self._fork_llm(expected)
            if expected is None:
                raise self._diverge(None, None, f"the agent made an LLM call ({ex.endpoint}) after the last "
                                    "recorded step: the recording has no answer for it")
            if not isinstance(expected, LLMStep):
                raise self._diverge(expected, None, f"the recording has {step_label(expected)} here, the "
                                    f"agent made an LLM call ({view.get('model') or ex.endpoint})")
            if plain_endpoint(expected.endpoint) != ex.endpoint:  # an Azure deployment's path, recorded before
                raise self._diverge(expected, None, f"the recording has a call to {expected.endpoint} here, the "
                                    f"agent called {ex.endpoint}")
            self._check_caller(expected)
            recorded, actual = llm_views(self.cassette, self.ignore, expected, ex, view)
            diff = compare(recorded, actual, self.ignore)
            if diff is not None:
                fields = ", ".join(differing_fields(recorded, actual, self.ignore))
                raise self._diverge(expected, diff, f"the {step_label(expected)} request differs from the "
                                    "recording" + (f" in {fields}" if fields else ""))
            return expected, None

    def _next_llm(self) -> LLMStep | None:
        while (step := self._take(self._peek())) is not None:
            if isinstance(step, LLMStep):
                return step
        return None

    def _fork_llm(self, expected: LLMStep | ToolStep) -> tuple[LLMStep | None, Any]:
        fork = self.fork
        assert fork is not None
        self._forked = True
        if not isinstance(expected, LLMStep):
            raise self._diverge(expected, None, f"the fork is at {step_label(expected)}, but the agent made an "
                                "LLM call there")
        if fork.llm_reply is not None:
            return expected, reply_with(expected, fork.llm_reply)
        if fork.then == "live":
            return None, None
        return expected, None

    def send(self, exchange: Exchange, send: Callable[[], Any]) -> Any:
        __tracebackhide__ = True
        step, replaced = self._llm_step(exchange)
        if step is None:
            return send()  # a fork that asked to go live
        return respond(exchange, step, replaced)

    async def asend(self, exchange: Exchange, send: Callable[[], Awaitable[Any]]) -> Any:
        __tracebackhide__ = True
        step, replaced = self._llm_step(exchange)
        if step is None:
            return await send()
        return respond(exchange, step, replaced)

    def unseen(self, call: str, why: str) -> None:
        """A model call the replay cannot answer fails it (before its request is sent, where the seam can
        tell then): nothing goes live by accident, whatever client the agent built."""
        __tracebackhide__ = True
        with self._lock:
            if self.divergence is not None:
                raise self.divergence
            if self._forked and self.fork is not None and self.fork.then == "live":
                return
            self.actual.append(ActualStep(f"llm {call}", why, None))
            raise self._diverge(self._peek(), None, f"the agent made a model call the replay cannot answer, "
                                f"{call}: {why}")

    # --- tools ----------------------------------------------------------------------------
    def _tool_step(self, kind: str, name: str, arguments: dict[str, Any]) -> tuple[ToolStep | None, bool]:
        """(recorded step, answer from it?) — or raise where the agent left the recording."""
        __tracebackhide__ = True
        with self._lock:
            if self.divergence is not None:
                raise self.divergence
            args = mask(json_args(arguments))
            self.actual.append(ActualStep(f"{kind} {name}", describe_args(args), args))
            if self._forked:
                return None, False
            expected = self._take(self._walk.next_for(
                lambda s: tool_fits(self.cassette, self.ignore, self._fork_index, s, kind, name, args)))
            if expected is None:
                raise self._diverge(None, None, f"the agent called {kind} {name} after the last recorded step")
            if not isinstance(expected, ToolStep) or expected.name != name or expected.tool_type != kind:
                raise self._diverge(expected, None, f"the recording has {step_label(expected)} here, the agent "
                                    f"called {kind} {name}")
            self._check_caller(expected)
            diff = compare(expected.arguments, args, self.ignore)
            if diff is not None:
                raise self._diverge(expected, diff, f"{kind} {name} was called with other arguments")
            if expected.index == self._fork_index:
                self._forked = True
                self._walk.skip_children(expected.index)
                return expected, True
            answer = self.answer_tools is True or (not isinstance(self.answer_tools, bool)
                                                   and name in self.answer_tools)
            if answer:
                if not expected.result_is_json and expected.error is None:
                    raise CassetteError(f"{self.name}: {kind} {name} (step {expected.index}) returned an object the "
                                        "cassette holds only as text; it cannot be answered from the recording — "
                                        "let it run for real")
                self._walk.skip_children(expected.index)
                if expected.index in self._holding_llm:
                    self._unchecked.append(expected)
            return expected, answer

    def _answer(self, step: ToolStep) -> Any:
        __tracebackhide__ = True
        if step.index == self._fork_index and self.fork is not None:
            if self.fork.tool_error is not None:
                raise self.fork.tool_error
            if self.fork.tool_result is not _NOT_GIVEN:
                return self.fork.tool_result
        if step.error is not None:
            raise recorded_error(step.error)
        return step.result

    def event(self, kind: str, name: str, arguments: dict[str, Any], result: Any,
              error: tuple[str, str | None] | None = None) -> None:
        """A hand-recorded event is the agent's output: its returns are checked like arguments, and its model
        calls, errors and error where the cassette keeps them (``hand_events``; ``hand_arguments``)."""
        __tracebackhide__ = True
        whole = self.cassette.hand_events
        if (checked := hand_arguments(self.cassette, kind, arguments)) is None:
            return  # a cassette that never saw them (older, or made from a trace)
        step, _ = self._tool_step(kind, name, checked)
        if step is None:
            return
        with self._lock:
            actual = mask(json_args({"result": result}))["result"]
            # The recorded result's text is masked by shape only (a cassette's answers are), a trace's by the pair
            # rules too: both read by the pair rules here, as the agent's is.
            diff = compare(mask(step.result), actual, self.ignore)
            if diff is not None:
                raise self._diverge(step, diff, f"{kind} {name} recorded another result")
        if whole:
            self._check_outcome(step, error[0] if error else None)

    def _check_outcome(self, step: ToolStep, failed: str | None) -> None:
        """How the step ended is part of it: failing where the recording's succeeded (or the other way round, or
        with another error) diverges even when the agent handles it; not after a fork, whose what-if that is."""
        __tracebackhide__ = True
        change = outcome_change(step, failed)
        if change is not None:
            with self._lock:
                if self.divergence is None and not self._forked:
                    raise self._diverge(step, None, change)

    def _run_checked(self, step: ToolStep | None, exc: BaseException | None) -> None:
        """Check the outcome of a tool that ran for real (not an interruption, nor our own divergence)."""
        __tracebackhide__ = True
        if step is None or self.divergence is not None:
            return
        if exc is None or (isinstance(exc, Exception) and not isinstance(exc, (DivergenceError, CassetteError))):
            self._check_outcome(step, None if exc is None else ended_with(exc))

    def call(self, kind: str, name: str, arguments: dict[str, Any], run: Callable[[], Any]) -> Any:
        __tracebackhide__ = True
        step, answer = self._tool_step(kind, name, arguments)
        if step is not None and answer:
            return self._answer(step)
        with inside(step.index if step is not None else None):
            try:
                result = run()
            except BaseException as exc:
                self._run_checked(step, exc)
                raise
        self._run_checked(step, None)
        return result

    async def acall(self, kind: str, name: str, arguments: dict[str, Any],
                    run: Callable[[], Awaitable[Any]]) -> Any:
        __tracebackhide__ = True
        step, answer = self._tool_step(kind, name, arguments)
        if step is not None and answer:
            return self._answer(step)
        with inside(step.index if step is not None else None):
            try:
                result = await run()
            except BaseException as exc:
                self._run_checked(step, exc)
                raise
        self._run_checked(step, None)
        return result


def replay(cassette: Cassette | str | Path, *, answer_tools: Collection[str] | bool = (),
           ignore: Sequence[str] = (), fork: Fork | None = None, agent_version: str | None = None) -> Replayer:
    """``with replay("cassettes/x.json"): run_agent(...)`` — raises :class:`DivergenceError` on the first
    step the agent takes that the recording does not have."""
    if isinstance(cassette, Cassette):
        loaded, name = cassette, "cassette"
        if agent_version is not None and cassette.agent_version != agent_version:
            raise CassetteError(f"cassette was recorded with agent version {cassette.agent_version!r}, "
                                f"this is {agent_version!r}")
    else:
        rel = os.path.relpath(cassette)
        loaded, name = load(cassette, agent_version=agent_version), rel if not rel.startswith("..") else str(cassette)
    return Replayer(loaded, answer_tools=answer_tools, ignore=ignore, fork=fork, name=name)
