"""Installing the recorder or replayer on the provider SDKs' send method and on the tool hook.

The model-call methods are watched too (:mod:`._seam_calls`): a client whose requests do not pass the
send method (its own ``http_client=``, a subclass, another SDK version) is routed to it or reported.

Only one recorder or replayer is active at a time (a replay inside a recording would record the
replay); installing a second one is an error rather than a silent stack. The patches are plain
``wrapt`` wrappers that exist only while the recording or replay runs, so production code never
pays for them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import wrapt
from opentelemetry import context as otel_context

from .. import _forksafe, _replay_hook
from ..instrument._patching import retire
from ._providers import PROVIDERS, Provider, plain_endpoint
from ._seam_calls import Watched, mark_seen, watch

__all__ = ["Exchange", "Handler", "current_parent", "inside", "install", "uninstall"]

_PARENT = otel_context.create_key("agentops_otel.replay_parent")
"""The recorded step a call is made inside, kept in the OpenTelemetry context rather than a contextvar of
its own: it then goes wherever the enclosing step's span goes (``SessionExecutor``, ``carry_context``,
another propagation of the context), so a live recording, a replay and a cassette made from the trace's
parent ids name the same caller."""


def current_parent() -> int | None:
    """The index of the recorded tool or action step the current call is made inside, if any."""
    value = otel_context.get_value(_PARENT)
    return value if isinstance(value, int) else None


@contextmanager
def inside(index: int | None) -> Iterator[None]:
    """Calls made in this block (and in what it hands its context to) are made inside step ``index``."""
    if index is None:
        yield
        return
    token = otel_context.attach(otel_context.set_value(_PARENT, index))
    try:
        yield
    finally:
        otel_context.detach(token)


class Exchange:
    """One request the agent's client is about to send, as the handler sees it."""

    __slots__ = ("body", "client", "endpoint", "provider", "request", "stream")

    def __init__(self, provider: Provider, client: Any, request: Any, stream: bool) -> None:
        self.provider = provider
        self.client = client
        self.request = request
        self.stream = stream
        base_url = getattr(client, "base_url", None)
        base = str(getattr(base_url, "path", "") or "").rstrip("/")
        path = request.url.path
        self.endpoint = plain_endpoint(path[len(base):] if base and path.startswith(base) else path)
        try:
            parsed = json.loads(request.content or b"{}")
        except (ValueError, UnicodeDecodeError):
            parsed = {}
        self.body: dict[str, Any] = parsed if isinstance(parsed, dict) else {"body": parsed}

    def http_library(self) -> Any:
        """The SDK's own HTTP library module (``httpx``, or the copy an SDK vendors), as its request says."""
        import importlib

        return importlib.import_module(type(self.request).__module__.split(".")[0])

    def response(self, status: int, content: bytes, content_type: str, cut: BaseException | None = None, *,
                 headers: Mapping[str, str] | None = None) -> Any:
        """A response of the SDK's own HTTP library, as if the server had sent these bytes with ``headers`` (and
        then failed with ``cut``, as a connection dropped mid-answer does: the SDK raises it as it reads the body)."""
        httpx = self.http_library()
        headers = {**(headers or {}), "content-type": content_type}
        if cut is None:
            return httpx.Response(status, headers=headers, content=content, request=self.request)
        return httpx.Response(status, headers=headers, stream=_cut_stream(httpx, content, cut), request=self.request)


def _cut_stream(httpx: Any, content: bytes, cut: BaseException) -> Any:
    """A body of ``content`` whose reading then raises ``cut`` (sync or async, as the SDK's client reads)."""

    class _Cut(httpx.SyncByteStream, httpx.AsyncByteStream):  # type: ignore[misc, name-defined]
        def __iter__(self) -> Iterator[bytes]:
            yield content
            raise cut

        async def __aiter__(self) -> Any:
            yield content
            raise cut

    return _Cut()


class Handler(_replay_hook.ToolHook, Protocol):
    """A recorder or replayer: answers (or passes on) each LLM request and each tool call."""

    def send(self, exchange: Exchange, send: Callable[[], Any]) -> Any: ...

    async def asend(self, exchange: Exchange, send: Callable[[], Awaitable[Any]]) -> Any: ...

    def unseen(self, call: str, why: str) -> None:
        """A model call whose request this handler does not get (``why``): a replay raises, before it is sent
        when it can tell then; a recording notes it and refuses to be saved."""


_INHERITED: Any = object()
"""The patched method was inherited: uninstalling deletes our wrapper instead of restoring one."""
_lock = _forksafe.lock()
_active: Handler | None = None
_patched: list[tuple[type, str, Any]] = []
_covered: tuple[tuple[type, str], ...] = ()
_watched: list[Watched] = []


def _running() -> tuple[Handler, tuple[tuple[type, str], ...]] | None:
    """What the model-call watch answers for now (read at each call, see :mod:`._seam_calls`)."""
    handler = _active
    return None if handler is None else (handler, _covered)


def _sync_wrapper(provider: Provider, handler: Handler) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        __tracebackhide__ = True
        request = args[0] if args else kwargs["request"]
        stream = bool(kwargs.get("stream", False))
        mark_seen()
        return handler.send(Exchange(provider, instance, request, stream), lambda: wrapped(*args, **kwargs))

    return wrapper


def _async_wrapper(provider: Provider, handler: Handler) -> Callable[..., Awaitable[Any]]:
    async def wrapper(wrapped: Callable[..., Awaitable[Any]], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        __tracebackhide__ = True
        request = args[0] if args else kwargs["request"]
        stream = bool(kwargs.get("stream", False))
        mark_seen()
        return await handler.asend(Exchange(provider, instance, request, stream), lambda: wrapped(*args, **kwargs))

    return wrapper


def install(handler: Handler) -> None:
    """Route every provider request and tool call through ``handler`` until :func:`uninstall`.

    All or nothing: if a patch fails half-way, what was patched is put back."""
    global _active, _covered
    with _lock:
        if _active is not None:
            raise RuntimeError("a recording or replay is already running in this process; finish it first")
        try:
            for provider in PROVIDERS:
                for cls, is_async in provider.classes():
                    if not hasattr(cls, provider.send_method):
                        continue
                    original = vars(cls).get(provider.send_method, _INHERITED)
                    fn = _async_wrapper(provider, handler) if is_async else _sync_wrapper(provider, handler)
                    wrapt.wrap_function_wrapper(cls, provider.send_method, fn)
                    _patched.append((cls, provider.send_method, original))
            _covered = tuple((cls, method) for cls, method, _ in _patched)
            for provider in PROVIDERS:
                _watched.extend(watch(provider, _running))
        except BaseException:
            _restore()
            raise
        _replay_hook.hook = handler
        _active = handler


def uninstall(handler: Handler) -> None:
    global _active
    with _lock:
        if _active is not handler:
            return
        _restore()
        _replay_hook.hook = None
        _active = None


def _restore() -> None:
    for cls, method, original in reversed(_patched):
        if original is _INHERITED:
            delattr(cls, method)
        else:
            setattr(cls, method, original)
    _patched.clear()
    for cls, method, original, ours in reversed(_watched):
        if vars(cls).get(method) is ours:
            setattr(cls, method, original)
        else:  # wrapped over since (init() inside): ours stays as a pass-through until that one is undone
            retire(ours)
    _watched.clear()


def patched_classes() -> list[type]:
    """Classes patched right now (a replay refuses to start when there is no client to answer)."""
    return [cls for cls, _, _ in _patched]
