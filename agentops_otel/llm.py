"""One LLM call as a span: the provider-neutral half of model instrumentation.

Wrappers (sync, async, streaming) all reduce a call to the same three moments: the request is known
(:func:`start_call`), the outcome is known (:meth:`LLMCall.end` with an :class:`Outcome`) or the call
failed (:meth:`LLMCall.fail`). Keeping the span bookkeeping here means the sync and async shells, and
the stream proxies, cannot drift apart in what they record.

Message content arrives here already shaped into the GenAI "parts" format, bounded and encoded
(:mod:`._parts`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from . import _error_text, _guard, _redact, config, semconv
from ._parts import ENCODER, JSONDict, encode, encode_content
from ._span_attrs import set_attributes
from .cost import Extras, billed_tier, price_tokens, unpriced_reason

__all__ = [
    "Content",
    "LLMCall",
    "Outcome",
    "TokenUsage",
    "content_attributes",
    "error_type",
    "is_count",
    "partial_usage",
    "start_call",
]


@dataclass(slots=True)
class TokenUsage:
    """Token counts as the provider reported them; ``input`` includes cached prompt tokens."""

    input: int | None = 0
    """None only when ``partial``: the provider left it out."""
    output: int | None = 0
    """None for an embeddings call: it produces no tokens, and the conventions record none. Or, when
    ``partial``, left out by the provider."""
    cache_read: int | None = None
    cache_write: int | None = None
    cache_write_1h: int | None = None
    """The share of ``cache_write`` stored with a one-hour TTL (Anthropic), priced at its own rate."""
    reasoning: int | None = None
    extras: Extras | None = None
    """What the call was billed for beyond its tokens (audio, web searches, fast mode); ``None``: nothing."""
    partial: bool = False
    """The usage lacked (or garbled) its input or output count: recorded as it is, never priced."""


def is_count(value: object) -> bool:
    """A token count a provider could have meant: a non-negative int (not a bool, not None)."""
    return type(value) is int and value >= 0


def partial_usage(attrs: dict[str, Any], input_tokens: object, output_tokens: object) -> None:
    """Usage lacking its input or output count: the counts it has are recorded, and the cost is unknown
    with the reason; pricing the part reported would pass a bound the call broke. With neither count
    it is no usage at all."""
    has_input, has_output = is_count(input_tokens), is_count(output_tokens)
    if not has_input and not has_output:
        attrs[semconv.USAGE_MISSING] = True
        attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_USAGE_MISSING
        return
    if has_input:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
    if has_output:
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
    attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_USAGE_PARTIAL


@dataclass(slots=True)
class Outcome:
    """What a finished call produced, whether it came back whole or was assembled from a stream."""

    response_id: str | None = None
    response_model: str | None = None
    finish_reasons: list[str] = field(default_factory=list)
    usage: TokenUsage | None = None
    service_tier: str | None = None
    output_messages: list[JSONDict] | None = None
    provider_attributes: JSONDict | None = None
    """Provider-specific response attributes (``openai.response.*``), recorded as they are."""
    error: str | None = None
    """Set when the provider reported a failure inside a well-formed response (a failed stream)."""
    usage_gap: str | None = None
    """Why ``usage`` is None, when the wrapper knows better than "missing" (a ``semconv.GAP_*`` value)."""


@dataclass(slots=True)
class Content:
    """The request's content, already encoded: kept for the event that is emitted when the call ends."""

    input_messages: str | None = None
    system_instructions: str | None = None
    tool_definitions: str | None = None


def error_type(exc: BaseException) -> str:
    """HTTP status for API errors (what dashboards group by), else the exception's class name.

    An error the API reports inside a response that was not an HTTP error (Anthropic's ``event: error``
    mid-stream, which the SDK raises with the stream's status 200) is recorded by the type the API gave
    it (``overloaded_error``): the 200 would group every such failure with nothing in common.
    Never raises: the exception is the user's, on its way to them (its ``status_code`` may be
    computed, and fail)."""
    try:
        status = getattr(exc, "status_code", None)
    except BaseException:  # whatever it raises, as in _guard.describe
        status = None
    if isinstance(status, int) and not isinstance(status, bool):
        if status >= 400:
            return str(status)
        reported = _reported_error_type(exc)
        if reported is not None:
            return reported
    return _guard.type_name(exc)


_MAX_REPORTED_TYPE = 64
"""An API's error types are short names; anything longer is not one, and is not a low-cardinality key."""


def _reported_error_type(exc: BaseException) -> str | None:
    """``error.type`` of the body ``{"error": {"type": ...}}`` the SDK keeps on the exception, if it has one.

    Only plain decoded JSON is read (``type() is dict``): nothing of the user's exception runs but its
    ``body`` attribute, and whatever that raises is swallowed."""
    try:
        body = getattr(exc, "body", None)
        error = body.get("error") if type(body) is dict else None
        kind = error.get("type") if type(error) is dict else None
    except BaseException:
        return None
    return kind if type(kind) is str and 0 < len(kind) <= _MAX_REPORTED_TYPE else None


def usage_attributes(attrs: dict[str, Any], usage: TokenUsage | None, model: str | None,
                     provider: str, service_tier: str | None, fallback_model: str | None = None,
                     gap: str | None = None) -> None:
    """Tokens and cost; a call without either says why instead of pretending it was free.

    ``model`` is the response's and ``fallback_model`` the request's: a price registered for either
    wins over the bundled table, then the response's (the most specific), for gateways that answer with
    a model name of their own (see ``cost.register_price``). ``gap`` is the wrapper's reason for missing
    usage (a stream without its usage chunk, a raw response).
    """
    if usage is None:
        attrs[semconv.USAGE_MISSING] = True
        attrs[semconv.COST_INCOMPLETE_REASON] = gap or semconv.GAP_USAGE_MISSING
        return
    if usage.partial or usage.input is None:
        partial_usage(attrs, usage.input, usage.output)
        return
    token_attributes(attrs, model, provider, service_tier, fallback_model, usage.input, usage.output,
                     usage.cache_read, usage.cache_write, usage.cache_write_1h, usage.reasoning, usage.extras)


def token_attributes(attrs: dict[str, Any], model: str | None, provider: str, service_tier: str | None,
                     fallback_model: str | None, input_tokens: int, output_tokens: int | None,
                     cache_read: int | None, cache_write: int | None, cache_write_1h: int | None,
                     reasoning: int | None, extras: Extras | None = None) -> None:
    """:func:`usage_attributes` of a call whose usage is known, from the counts themselves (the
    per-call path of non-streamed chat reads them off the response without a :class:`TokenUsage`)."""
    attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
    if output_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
    if cache_read is not None:
        attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cache_read
    if cache_write is not None:
        attrs[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = cache_write
    if reasoning is not None:
        attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning
    if cache_write_1h is not None:
        attrs[semconv.ANTHROPIC_CACHE_WRITE_5M] = (cache_write or 0) - cache_write_1h
        attrs[semconv.ANTHROPIC_CACHE_WRITE_1H] = cache_write_1h
    read = cache_read or 0
    write = cache_write or 0
    output = output_tokens or 0
    hour = cache_write_1h or 0
    cost = price_tokens(model, provider, service_tier, input_tokens, output, read, write, hour, fallback_model,
                        extras)
    if cost is not None:
        attrs[semconv.COST_USD] = cost
    else:
        attrs[semconv.COST_INCOMPLETE_REASON] = unpriced_reason(model, provider, service_tier, fallback_model, extras,
                                                                hour)


_STOPPED_WAITING: Final = semconv.STOPPED_WAITING_STATUSES
"""An API error answered with any other status was not billed (see ``semconv``)."""


class LLMCall:
    """The span of one model call, ended exactly once whichever way the call finishes."""

    __slots__ = ("_done", "content", "limit", "on_event", "on_span", "provider", "request_model",
                 "request_priced", "requested_tier", "span", "started", "token")

    def __init__(self, span: Span, request_model: str | None, provider: str, settings: config.CallSettings,
                 content: Content | None) -> None:
        self.span = span
        self.request_model = request_model
        self.request_priced = None if provider == semconv.PROVIDER_AZURE_OPENAI else request_model
        """The model to price a call whose response names none: the request's, unless it names an Azure
        deployment (a label: ``gpt-4o`` may serve another model), which only a price registered for it prices."""
        self.provider = provider
        self.on_span = settings.on_span
        self.on_event = settings.on_event
        self.content = content
        self.limit = settings.limit
        self.started = time.perf_counter()
        self._done = False
        self.token: object | None = None
        """The context token while the span is current during the SDK's call (see ``instrument._base``)."""
        self.requested_tier: str | None = None
        """The service tier the request asked for, if any: a response that does not confirm it is unpriced
        (see ``cost.billed_tier``)."""

    @property
    def done(self) -> bool:
        return self._done

    @property
    def wants_output(self) -> bool:
        """Whether output content is recorded at all (streams skip accumulating text otherwise)."""
        return self.content is not None

    def end(self, outcome: Outcome, extra: Mapping[str, Any] | None = None) -> None:
        """Record the outcome and end the span (no-op after the first end)."""
        if self._done:
            return
        self._done = True  # claimed first: a racing end (a stream closed on another thread) does nothing
        try:
            if _guard.ARMED:
                _guard.fault_point("llm.end")
            attrs: dict[str, Any] = {}
            if outcome.response_id:
                attrs[semconv.GEN_AI_RESPONSE_ID] = outcome.response_id
            model = outcome.response_model
            if model:
                attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
            if outcome.finish_reasons:
                attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = outcome.finish_reasons
            tier = outcome.service_tier
            if self.requested_tier is not None:
                tier = billed_tier(tier, self.requested_tier)
            usage_attributes(attrs, outcome.usage, model or self.request_priced, self.provider, tier,
                             self.request_model, outcome.usage_gap)
            if outcome.provider_attributes:
                attrs.update(outcome.provider_attributes)
            if outcome.error is not None:
                attrs[semconv.ERROR_TYPE] = outcome.error
                described = _error_text.scrub(semconv.STATUS_DESCRIPTION, outcome.error)
                self.span.set_status(Status(StatusCode.ERROR, described))
            if extra:
                attrs.update(extra)
        except Exception as exc:
            _guard.report("llm.end", exc)
            _end_span(self.span)
            return
        self._record(attrs, outcome.output_messages)

    def finish(self, attrs: dict[str, Any], output_messages: list[JSONDict] | None = None) -> None:
        """End the span with the response's attributes already in ``attrs`` (no-op after the first end).

        :meth:`end` builds them from an :class:`Outcome`; the per-call path of non-streamed openai chat
        writes them straight from the response (see ``instrument._openai_chat.chat_end``).
        """
        if self._done:
            return
        self._done = True
        self._record(attrs, output_messages)

    def _record(self, attrs: dict[str, Any], output_messages: list[JSONDict] | None) -> None:
        """The output content, the attributes and the span's end: the tail of :meth:`end` and :meth:`finish`.

        Runs after the SDK's own work has evicted our code from the CPU caches, so its small steps are
        written out here rather than spread over helpers, each one more cold frame.
        """
        span = self.span
        try:
            if _guard.ARMED:
                _guard.fault_point("llm.end")
            output = None
            content = self.content
            if content is not None and output_messages is not None:
                if _redact.installed_hook is not None:
                    output = encode_content(semconv.GEN_AI_OUTPUT_MESSAGES, output_messages)
                else:
                    try:  # encode(), written out
                        output = ENCODER.encode(output_messages).decode("utf-8")
                    except (TypeError, ValueError, msgspec.MsgspecError):
                        output = encode(output_messages)
                if self.on_span:
                    attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = output
            set_attributes(span, attrs)
            if content is not None and self.on_event:
                self._emit_event(output)
        except Exception as exc:
            _guard.report("llm.end", exc)
        finally:
            try:  # _end_span, written out
                span.end()
            except Exception as exc:
                _guard.report("llm.span_end", exc)

    def fail(self, exc: BaseException, outcome: Outcome | None = None,
             extra: Mapping[str, Any] | None = None) -> None:
        """Record the user's exception on the span and end it; the caller re-raises it unchanged."""
        if self._done:
            return
        if outcome is not None:
            # A stream that broke half-way: keep what arrived, then mark the failure.
            try:
                self._record_exception(exc)
                extra = {**(extra or {}), **self._error_attrs(exc)}
            except Exception as err:
                _guard.report("llm.fail", err)
            self.end(outcome, extra)
            return
        self._done = True
        span = self.span
        try:
            if _guard.ARMED:
                _guard.fault_point("llm.fail")
            self._record_exception(exc)
            attrs: dict[str, Any] = self._error_attrs(exc)
            status = attrs[semconv.ERROR_TYPE]
            if status.isdigit() and status not in _STOPPED_WAITING:
                attrs[semconv.COST_USD] = 0.0  # the API answered with an error: such requests are not billed
            else:
                # No answer (a timeout, a dropped connection, a gateway that stopped waiting): the model
                # may have run, and been billed.
                attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_CALL_FAILED
            span.set_attributes(attrs)
            if self.content is not None and self.on_event:
                self._emit_event(None)
        except Exception as err:
            _guard.report("llm.fail", err)
        finally:
            _end_span(span)

    def _error_attrs(self, exc: BaseException) -> dict[str, Any]:
        return {semconv.ERROR_TYPE: error_type(exc)}

    def _record_exception(self, exc: BaseException) -> None:
        _guard.record_exception(self.span, exc)
        described = _error_text.scrub(semconv.STATUS_DESCRIPTION, _guard.describe(exc))
        self.span.set_status(Status(StatusCode.ERROR, described))

    def abort(self) -> None:
        """End the span with nothing more recorded (our own bookkeeping failed; the user's call didn't)."""
        if self._done:
            return
        self._done = True
        _end_span(self.span)

    def _emit_event(self, output: str | None) -> None:
        content = self.content
        if content is None:
            return
        attrs = content_attributes(content)
        if output is not None:
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = output
        self.span.add_event(semconv.EVENT_INFERENCE_DETAILS, attrs)


def _end_span(span: Span) -> None:
    try:
        span.end()
    except Exception as exc:
        _guard.report("llm.span_end", exc)


def content_attributes(content: Content, attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request's content attributes, added to ``attrs`` (a new dict without it)."""
    if attrs is None:
        attrs = {}
    if content.input_messages is not None:
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content.input_messages
    if content.system_instructions is not None:
        attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = content.system_instructions
    if content.tool_definitions is not None:
        attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content.tool_definitions
    return attrs


def start_call(tracer: trace.Tracer, name: str, attributes: dict[str, Any], request_model: str | None,
               provider: str, settings: config.CallSettings, content: Content | None,
               ctx: otel_context.Context | None = None) -> LLMCall:
    """Open the CLIENT span with every request attribute known up front (samplers and processors see them)."""
    if content is not None and settings.on_span:
        content_attributes(content, attributes)
    span = tracer.start_span(name, ctx, SpanKind.CLIENT, attributes)
    return LLMCall(span, request_model, provider, settings, content)
