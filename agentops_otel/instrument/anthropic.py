"""OpenTelemetry spans for the ``anthropic`` client: ``messages.create`` / ``.parse`` / ``.stream()`` and the
batch submits ``messages.batches.create``, beta too.

Like the openai module this one only says *what* to wrap (the target table) and *what* to record
(``begin`` / ``complete``, from the pure functions in :mod:`._anthropic_attrs`); the shared base
(:mod:`._base`) owns patching, idempotence, the kill switch and the guarded steps around the call.

Two shapes need more than the base's shell:

- ``messages.stream()`` (sync and async, plain and beta) returns a stream *manager* and sends nothing
  until it is entered; the manager then calls the SDK's ``_post`` directly, not ``create``. So the
  wrapper hands the manager back untouched except for its pending request, which it replaces with one
  that opens the span when the request really goes out and wraps the raw event stream the SDK's
  ``MessageStream`` reads. Every helper (``text_stream``, ``get_final_message()``, ``until_done()``)
  reads through that stream, so the span sees each event and ends exactly once.
- ``with_raw_response`` returns the HTTP response; when its body is already read (a plain call) the
  message is parsed once through the SDK's own cache, so the user's ``parse()`` gets the same object.

**Coexistence with the SDK's own spans.** anthropic 2.x starts an ``anthropic.messages.create`` CLIENT
span of its own for every call (usage, no content, no cost, its own stop-reason key). Inside one of
our ``chat`` spans that span would be a second LLM call for the same request, so while our span is
the current one the SDK is told not to start its span: ours replaces it and carries what it had
(usage with the cache split, response id and model, ``anthropic.request.id``, ``error.type``) plus
content, finish reasons and cost. Calls we do not instrument (``count_tokens``, a batch's ``retrieve`` /
``results`` / ``cancel``, or any call while ``AGENTOPS_OTEL_DISABLED`` is set or after ``uninstrument_anthropic()``)
keep the SDK's spans.

**Batches.** ``messages.batches.create`` queues requests that run, and are billed, after the session may have
ended; its span (``chat batch``) records how many requests it holds and the batch's id, with its cost and usage
unknown (``GAP_BATCH_QUEUED``), so no cost or token bound passes on it (see :mod:`._batches`). Its results,
fetched later with ``batches.results()``, are not model calls of their own: they are not counted again.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, cast

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import _forksafe, _guard, config, semconv
from ..llm import LLMCall, Outcome, start_call
from . import _anthropic_attrs as attrs
from . import _batches as batches
from ._anthropic_clouds import client_provider, vertex_region
from ._base import Activation, EntryPoint, Instrumentor, Target, Wrapper
from ._openai_attrs import server_attributes
from ._streams import wrap_stream

__all__ = ["AnthropicInstrumentor", "instrument_anthropic", "uninstrument_anthropic"]

_MESSAGES: Final = "anthropic.resources.messages.messages"
_BETA: Final = "anthropic.resources.beta.messages.messages"

_TARGETS: Final = (
    *(
        # ``AsyncMessages.stream`` is a plain function returning an async context manager: not a coroutine.
        Target(module, cls, method, prefix + kind, is_async=cls == "AsyncMessages" and method != "stream")
        for module, prefix in ((_MESSAGES, ""), (_BETA, "beta_"))
        for cls in ("Messages", "AsyncMessages")
        for method, kind in (("create", "call"), ("parse", "call"), ("stream", "stream"))
    ),
    *(Target(module, cls, "create", "batch", is_async=cls == "AsyncBatches")
      for module in ("anthropic.resources.messages.batches", "anthropic.resources.beta.messages.batches")
      for cls in ("Batches", "AsyncBatches")),
)
"""Every method that sends a model call, and the batch submits that queue them (see :mod:`._batches`). An SDK
without one of these modules (batches came later than messages) has its other targets patched all the same."""

_SDK_SPAN_MODULE: Final = "anthropic._base_client"
_SDK_SPAN_FUNCTION: Final = "start_api_call_span"


@dataclass(frozen=True, slots=True)
class _Kind:
    helper: bool
    """``messages.stream()``: returns a manager that sends the request when entered."""
    messages: tuple[type, ...]
    """What a plain call returns (``Message`` / ``BetaMessage`` and their parsed subclasses)."""
    batch: bool = False
    """``messages.batches.create``: queues requests that run, and are billed, after the call returns."""


class _Anthropic(Instrumentor[_Kind]):
    """The anthropic client's targets on the shared instrumentor base."""

    name = "anthropic"
    targets = _TARGETS

    def __init__(self) -> None:
        super().__init__()
        self._stream_types: tuple[type, ...] = ()
        self._raw_type: type | None = None
        self._sdk_hook: Wrapper | None = None
        self._hook_lock = _forksafe.lock()

    def load(self) -> Mapping[str, _Kind]:
        import anthropic
        from anthropic.types import Message

        self._stream_types = (anthropic.Stream, anthropic.AsyncStream)
        self._raw_type = getattr(importlib.import_module("anthropic._response"), "APIResponse", None)
        kinds = {"call": _Kind(False, (Message,)), "stream": _Kind(True, (Message,)), "batch": _Kind(False, (), True)}
        try:
            from anthropic.types.beta import BetaMessage
        except ImportError:
            return kinds
        kinds["beta_call"] = _Kind(False, (BetaMessage,))
        kinds["beta_stream"] = _Kind(True, (BetaMessage,))
        return kinds

    def instrument(self, tracer_provider: trace.TracerProvider | None = None) -> bool:
        done = super().instrument(tracer_provider)
        with self._hook_lock:
            if done and self._sdk_hook is None:
                self._sdk_hook = _replace_sdk_spans()
        return done

    def uninstrument(self) -> None:
        super().uninstrument()
        with self._hook_lock:
            hook, self._sdk_hook = self._sdk_hook, None
            if hook is not None:
                _restore_sdk_spans(hook)

    def begin(self, kind: _Kind, instance: Any, kwargs: Mapping[str, Any], tracer: trace.Tracer,
              ctx: otel_context.Context | None = None) -> LLMCall:
        client = instance._client
        provider = client_provider(client)  # Bedrock, Vertex AI: their own names and prices
        if kind.batch:
            return batches.start_batch(tracer, instance, provider, semconv.OP_CHAT,
                                       batches.ANTHROPIC_ENDPOINT, batches.anthropic_requests(kwargs), ctx)
        streaming = kind.helper or kwargs.get("stream") is True
        model, attributes = attrs.request_attributes(kwargs, streaming, provider)
        server_attributes(attributes, instance)
        if provider is semconv.PROVIDER_GCP_VERTEX_AI:
            region = vertex_region(client)
            if region is not None:
                attributes[semconv.CLOUD_REGION] = region
        settings = config.call_settings()
        content = (attrs.message_content(kwargs, settings.limit, settings.budget)
                   if settings.capture is not config.ContentCapture.NO_CONTENT else None)
        name = f"{semconv.OP_CHAT} {model}" if model else semconv.OP_CHAT
        return start_call(tracer, name, attributes, model, provider, settings, content, ctx)

    def complete(self, call: LLMCall, kind: _Kind, result: Any, is_async: bool) -> Any:
        if kind.batch:
            _request_id(call, getattr(result, "_request_id", None))
            batches.batch_end(call, result)
            return result
        value: Any = result
        region = _region(call)
        if isinstance(result, self._stream_types):
            _request_id(call, value.response.headers.get("request-id"))
            accumulator = attrs.MessageAccumulator if region is None else partial(attrs.MessageAccumulator,
                                                                                  region=region)
            return wrap_stream(result, call, cast(Any, accumulator), is_async)
        message = value
        if self._raw_type is not None and isinstance(result, self._raw_type):
            # with_raw_response on a plain call: the body is already read, and parse() caches what it
            # returns, so the user's own parse() gets this very object. An unread body stays unread.
            message = value.parse() if value.http_response.is_closed else None
        if isinstance(message, kind.messages):
            _request_id(call, getattr(message, "_request_id", None))
            call.end(attrs.message_outcome(message, call.wants_output, call.limit, region))
        else:
            call.end(Outcome(usage_gap=semconv.GAP_RAW_RESPONSE))  # an unread body is the user's to read
        return result

    @staticmethod
    def failed(call: LLMCall, exc: BaseException) -> None:
        """The base's, with the request id the API error carries: the one thing Anthropic's support asks for."""
        try:
            _request_id(call, getattr(exc, "request_id", None))
        except Exception as err:  # the user's exception: a computed attribute may fail
            _guard.report("anthropic.request_id", err)
        Instrumentor.failed(call, exc)

    def wrapper(self, active: Activation, target: Target, kind: _Kind) -> Wrapper:
        if not kind.helper:
            return super().wrapper(active, target, kind)
        is_async = target.cls.startswith("Async")

        def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
            manager = wrapped(*args, **kwargs)
            if not active.skip():
                try:
                    _guard.fault_point("anthropic.stream_helper")
                    self._defer_span(active, kind, manager, instance, kwargs, is_async)
                except Exception as exc:
                    _guard.report("anthropic.stream_helper", exc)
            return manager

        return wrapper

    def _defer_span(self, active: Activation, kind: _Kind, manager: Any, instance: Any,
                    kwargs: Mapping[str, Any], is_async: bool) -> None:
        """Swap the manager's pending request for one that opens our span when it is really sent."""
        slot = next((n for n in vars(manager) if n.endswith("__api_request")), None)
        if slot is None:
            return  # a future SDK shape: the call goes untraced rather than broken
        original = getattr(manager, slot)

        def send() -> Any:
            call = self.enter(active, kind, instance, kwargs)
            if call is None:
                return original()
            try:
                raw = original()
            except BaseException as exc:
                self.failed(call, exc)
                raise
            return self.close(call, kind, raw, False)

        async def send_async() -> Any:
            call = self.enter(active, kind, instance, kwargs)
            if call is None:
                return await original
            try:
                raw = await original
            except BaseException as exc:
                self.failed(call, exc)
                raise
            return self.close(call, kind, raw, True)

        setattr(manager, slot, _Awaitable(send_async) if is_async else send)


class _Awaitable:
    """Awaited once by the async stream manager; unlike a coroutine, never warns if it isn't."""

    __slots__ = ("_fn",)

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._fn = fn

    def __await__(self) -> Any:
        return self._fn().__await__()


def _region(call: LLMCall) -> str | None:
    """The Vertex AI region :meth:`_Anthropic.begin` found the call sent to (on its span)."""
    span_attrs: Any = getattr(call.span, "attributes", None)
    region = span_attrs.get(semconv.CLOUD_REGION) if span_attrs is not None else None
    return region if isinstance(region, str) else None


def _request_id(call: LLMCall, value: Any) -> None:
    if isinstance(value, str) and value:
        call.span.set_attribute(semconv.ANTHROPIC_REQUEST_ID, value)


def _ours_is_current() -> bool:
    """Whether the current span is one of our anthropic ``chat`` spans, to Anthropic's API or a cloud's (the SDK's
    would duplicate it)."""
    span = trace.get_current_span()
    scope = getattr(span, "instrumentation_scope", None)
    if scope is None or scope.name != semconv.INSTRUMENTATION_SCOPE:
        return False
    span_attrs: Any = getattr(span, "attributes", None)
    return span_attrs is not None and span_attrs.get(semconv.GEN_AI_PROVIDER_NAME) in semconv.CLAUDE_PROVIDERS


def _skip_sdk_span(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    """``start_api_call_span`` returning ``None`` makes the SDK send the request without its span."""
    try:
        if _ours_is_current():
            return None
    except Exception as exc:
        _guard.report("anthropic.sdk_span", exc)
    return wrapped(*args, **kwargs)


def _replace_sdk_spans() -> Wrapper | None:
    try:
        module = importlib.import_module(_SDK_SPAN_MODULE)
        if not callable(getattr(module, _SDK_SPAN_FUNCTION, None)):
            return None  # an SDK without its own spans
        wrapt.wrap_function_wrapper(module, _SDK_SPAN_FUNCTION, _skip_sdk_span)
        return _skip_sdk_span
    except Exception as exc:
        _guard.report("anthropic.sdk_span", exc)
        return None


def _restore_sdk_spans(hook: Wrapper) -> None:
    try:
        module = importlib.import_module(_SDK_SPAN_MODULE)
        current = getattr(module, _SDK_SPAN_FUNCTION, None)
        if isinstance(current, wrapt.FunctionWrapper) and current._self_wrapper is hook:
            setattr(module, _SDK_SPAN_FUNCTION, current.__wrapped__)
    except Exception as exc:
        _guard.report("anthropic.sdk_span", exc)


_ANTHROPIC: Final = _Anthropic()


def instrument_anthropic(tracer_provider: trace.TracerProvider | None = None) -> bool:
    """Patch the anthropic client; True when it is (now or already) instrumented, False without anthropic.

    Idempotent: a second call while instrumented changes nothing (call :func:`uninstrument_anthropic`
    first to switch providers). Without ``tracer_provider`` the spans go where ``init()`` sends
    everything else.
    """
    return _ANTHROPIC.instrument(tracer_provider)


def uninstrument_anthropic() -> None:
    """Restore the original methods, and the SDK's own spans (no-op when not instrumented)."""
    _ANTHROPIC.uninstrument()


def is_instrumented() -> bool:
    return _ANTHROPIC.is_instrumented


class AnthropicInstrumentor(EntryPoint):
    """Entry point for ``opentelemetry-instrument`` (``opentelemetry_instrumentor`` group)."""

    instrumentation = _ANTHROPIC
    dependencies = ("anthropic >= 2.0",)
