"""Stream proxies: the user keeps an openai ``Stream`` / ``AsyncStream``, we see every chunk go by.

A streamed call's span can only end when the stream does, and a stream can end five ways: it is read
to the end, it raises, the user closes it (``close()``, ``with``), or the user simply drops it. The
proxies route all of them to :meth:`_StreamState.finish`, which ends the span exactly once. Dropped
streams are caught by ``__del__`` (the proxy is the only thing that refers to the state, so no
reference cycle keeps it alive and no ``weakref.finalize`` registry grows per call). A finaliser run
by the cyclic garbage collector never ends the span itself: it may have interrupted code that holds a
lock ending a span needs, so the work is deferred (:mod:`.._deferred`).

Chunks are folded into an accumulator as they pass: ids, finish reasons, usage, time to first chunk,
and the message text only when content capture is on. The user's request is never altered, so a
chat stream without ``stream_options.include_usage`` ends unpriced, with the reason on the span
(``agentops.cost.incomplete_reason``): bounds then refuse to count it as $0.
"""

from __future__ import annotations

import time
from typing import Any

import wrapt
from opentelemetry import context as otel_context

from .. import _deferred, _guard, semconv
from .._open_calls import hold_open, release
from .._parts import JSONDict, text_part, tool_call_part
from ..llm import LLMCall, Outcome
from ..processor import SESSION_CONTEXT_KEY
from ._openai_chat import chat_usage, response_attributes
from ._openai_other import CompletionAccumulator
from ._openai_responses import responses_outcome

__all__ = ["AsyncStreamProxy", "ChatAccumulator", "ResponsesAccumulator", "StreamProxy", "wrap_stream"]


class ChatAccumulator:
    """Folds ``ChatCompletionChunk`` objects into the outcome a non-streamed call would have had."""

    __slots__ = ("fingerprint", "first", "model", "reasons", "response_id", "service_tier", "texts", "tools",
                 "usage")

    def __init__(self, with_content: bool) -> None:
        self.first: float | None = None
        self.response_id: str | None = None
        self.model: str | None = None
        self.service_tier: str | None = None
        self.fingerprint: str | None = None
        self.reasons: dict[int, str] = {}
        self.usage: Any = None
        self.texts: dict[int, list[str]] | None = {} if with_content else None
        self.tools: dict[int, dict[int, list[Any]]] | None = {} if with_content else None

    def add(self, chunk: Any) -> None:
        # Runs once per chunk: plain attribute reads, no helper calls on the common path.
        if self.first is None:
            if _guard.ARMED:
                _guard.fault_point("openai.stream.chunk")
            self.first = time.perf_counter()
        if not self.model:
            # Azure opens with a prompt_filter_results chunk whose id and model are "": the call is the
            # first chunk that names its model, or it would be priced by the deployment's name (unpriced).
            self.response_id = chunk.id or self.response_id
            self.model = chunk.model or None
            self.service_tier = chunk.service_tier
            self.fingerprint = chunk.system_fingerprint
        usage = chunk.usage
        if usage is not None:
            self.usage = usage
        texts = self.texts
        for choice in chunk.choices:
            reason = choice.finish_reason
            if reason is not None:
                self.reasons[choice.index] = reason
            if texts is None:
                continue
            delta = choice.delta
            if delta is None:
                continue
            pieces = texts.get(choice.index)
            if pieces is None:
                pieces = texts[choice.index] = []
            text = delta.content
            if text:
                pieces.append(text)
            if delta.tool_calls:
                self._add_tool_calls(choice.index, delta.tool_calls)

    def _add_tool_calls(self, index: int, calls: Any) -> None:
        if self.tools is not None:
            slots = self.tools.setdefault(index, {})
            for call in calls:
                slot = slots.get(call.index)
                if slot is None:
                    slot = slots[call.index] = [None, None, []]
                if call.id:
                    slot[0] = call.id
                fn = call.function
                if fn is not None:
                    if fn.name:
                        slot[1] = fn.name
                    if fn.arguments:
                        slot[2].append(fn.arguments)

    def outcome(self, limit: int) -> Outcome:
        reasons = [self.reasons[i] for i in sorted(self.reasons)]
        outcome = Outcome(self.response_id, self.model, reasons, chat_usage(self.usage, self.model), self.service_tier,
                          provider_attributes=response_attributes(self.service_tier, self.fingerprint))
        if self.usage is None:
            # The usage chunk comes after every finish reason: without one the stream stopped early.
            outcome.usage_gap = semconv.GAP_STREAM_WITHOUT_USAGE if reasons else semconv.GAP_STREAM_NOT_FINISHED
        if self.texts is not None and self.tools is not None:
            messages: list[JSONDict] = []
            for index in sorted(set(self.texts) | set(self.tools) | set(self.reasons)):
                parts: list[JSONDict] = []
                text = "".join(self.texts.get(index, ()))
                if text:
                    parts.append(text_part(text, limit))
                for _, (call_id, name, args) in sorted(self.tools.get(index, {}).items()):
                    parts.append(tool_call_part(call_id, name, "".join(args), limit))
                messages.append({"role": "assistant", "parts": parts,
                                 "finish_reason": self.reasons.get(index)})
            outcome.output_messages = messages
        return outcome

    @property
    def first_chunk(self) -> float | None:
        return self.first


_RESPONSE_FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
_RESPONSE_PREAMBLE = frozenset({"response.created", "response.in_progress", "response.queued"})


class ResponsesAccumulator:
    """Keeps the final ``Response`` of a Responses API stream: it carries output and usage whole."""

    __slots__ = ("error", "final", "first", "started_response", "with_content")

    def __init__(self, with_content: bool) -> None:
        self.with_content = with_content
        self.first: float | None = None
        self.started_response: Any = None
        self.final: Any = None
        self.error: str | None = None

    def add(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        if kind in _RESPONSE_PREAMBLE:
            if self.started_response is None:
                self.started_response = event.response
            return
        if self.first is None:
            # The preamble is sent before the model produces anything: the first *output* event is
            # what a user waiting for tokens perceives.
            if _guard.ARMED:
                _guard.fault_point("openai.stream.chunk")
            self.first = time.perf_counter()
        if kind in _RESPONSE_FINAL:
            self.final = event.response
        elif kind == "error":
            code = getattr(event, "code", None)
            self.error = code if isinstance(code, str) and code else "error"

    def outcome(self, limit: int) -> Outcome:
        if self.final is not None:
            outcome = responses_outcome(self.final, self.with_content, limit)
            if self.final.status == "failed":
                err = self.final.error
                code = getattr(err, "code", None)
                outcome.error = str(code) if code else "failed"
        elif self.started_response is not None:
            # Closed or broken before the end: identity is known, usage is not.
            started = self.started_response
            outcome = Outcome(started.id, started.model if isinstance(started.model, str) else None,
                              usage_gap=semconv.GAP_STREAM_NOT_FINISHED)
        else:
            outcome = Outcome(usage_gap=semconv.GAP_STREAM_NOT_FINISHED)
        if self.error is not None:
            outcome.error = self.error
        return outcome

    @property
    def first_chunk(self) -> float | None:
        return self.first


Accumulator = ChatAccumulator | ResponsesAccumulator | CompletionAccumulator


class _StreamState:
    """The one place a streamed call's span ends; every way out of the stream lands here."""

    __slots__ = ("acc", "call", "item_failed")

    def __init__(self, call: LLMCall, acc: Accumulator) -> None:
        self.call = call
        self.acc = acc
        self.item_failed = False

    def add(self, item: Any) -> None:
        if self.item_failed:
            return
        try:
            self.acc.add(item)
        except Exception as exc:
            # Stop looking at chunks (the outcome would be partial) but keep the span alive to end it.
            self.item_failed = True
            _guard.report("openai.stream.chunk", exc)

    def finalise(self) -> None:
        """The stream was dropped: end the span now, or later if the garbage collector is running.

        During a collection this finaliser may have interrupted code holding a lock that ending a
        span takes (the session's, the SDK's): the work is deferred to the next ordinary path.
        """
        try:
            if self.call.done:
                return
            if _deferred.in_collection():
                _deferred.defer(self.finish)
            else:
                self.finish()
        except Exception:  # pragma: no cover - finish is guarded; never raise from a finaliser
            pass

    @property
    def name(self) -> str:
        """The call's span name (``chat gpt-4o``), for a session that ends while it is still open."""
        return str(getattr(self.call.span, "name", "LLM call"))

    def abandon(self) -> None:
        """The process is exiting before the stream ended: end the span with what arrived so far, as a
        stream not finished. The user's stream is left as it is; chunks read later pass through
        unrecorded."""
        self.item_failed = True
        self.finish()

    def finish(self, exc: BaseException | None = None, *, exhausted: bool = False) -> None:
        """End the span from what arrived. ``exhausted``: the stream was read to its end; any other way out
        (closed, dropped, broken) may have come before a usage chunk that was on its way."""
        call = self.call
        release(self)
        if call.done:
            return
        try:
            if _guard.ARMED:
                _guard.fault_point("openai.stream.finish")
            outcome = self.acc.outcome(call.limit)
            if not exhausted and outcome.usage_gap == semconv.GAP_STREAM_WITHOUT_USAGE:
                # Left at its finish reason (a loop that breaks there): the usage chunk comes after it.
                outcome.usage_gap = semconv.GAP_STREAM_NOT_FINISHED
            extra: dict[str, Any] = {}
            first = self.acc.first_chunk
            if first is not None:
                extra[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = first - call.started
        except Exception as err:
            _guard.report("openai.stream.finish", err)
            call.abort()
            return
        try:  # both are guarded inside; this keeps the user's iteration out of reach all the same
            if exc is None:
                call.end(outcome, extra)
            else:
                call.fail(exc, outcome, extra)
        except Exception as err:
            _guard.report("openai.stream.finish", err)


class StreamProxy(wrapt.ObjectProxy[Any]):
    """An openai ``Stream`` (``isinstance`` holds) whose span ends with the stream."""

    def __init__(self, wrapped: Any, state: _StreamState) -> None:
        super().__init__(wrapped)
        self._self_state = state

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            item = next(self.__wrapped__)
        except StopIteration:
            self._self_state.finish(exhausted=True)
            raise
        except BaseException as exc:
            self._self_state.finish(exc)
            raise
        self._self_state.add(item)
        return item

    def __enter__(self) -> StreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_state.finish()

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_state.finish()

    def __del__(self) -> None:
        self._self_state.finalise()


class AsyncStreamProxy(wrapt.ObjectProxy[Any]):
    """An openai ``AsyncStream`` whose span ends with the stream."""

    def __init__(self, wrapped: Any, state: _StreamState) -> None:
        super().__init__(wrapped)
        self._self_state = state

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_state.finish(exhausted=True)
            raise
        except BaseException as exc:
            self._self_state.finish(exc)
            raise
        self._self_state.add(item)
        return item

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_state.finish()

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_state.finish()

    async def aclose(self) -> None:
        await self.close()

    def __del__(self) -> None:
        self._self_state.finalise()


def wrap_stream(stream: Any, call: LLMCall, accumulator: type[Accumulator], is_async: bool) -> Any:
    state = _StreamState(call, accumulator(call.wants_output))
    session = otel_context.get_value(SESSION_CONTEXT_KEY)
    hold_open(state, getattr(session, "id", None) if session is not None else None)
    return AsyncStreamProxy(stream, state) if is_async else StreamProxy(stream, state)
