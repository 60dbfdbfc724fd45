"""OpenTelemetry spans for the ``openai`` client: chat completions, responses, embeddings, legacy
completions, the other endpoints that bill per call (images, audio, videos...: see :mod:`._openai_other`), and
batch submits, billed later (see :mod:`._batches`).

The SDK's resource classes are patched in place with ``wrapt`` (so the module-level client, explicit
``OpenAI()`` / ``AsyncOpenAI()`` clients and helpers built on ``create`` such as
``chat.completions.stream()`` are all covered) and restored by :func:`uninstrument_openai`.

This module says *what* to wrap (the target table) and *what* to record (``begin``/``complete``); the
shared base (:mod:`._base`) owns patching, idempotence, the kill switch and the two guarded steps
around the user's call: open the span from the request kwargs, and close it from the response (or
hand the response to a stream proxy that closes it later). The user's call itself runs outside the
guard: if our code fails the call proceeds untouched, and an exception from the API reaches the user
unchanged after it was recorded on the span.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import _guard, config, semconv
from ..llm import Content, LLMCall, Outcome, start_call
from . import _batches as batches
from . import _openai_attrs as attrs
from . import _openai_chat as chat
from . import _openai_other as other
from . import _openai_responses as responses
from ._base import Activation, EntryPoint, Instrumentor, Target, Wrapper
from ._openai_other import CompletionAccumulator
from ._streams import (
    Accumulator,
    AsyncStreamProxy,
    ChatAccumulator,
    ResponsesAccumulator,
    StreamProxy,
    wrap_stream,
)

__all__ = ["OpenAIInstrumentor", "instrument_openai", "uninstrument_openai"]


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one family of endpoints maps onto a span."""

    operation: str
    params: attrs.ParamTable
    content: Callable[[Mapping[str, Any], int, int], Content] | None
    end: Callable[[LLMCall, Any], None]
    """Ends the call's span from a plain (``result_types``) result."""
    accumulator: type[Accumulator] | None
    result_types: tuple[type, ...]
    """What a plain call returns; anything else (``with_raw_response``) gets a span without response data."""
    api_type: str | None = None
    """``openai.api.type`` (the conventions name chat completions and responses; embeddings have none)."""


_TARGETS: Final = (
    Target("openai.resources.chat.completions.completions", "Completions", "create", "chat"),
    Target("openai.resources.chat.completions.completions", "Completions", "parse", "chat"),
    Target("openai.resources.chat.completions.completions", "AsyncCompletions", "create", "chat", is_async=True),
    Target("openai.resources.chat.completions.completions", "AsyncCompletions", "parse", "chat", is_async=True),
    Target("openai.resources.responses.responses", "Responses", "create", "responses"),
    Target("openai.resources.responses.responses", "Responses", "parse", "responses"),
    Target("openai.resources.responses.responses", "AsyncResponses", "create", "responses", is_async=True),
    Target("openai.resources.responses.responses", "AsyncResponses", "parse", "responses", is_async=True),
    Target("openai.resources.embeddings", "Embeddings", "create", "embeddings"),
    Target("openai.resources.embeddings", "AsyncEmbeddings", "create", "embeddings", is_async=True),
    Target("openai.resources.completions", "Completions", "create", "completions"),
    Target("openai.resources.completions", "AsyncCompletions", "create", "completions", is_async=True),
    *(Target(module, prefix + cls, method, "unpriced", is_async=bool(prefix))
      for module, cls, methods in (
          ("openai.resources.images", "Images", ("generate", "edit", "create_variation")),
          ("openai.resources.audio.speech", "Speech", ("create",)),
          ("openai.resources.audio.transcriptions", "Transcriptions", ("create",)),
          ("openai.resources.audio.translations", "Translations", ("create",)),
          ("openai.resources.videos", "Videos", ("create", "edit", "extend", "remix")),
          ("openai.resources.decisions", "Decisions", ("create",)),
          ("openai.resources.responses.responses", "Responses", ("compact",)),
      )
      for prefix in ("", "Async") for method in methods),
    *(Target("openai.resources.beta.responses.responses", prefix + "Responses", method, "unpriced",
             is_async=bool(prefix), late=True)
      for prefix in ("", "Async") for method in ("create", "compact")),
    Target("openai.resources.batches", "Batches", "create", "batch"),
    Target("openai.resources.batches", "AsyncBatches", "create", "batch", is_async=True),
)
"""Every method that bills a model call, and the batch submit that queues them (billed later: see
:mod:`._batches`; a batch of free moderations passes straight through). The ``unpriced`` ones are counted with
the tokens they report and their cost unknown (``GAP_ENDPOINT_UNPRICED``); free ones (moderations, listings,
retrievals) are left alone.
Helpers built on a wrapped method (``chat.completions.stream``) are covered through it.

``beta.responses`` is ``late``: its module imports the whole ``openai.types.beta`` package (about 500
modules, a third of a second), which the SDK loads only when a program first uses ``client.beta``. It is
patched then, by the hook below, so ``init()`` does not pay for it. The Assistants API (``beta.threads``,
retired by OpenAI in August 2026) is not wrapped."""

_HELPER_CLOSES: Final = tuple(
    Target(module, prefix + cls, "close", "helper_close", is_async=bool(prefix))
    for module, cls in (("openai.lib.streaming.chat._completions", "ChatCompletionStream"),
                        ("openai.lib.streaming.responses._responses", "ResponseStream"))
    for prefix in ("", "Async"))
"""No model calls: the streams of ``chat.completions.stream()`` / ``responses.stream()`` close their HTTP
response directly, past the raw stream (our proxy) they read, so leaving their ``with`` block early would
leave the call's span open until the proxy is collected (never, while the program holds it). Their
``close`` ends that span too."""

_LATE_HOOKS: Final = (("openai._resource", "SyncAPIResource", "__init__"),
                      ("openai._resource", "AsyncAPIResource", "__init__"))
"""Every resource object (``client.beta`` is one, made after the SDK imports its modules) is made through
these: the module-level client, ``OpenAI()`` / ``AsyncOpenAI()`` and a ``Responses(client)`` the program
built from its own import alike. A resource is made once per client (the client caches it), not per call."""


def _embeddings_end(call: LLMCall, resp: Any) -> None:
    call.end(responses.embeddings_outcome(resp))


def _responses_end(call: LLMCall, resp: Any) -> None:
    call.end(responses.responses_outcome(resp, call.content is not None, call.limit))


def _completions_end(call: LLMCall, resp: Any) -> None:
    call.end(other.completion_outcome(resp, call.content is not None, call.limit))


def _no_end(call: LLMCall, resp: Any) -> None:  # pragma: no cover - helper_close opens no span
    call.end(Outcome())


_HELPER_CLOSE: Final = _Kind(semconv.OP_CHAT, attrs.NO_PARAMS, None, _no_end, None, ())
"""The kind of a stream helper's ``close``: it records nothing, it ends the span of the stream it read."""

_BATCH: Final = _Kind(semconv.OP_GENERATE_CONTENT, attrs.NO_PARAMS, None, batches.batch_end, None, (object,))
"""``batches.create``: whatever it returns (a ``Batch``, a raw response) ends the span; its operation is that of
the endpoint its requests run on."""


def _batch_shell(shell: Wrapper, is_async: bool) -> Wrapper:
    """A batch of free requests (moderations) is no model call: it passes straight through, unrecorded."""
    if is_async:
        async def async_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                                kwargs: dict[str, Any]) -> Any:
            if batches.free(kwargs.get("endpoint")):
                return await wrapped(*args, **kwargs)
            return await shell(wrapped, instance, args, kwargs)

        return async_wrapper

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if batches.free(kwargs.get("endpoint")):
            return wrapped(*args, **kwargs)
        return shell(wrapped, instance, args, kwargs)

    return wrapper


def _end_raw_stream(helper: Any) -> None:
    try:
        raw = helper.__dict__.get("_raw_stream")
        if isinstance(raw, (StreamProxy, AsyncStreamProxy)):
            raw._self_state.finish()
    except Exception as exc:
        _guard.report("openai.stream.finish", exc)


def _helper_close(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return wrapped(*args, **kwargs)
    finally:
        _end_raw_stream(instance)


async def _async_helper_close(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                              kwargs: dict[str, Any]) -> Any:
    try:
        return await wrapped(*args, **kwargs)
    finally:
        _end_raw_stream(instance)


def _kinds() -> dict[str, _Kind]:
    """The endpoint families this SDK has (an older one has no Responses API: its targets are skipped)."""
    from openai.types import Completion, CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion

    kinds = {
        "chat": _Kind(semconv.OP_CHAT, attrs.CHAT_PARAMS, chat.chat_content, chat.chat_end,
                      ChatAccumulator, (ChatCompletion,), semconv.OPENAI_API_CHAT_COMPLETIONS),
        "embeddings": _Kind(semconv.OP_EMBEDDINGS, attrs.EMBEDDINGS_PARAMS, None, _embeddings_end,
                            None, (CreateEmbeddingResponse,)),
        "completions": _Kind(semconv.OP_TEXT_COMPLETION, attrs.COMPLETIONS_PARAMS, other.completion_content,
                             _completions_end, CompletionAccumulator, (Completion,)),
        # Whatever these return (a model, bytes, a stream, a raw response) ends the span: no stream proxy.
        "unpriced": _Kind(semconv.OP_GENERATE_CONTENT, attrs.NO_PARAMS, None, other.unpriced_end, None, (object,)),
        "helper_close": _HELPER_CLOSE,
        "batch": _BATCH,
    }
    try:
        from openai.types.responses import Response
    except ImportError:
        return kinds
    kinds["responses"] = _Kind(semconv.OP_CHAT, attrs.RESPONSES_PARAMS, responses.responses_content,
                               _responses_end, ResponsesAccumulator, (Response,),
                               semconv.OPENAI_API_RESPONSES)
    return kinds


class _OpenAI(Instrumentor[_Kind]):
    """The openai client's targets on the shared instrumentor base."""

    name = "openai"
    targets = (*_TARGETS, *_HELPER_CLOSES)
    late_hooks = _LATE_HOOKS

    def __init__(self) -> None:
        super().__init__()
        self._stream_types: tuple[type, ...] = ()

    def load(self) -> Mapping[str, _Kind]:
        import openai

        kinds = _kinds()
        self._stream_types = (openai.Stream, openai.AsyncStream)
        return kinds

    def wrapper(self, active: Activation, target: Target, kind: _Kind) -> Wrapper:
        if kind is _HELPER_CLOSE:
            return _async_helper_close if target.is_async else _helper_close
        if kind is _BATCH:
            return _batch_shell(super().wrapper(active, target, kind), target.is_async)
        return super().wrapper(active, target, kind)

    def begin(self, kind: _Kind, instance: Any, kwargs: Mapping[str, Any], tracer: trace.Tracer,
              ctx: otel_context.Context | None = None) -> LLMCall:
        if kind is _BATCH:
            endpoint = kwargs.get("endpoint")
            return batches.start_batch(tracer, instance, semconv.PROVIDER_OPENAI, batches.openai_operation(endpoint),
                                       endpoint, None, ctx)
        streaming = kwargs.get("stream") is True
        model, attributes = attrs.request_attributes(kind.operation, kind.params, kwargs, streaming)
        provider = attrs.server_attributes(attributes, instance)
        if provider is not semconv.PROVIDER_OPENAI:  # Azure OpenAI (decided once per client, see server_attributes)
            attributes[semconv.GEN_AI_PROVIDER_NAME] = provider
        if kind.api_type is not None:
            attributes[semconv.OPENAI_API_TYPE] = kind.api_type
        settings = config.call_settings()
        content = None
        if kind.content is not None and settings.capture is not config.ContentCapture.NO_CONTENT:
            content = kind.content(kwargs, settings.limit, settings.budget)
        name = f"{kind.operation} {model}" if model else kind.operation
        call = start_call(tracer, name, attributes, model, provider, settings, content, ctx)
        call.requested_tier = attributes.get(semconv.OPENAI_REQUEST_SERVICE_TIER)
        return call

    def complete(self, call: LLMCall, kind: _Kind, result: Any, is_async: bool) -> Any:
        if isinstance(result, kind.result_types):
            kind.end(call, result)
        elif kind.accumulator is not None and isinstance(result, self._stream_types):
            return wrap_stream(result, call, kind.accumulator, is_async)
        else:
            # raw / streaming-response helpers: the body is the user's to read, its usage unseen
            call.end(Outcome(usage_gap=semconv.GAP_RAW_RESPONSE))
        return result


_OPENAI: Final = _OpenAI()


def instrument_openai(tracer_provider: trace.TracerProvider | None = None) -> bool:
    """Patch the openai client; True when it is (now or already) instrumented, False without openai.

    Idempotent: a second call while instrumented changes nothing (not even the tracer provider; call
    :func:`uninstrument_openai` first to switch providers). Without ``tracer_provider`` the spans go
    where ``init()`` sends everything else.
    """
    return _OPENAI.instrument(tracer_provider)


def uninstrument_openai() -> None:
    """Restore the original methods (no-op when not instrumented).

    A method that another instrumentation wrapped on top of ours can't be unpicked without breaking
    theirs; our wrapper inside it becomes a pass-through instead.
    """
    _OPENAI.uninstrument()


def is_instrumented() -> bool:
    return _OPENAI.is_instrumented


class OpenAIInstrumentor(EntryPoint):
    """Entry point for ``opentelemetry-instrument`` (``opentelemetry_instrumentor`` group)."""

    instrumentation = _OPENAI
    dependencies = ("openai >= 1.40",)
