"""OpenTelemetry spans for the ``openai`` client: chat completions, responses and embeddings.

The SDK's resource classes are patched in place with ``wrapt`` (so the module-level client, explicit
``OpenAI()`` / ``AsyncOpenAI()`` clients and helpers built on ``create`` such as
``chat.completions.stream()`` are all covered) and restored by :func:`uninstrument_openai`.

Each wrapper is a thin shell around two guarded steps: open the span from the request kwargs, and
close it from the response (or hand the response to a stream proxy that closes it later). The
user's call itself runs outside the guard: if our code fails the call proceeds untouched, and an
exception from the API reaches the user unchanged after it was recorded on the span.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import _guard, config, semconv
from ..llm import Content, LLMCall, Outcome, start_call
from . import _openai_attrs as attrs
from ._streams import Accumulator, ChatAccumulator, ResponsesAccumulator, wrap_stream

__all__ = ["OpenAIInstrumentor", "instrument_openai", "uninstrument_openai"]

logger = logging.getLogger("agentops_otel")

_SUPPRESS_KEY: Final = getattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY", "suppress_instrumentation")


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one family of endpoints maps onto a span."""

    operation: str
    params: attrs.ParamTable
    content: Callable[[Mapping[str, Any], int], Content] | None
    outcome: Callable[[Any, bool, int], Outcome]
    accumulator: type[Accumulator] | None
    result_types: tuple[type, ...]
    """What a plain call returns; anything else (``with_raw_response``) gets a span without response data."""


@dataclass(frozen=True, slots=True)
class _Target:
    module: str
    cls: str
    method: str
    kind: str
    is_async: bool


_TARGETS: Final = (
    _Target("openai.resources.chat.completions.completions", "Completions", "create", "chat", False),
    _Target("openai.resources.chat.completions.completions", "Completions", "parse", "chat", False),
    _Target("openai.resources.chat.completions.completions", "AsyncCompletions", "create", "chat", True),
    _Target("openai.resources.chat.completions.completions", "AsyncCompletions", "parse", "chat", True),
    _Target("openai.resources.responses.responses", "Responses", "create", "responses", False),
    _Target("openai.resources.responses.responses", "Responses", "parse", "responses", False),
    _Target("openai.resources.responses.responses", "AsyncResponses", "create", "responses", True),
    _Target("openai.resources.responses.responses", "AsyncResponses", "parse", "responses", True),
    _Target("openai.resources.embeddings", "Embeddings", "create", "embeddings", False),
    _Target("openai.resources.embeddings", "AsyncEmbeddings", "create", "embeddings", True),
)


def _embeddings_outcome(resp: Any, with_content: bool, limit: int) -> Outcome:
    return attrs.embeddings_outcome(resp)


def _kinds() -> dict[str, _Kind]:
    from openai.types import CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion
    from openai.types.responses import Response

    return {
        "chat": _Kind(semconv.OP_CHAT, attrs.CHAT_PARAMS, attrs.chat_content, attrs.chat_outcome,
                      ChatAccumulator, (ChatCompletion,)),
        "responses": _Kind(semconv.OP_CHAT, attrs.RESPONSES_PARAMS, attrs.responses_content,
                           attrs.responses_outcome, ResponsesAccumulator, (Response,)),
        "embeddings": _Kind(semconv.OP_EMBEDDINGS, attrs.EMBEDDINGS_PARAMS, None, _embeddings_outcome,
                            None, (CreateEmbeddingResponse,)),
    }


class _Instrumentation:
    """One ``instrument_openai()``: its tracer, and a switch that turns its wrappers into pass-throughs."""

    __slots__ = ("active", "stream_types", "tracer", "wrappers")

    def __init__(self, tracer: trace.Tracer) -> None:
        import openai

        self.tracer = tracer
        self.active = True
        self.stream_types: tuple[type, type] = (openai.Stream, openai.AsyncStream)
        self.wrappers: list[tuple[type, str, Any]] = []

    def skip(self) -> bool:
        try:
            return not self.active or bool(otel_context.get_value(_SUPPRESS_KEY)) or config.disabled()
        except Exception as exc:
            _guard.report("openai.skip", exc)
            return True

    def begin(self, kind: _Kind, resource: Any, kwargs: Mapping[str, Any]) -> LLMCall | None:
        """Open the span; ``None`` (and one logged warning) if anything in our code fails."""
        try:
            _guard.fault_point("openai.start")
            streaming = kwargs.get("stream") is True
            model, attributes = attrs.request_attributes(kind.operation, kind.params, kwargs, streaming)
            attrs.server_attributes(attributes, resource)
            capture = config.content_capture()
            limit = config.max_value_chars()
            content = None
            if kind.content is not None and capture is not config.ContentCapture.NO_CONTENT:
                content = kind.content(kwargs, limit)
            name = f"{kind.operation} {model}" if model else kind.operation
            return start_call(self.tracer, name, attributes, model, semconv.PROVIDER_OPENAI, capture,
                              content, limit)
        except Exception as exc:
            _guard.report("openai.start", exc)
            return None

    def complete(self, call: LLMCall, kind: _Kind, result: Any, is_async: bool) -> Any:
        """End the span from ``result`` (or hand a stream to its proxy); always give back the user's value."""
        try:
            _guard.fault_point("openai.response")
            if kind.accumulator is not None and isinstance(result, self.stream_types):
                return wrap_stream(result, call, kind.accumulator, is_async)
            if isinstance(result, kind.result_types):
                call.end(kind.outcome(result, call.wants_output, call.limit))
            else:
                # raw / streaming-response helpers: the body is the user's to read, its usage unseen
                call.end(Outcome(usage_gap=semconv.GAP_RAW_RESPONSE))
        except Exception as exc:
            _guard.report("openai.response", exc)
            call.abort()
        return result


def _activate(call: LLMCall) -> object | None:
    """Make the LLM span current for the SDK's own work (HTTP spans nest under it)."""
    try:
        return otel_context.attach(trace.set_span_in_context(call.span))
    except Exception as exc:
        _guard.report("openai.context", exc)
        return None


def _deactivate(token: object | None) -> None:
    if token is not None:
        try:
            otel_context.detach(token)  # type: ignore[arg-type]
        except Exception as exc:
            _guard.report("openai.context", exc)


def _sync_wrapper(inst: _Instrumentation, kind: _Kind) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        if inst.skip():
            return wrapped(*args, **kwargs)
        call = inst.begin(kind, instance, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        token = _activate(call)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            _deactivate(token)
            call.fail(exc)
            raise
        _deactivate(token)
        return inst.complete(call, kind, result, False)

    return wrapper


def _async_wrapper(inst: _Instrumentation, kind: _Kind) -> Callable[..., Awaitable[Any]]:
    async def wrapper(wrapped: Callable[..., Awaitable[Any]], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        if inst.skip():
            return await wrapped(*args, **kwargs)
        call = inst.begin(kind, instance, kwargs)
        if call is None:
            return await wrapped(*args, **kwargs)
        token = _activate(call)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _deactivate(token)
            call.fail(exc)
            raise
        _deactivate(token)
        return inst.complete(call, kind, result, True)

    return wrapper


_lock = threading.Lock()
_current: _Instrumentation | None = None


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("agentops-otel-replay")
    except Exception:
        return "0"


def instrument_openai(tracer_provider: trace.TracerProvider | None = None) -> bool:
    """Patch the openai client; True when it is (now or already) instrumented, False without openai.

    Idempotent: a second call while instrumented changes nothing (not even the tracer provider; call
    :func:`uninstrument_openai` first to switch providers).
    """
    global _current
    with _lock:
        if _current is not None:
            return True
        try:
            kinds = _kinds()
            tracer = trace.get_tracer(semconv.INSTRUMENTATION_SCOPE, _version(),
                                      tracer_provider=tracer_provider)
            inst = _Instrumentation(tracer)
        except ImportError:
            logger.debug("agentops_otel: openai is not installed; nothing to instrument")
            return False
        for target in _TARGETS:
            module = importlib.import_module(target.module)
            cls = getattr(module, target.cls, None)
            if cls is None or target.method not in vars(cls):
                continue  # an older/newer SDK without this method
            kind = kinds[target.kind]
            fn = _async_wrapper(inst, kind) if target.is_async else _sync_wrapper(inst, kind)
            wrapt.wrap_function_wrapper(cls, target.method, fn)
            inst.wrappers.append((cls, target.method, fn))
        _current = inst
        return True


def uninstrument_openai() -> None:
    """Restore the original methods (no-op when not instrumented).

    A method that another instrumentation wrapped on top of ours can't be unpicked without breaking
    theirs; our wrapper inside it becomes a pass-through instead.
    """
    global _current
    with _lock:
        inst = _current
        if inst is None:
            return
        inst.active = False
        for cls, method, fn in inst.wrappers:
            current = vars(cls).get(method)
            if isinstance(current, wrapt.FunctionWrapper) and current._self_wrapper is fn:
                setattr(cls, method, current.__wrapped__)
        inst.wrappers.clear()
        _current = None


def is_instrumented() -> bool:
    return _current is not None


class _PlainInstrumentor:
    """The protocol ``opentelemetry-instrument`` drives, for when opentelemetry-instrumentation is absent."""

    def instrument(self, **kwargs: Any) -> None:
        self._instrument(**kwargs)

    def uninstrument(self, **kwargs: Any) -> None:
        self._uninstrument(**kwargs)

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        return is_instrumented()

    def _instrument(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def _uninstrument(self, **kwargs: Any) -> None:
        raise NotImplementedError


if TYPE_CHECKING:
    _Base = _PlainInstrumentor
else:
    try:
        from opentelemetry.instrumentation.instrumentor import BaseInstrumentor as _Base
    except ImportError:
        _Base = _PlainInstrumentor


class OpenAIInstrumentor(_Base):
    """Entry point for ``opentelemetry-instrument`` (``opentelemetry_instrumentor`` group)."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("openai >= 1.40",)

    def _instrument(self, **kwargs: Any) -> None:
        instrument_openai(tracer_provider=kwargs.get("tracer_provider"))

    def _uninstrument(self, **kwargs: Any) -> None:
        uninstrument_openai()
