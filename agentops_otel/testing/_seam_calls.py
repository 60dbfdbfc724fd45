"""Watching the model-call methods while a recording or replay runs, so no call slips past it.

The seam answers requests at the SDK's send method. A client built with its own ``http_client=`` (the
SDKs' way to set a proxy or a timeout) may send without passing there: anthropic's client sends
straight through the HTTP client it was given, and an SDK version without the send method we patch
(openai 1.x) through whichever client it holds. A recording would then save no LLM step, and a replay
would pass while the request went live.

So for the while of a recording or replay the methods the instrumentation wraps (``messages.create``,
``chat.completions.create``...) are wrapped too. A call whose client the seam does not cover is made
through a copy of that client whose HTTP client hands each request to the recorder or replayer (the
user's client still sends what is sent live); a client that cannot be routed so is reported to the
handler before anything is sent (a replay fails naming the call, a recording refuses to be saved),
and a call that returns without the seam having seen its request is reported after it.

A call can also reach the client without passing these methods: ``messages.with_raw_response`` /
``with_streaming_response`` hold the ``create`` they saw when first used, which is the SDK's own if that
was before the recording or replay started. So each SDK client's ``request`` (the one way every call made
on a client goes out, looked up on the client at each call) is watched the same way; a call already
watched at its method passes it untouched.

The wrappers ask which recording or replay is running when called, rather than keeping the one they were
made for: an SDK resource caches bound methods (``messages.with_raw_response`` holds the ``create`` it
saw first), so a wrapper made for an earlier recording is still called in a later replay, and must
answer for that replay. Nothing running, each is a pass-through that refers to no recorder.
"""

from __future__ import annotations

import contextvars
import copy
import importlib
import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import wrapt

from .._guard import type_name

if TYPE_CHECKING:
    from ._providers import Provider
    from ._seam import Handler

__all__ = ["Running", "Watched", "mark_seen", "watch"]

_SEEN: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("agentops_otel.replay_seen", default=None)
"""Set while a watched model call runs: the seam marks it when the call's request reaches it."""


_CLIENTS: Final = {"openai": "openai._base_client", "anthropic": "anthropic._base_client"}
"""Where each SDK's ``SyncAPIClient`` / ``AsyncAPIClient`` are: their ``request`` is watched too."""


def _targets(provider: str) -> tuple[Any, ...]:
    """The methods the instrumentation wraps for ``provider`` (its ``Target`` list)."""
    if provider == "openai":
        from ..instrument.openai import _TARGETS as openai_targets

        return openai_targets
    if provider == "anthropic":
        from ..instrument.anthropic import _TARGETS as anthropic_targets

        return anthropic_targets
    return ()


Watched = tuple[type, str, Any, Any]
"""``(class, method, what was there, our wrapper)``."""

Running = Callable[[], "tuple[Handler, tuple[tuple[type, str], ...]] | None"]
"""The recording or replay running now and the classes whose send the seam patched; ``None`` when none."""

_Naming = Callable[[tuple[Any, ...], dict[str, Any]], str]
"""A watched call's arguments -> the call as a report names it (``openai Completions.create(model='...')``)."""


def mark_seen() -> None:
    """The seam got the current call's request."""
    seen = _SEEN.get()
    if seen is not None:
        seen[0] = True


def watch(provider: Provider, running: Running) -> list[Watched]:
    """Wrap ``provider``'s model-call methods for whatever ``running`` says runs when one is called.
    (``stream`` returns a context manager that sends when entered: it is not checked after it returns.)"""
    done: list[Watched] = []
    for target in _targets(provider.name):
        cls_name, method = target.cls, target.method
        try:
            # A late target's module is not imported here (init() leaves it unloaded; it costs half a
            # second): a call through it is watched at the client's ``request`` like any other.
            module = sys.modules.get(target.module) if target.late else importlib.import_module(target.module)
            cls = getattr(module, cls_name)
        except (ImportError, AttributeError):
            continue
        original = vars(cls).get(method)
        if original is None or not _is_sdks(original, target.module):
            continue
        label = f"{provider.name} {cls_name}.{method}"
        # Routed by the client's flavour, not the method's: ``AsyncMessages.stream`` is a plain function
        # whose manager sends on an async client.
        routes_async = cls_name.startswith("Async")
        naming = _method_call(label)
        fn = _async(provider, running, cls, original, naming, False) if target.is_async \
            else _sync(provider, running, cls, original, naming, False, method != "stream", routes_async)
        wrapt.wrap_function_wrapper(cls, method, fn)
        done.append((cls, method, original, vars(cls)[method]))
    return done + _watch_clients(provider, running)


def _watch_clients(provider: Provider, running: Running) -> list[Watched]:
    """Wrap the SDK clients' ``request``, for the calls that reach it without passing a watched method."""
    module = _CLIENTS.get(provider.name)
    if module is None:
        return []
    done: list[Watched] = []
    for cls_name, is_async in (("SyncAPIClient", False), ("AsyncAPIClient", True)):
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        original = vars(cls).get("request")
        if original is None or not _is_sdks(original, module):
            continue
        naming = _request_call(provider.name)
        fn = _async(provider, running, cls, original, naming, True) if is_async \
            else _sync(provider, running, cls, original, naming, True, True, False)
        wrapt.wrap_function_wrapper(cls, "request", fn)
        done.append((cls, "request", original, vars(cls)["request"]))
    return done


def _is_sdks(method: Any, module: str) -> bool:
    """Whether ``method`` is the SDK's own (under any wrappers): one a test replaced (a ``Mock``, a fake)
    never reaches the SDK's send, and is the test's business, not a model call the recording missed."""
    for _ in range(32):
        inner = getattr(method, "__wrapped__", None)
        if inner is None:
            break
        method = inner
    return inspect.isfunction(method) and str(method.__module__).partition(".")[0] == module.partition(".")[0]


def _plan(provider: Provider, handler: Handler, instance: Any, on_client: bool,
          covered: tuple[tuple[type, str], ...], call: Callable[[], str], is_async: bool) -> Any:
    """``None`` when the seam sees this call's request as it is; else what to make the call on instead (the
    resource, or the client when ``on_client``), bound to a copy of the client that routes its requests
    through the seam. A client that cannot be routed is reported to the handler (a replay raises here,
    before anything is sent)."""
    client = instance if on_client else getattr(instance, "_client", None)
    http = getattr(client, "_client", None)
    if _sends_through(client, covered) or _sends_through(http, covered) or isinstance(http, _Routed):
        return None
    if client is None or not callable(getattr(http, "send", None)):
        handler.unseen(call(), f"its client ({type_name(client)}) is not one the recording "
                       "and replay can answer: they see no request it sends")
        return None
    routed = copy.copy(client)
    routed._client = (_AsyncRouted if is_async else _Routed)(http, provider, handler, client)
    if getattr(routed, "_middleware_chain", None) is not None and hasattr(routed, "_build_middleware_chain"):
        routed._middleware_chain = routed._build_middleware_chain()  # its handlers call the routed client's send
    return routed if on_client else type(instance)(routed)


def _sends_through(obj: Any, covered: tuple[tuple[type, str], ...]) -> bool:
    """Whether ``obj``'s send method is one the seam patched (not a subclass's override of it)."""
    for cls, method in covered:
        if isinstance(obj, cls):
            owner = next((c for c in type(obj).__mro__ if method in vars(c)), None)
            return owner is cls
    return False


def _call(label: str, model: Any) -> str:
    return f"{label}(model={model!r})" if isinstance(model, str) else label


def _method_call(label: str) -> _Naming:
    return lambda args, kwargs: _call(label, kwargs.get("model"))


def _request_call(provider: str) -> _Naming:
    """Names a call by what it requests (``anthropic POST /v1/messages(model='...')``): at the client's
    ``request`` the SDK method it was made by is no longer known."""
    def naming(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        options = args[1] if len(args) > 1 else kwargs.get("options")
        method, url = getattr(options, "method", "?"), getattr(options, "url", "?")
        body = getattr(options, "json_data", None)
        return _call(f"{provider} {str(method).upper()} {url}", body.get("model") if isinstance(body, dict) else None)

    return naming


def _unseen_after(handler: Handler, call: str, instance: Any, on_client: bool) -> None:
    client = instance if on_client else getattr(instance, "_client", None)
    handler.unseen(call, f"its request did not reach the recording or replay: {type_name(client)} "
                   "sent it by a path they do not know (an SDK version or a client subclass)")


def _sync(provider: Provider, running: Running, cls: type, original: Any, naming: _Naming, on_client: bool,
          check_after: bool, routes_async: bool) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        __tracebackhide__ = True
        now = running()
        # Not the SDK's resource: not its model call. Inside a watched call already: a wrapper of an
        # earlier recording left beneath another's (``init()`` inside it), which must not route it twice.
        if now is None or _SEEN.get() is not None or not isinstance(instance, cls):
            return wrapped(*args, **kwargs)
        handler, covered = now
        resource = _plan(provider, handler, instance, on_client, covered, lambda: naming(args, kwargs), routes_async)
        seen = [False]
        token = _SEEN.set(seen)
        try:
            if resource is None:
                result = wrapped(*args, **kwargs)
            else:
                result = original.__get__(resource, type(resource))(*args, **kwargs)
        finally:
            _SEEN.reset(token)
        if check_after and not seen[0]:
            _unseen_after(handler, naming(args, kwargs), instance, on_client)
        return result

    return wrapper


def _async(provider: Provider, running: Running, cls: type, original: Any, naming: _Naming,
           on_client: bool) -> Callable[..., Any]:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        __tracebackhide__ = True
        now = running()
        if now is None or _SEEN.get() is not None or not isinstance(instance, cls):
            return await wrapped(*args, **kwargs)
        handler, covered = now
        resource = _plan(provider, handler, instance, on_client, covered, lambda: naming(args, kwargs), True)
        seen = [False]
        token = _SEEN.set(seen)
        try:
            if resource is None:
                result = await wrapped(*args, **kwargs)
            else:
                result = await original.__get__(resource, type(resource))(*args, **kwargs)
        finally:
            _SEEN.reset(token)
        if not seen[0]:
            _unseen_after(handler, naming(args, kwargs), instance, on_client)
        return result

    return wrapper


class _Routed:
    """The user's HTTP client as the copied SDK client sees it: each request goes through the handler,
    which sends it on the user's client (live, recording) or answers it (replay)."""

    def __init__(self, http: Any, provider: Provider, handler: Handler, client: Any) -> None:
        self._http = http
        self._provider = provider
        self._handler = handler
        self._sdk_client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._http, name)

    def _exchange(self, request: Any, kwargs: dict[str, Any]) -> Any:
        from ._seam import Exchange

        mark_seen()
        return Exchange(self._provider, self._sdk_client, request, bool(kwargs.get("stream", False)))

    def send(self, request: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        return self._handler.send(self._exchange(request, kwargs), lambda: self._http.send(request, **kwargs))


class _AsyncRouted(_Routed):
    async def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        __tracebackhide__ = True
        return await self._handler.asend(self._exchange(request, kwargs), lambda: self._http.send(request, **kwargs))
