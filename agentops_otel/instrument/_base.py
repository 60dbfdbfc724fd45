"""The instrumentor base every model client (openai, anthropic, the next one) sits on.

Why one base: patching a third-party SDK is where an instrumentation most easily changes the host
program — a half-applied patch, a method wrapped twice (two spans, double cost), a wrapper that keeps
tracing after ``uninstrument``. The rules live here once, so each provider module only says *what* to
wrap and *what* to record:

- **Atomic**: every target is resolved (module imported, class and method found) before anything is
  patched; a target missing from this SDK version is skipped, and if patching fails half-way what was
  patched is restored. Imports of the SDK happen inside the guard.
- **Late**: a target marked ``late`` lives in a module the SDK imports only when first used (a heavy
  one, most programs never load it). ``instrument()`` patches it at once if that module is loaded;
  otherwise it wraps the provider's ``late_hooks`` (methods every object of such a class is made
  through), and the first of them to run after the module is loaded patches it there, under the lock,
  all of that module's targets or none. The hooks are put back once nothing is left to patch.
- **Idempotent**: a second :meth:`Instrumentor.instrument` (a second ``init()``, or the
  ``opentelemetry-instrument`` entry point after ``init()``) changes nothing.
- **Reversible**: :meth:`Instrumentor.uninstrument` puts the SDK's functions back; where someone else
  wrapped on top of us, our wrapper stays in their chain but becomes a pass-through.
- **Switchable**: wrappers pass straight through under ``AGENTOPS_OTEL_DISABLED`` (checked per call)
  and inside OpenTelemetry's ``suppress_instrumentation`` context.
- **One provider**: spans come from :func:`agentops_otel.export.tracer` (so ``init(tracer_provider=)``,
  a later global provider and ``shutdown()`` + ``init()`` all apply), unless ``instrument()`` was given
  a provider of its own.

The API a provider module uses (keep it this small)::

    class _Anthropic(Instrumentor[_Kind]):
        name = "anthropic"                       # guard sites: "anthropic.start", "anthropic.response"
        targets = (Target("anthropic.resources.messages", "Messages", "create", "chat"), ...)
        late_hooks = ()                          # (module, class, method) run when a late target's object is made
        def load(self) -> Mapping[str, _Kind]: ...   # import SDK types; ImportError = not installed
        def begin(self, kind, instance, kwargs, tracer, ctx) -> LLMCall: ...    # open the span (child in ctx)
        def complete(self, call, kind, result, is_async) -> Any: ...  # end it; return the user's value

    _ANTHROPIC = _Anthropic()
    instrument_anthropic, uninstrument_anthropic = _ANTHROPIC.instrument, _ANTHROPIC.uninstrument

    class AnthropicInstrumentor(EntryPoint):      # the ``opentelemetry_instrumentor`` entry point
        instrumentation = _ANTHROPIC
        dependencies = ("anthropic >= 0.40",)

``begin`` and ``complete`` may raise: the base reports the failure once (see :mod:`.._guard`), ends
the span if one was opened, and lets the user's call proceed with its own value. The user's function
is always called outside any ``try`` that could swallow its exception. A target whose shape needs a
different shell (a method returning a context manager) overrides :meth:`Instrumentor.wrapper`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Generic, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import _forksafe, _guard, config, export, semconv
from ..llm import LLMCall
from ._entry_point import EntryPoint
from ._patching import Wrapper, loaded, patch, resolve, resolve_hooks, restore, unpatch

__all__ = ["EntryPoint", "Instrumentor", "Target", "Wrapper"]

logger = logging.getLogger("agentops_otel")

SUPPRESS_KEY: Final = getattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY", "suppress_instrumentation")
"""The context key OpenTelemetry instrumentations agree on for "make no spans here"."""

_K = TypeVar("_K")


@dataclass(frozen=True, slots=True)
class Target:
    """One SDK method to wrap; ``kind`` names the entry of :meth:`Instrumentor.load` it records with."""

    module: str
    cls: str
    method: str
    kind: str
    is_async: bool = False
    late: bool = False
    """Its module is imported by the SDK only when first used: patched then, not imported by ``instrument()``."""


@dataclass(slots=True)
class Activation:
    """One ``instrument()``: which methods it patched, and whether its wrappers still record."""

    tracer_provider: trace.TracerProvider | None
    on: bool = True
    patched: list[tuple[type, str, Wrapper]] = field(default_factory=list)
    pending: tuple[Target, ...] = ()
    """Late targets whose modules were not loaded yet (see :meth:`Instrumentor._patch_late`)."""
    hooks: list[tuple[type, str, Wrapper]] = field(default_factory=list)
    _tracer: trace.Tracer | None = None

    def tracer(self) -> trace.Tracer:
        """The shared tracer from :mod:`..export`, or one from the provider ``instrument()`` was given."""
        if self.tracer_provider is None:
            return export.tracer()
        if self._tracer is None:
            self._tracer = self.tracer_provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, export.version())
        return self._tracer

    def skip(self) -> bool:
        """Pass the call straight through: uninstrumented, switched off, or suppressed by the caller."""
        return self.entry() is None

    def entry(self) -> otel_context.Context | None:
        """The caller's context when this call is to be recorded; ``None`` to pass it straight through
        (uninstrumented, switched off, or suppressed by the caller). Read once per call and handed on
        to the span's start and activation, which would each look it up again."""
        try:
            if not self.on or config.disabled():
                return None
            ctx = otel_context.get_current()
            return None if ctx.get(SUPPRESS_KEY) else ctx
        except Exception as exc:
            _guard.report("instrument.skip", exc)
            return None


class Instrumentor(Generic[_K]):
    """Patches one provider's SDK; subclasses set ``name``/``targets`` and write ``load``/``begin``/``complete``."""

    name: ClassVar[str] = ""
    targets: ClassVar[tuple[Target, ...]] = ()
    late_hooks: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """``(module, class, method)`` through which every object of a late target's class is made."""

    def __init__(self) -> None:
        self._lock = _forksafe.lock()
        self._active: Activation | None = None
        # Guard site names of the per-call steps, built once rather than on every call.
        self._start_site = f"{self.name}.start"
        self._response_site = f"{self.name}.response"

    # --- what a provider module writes ------------------------------------------------------------
    def load(self) -> Mapping[str, _K]:
        """Import the SDK's types and describe each target kind; raise ``ImportError`` without the SDK."""
        raise NotImplementedError

    def begin(self, kind: _K, instance: Any, kwargs: Mapping[str, Any], tracer: trace.Tracer,
              ctx: otel_context.Context | None = None) -> LLMCall:
        """Open the call's span from the request (runs before the SDK sends it), as a child in ``ctx``."""
        raise NotImplementedError

    def complete(self, call: LLMCall, kind: _K, result: Any, is_async: bool) -> Any:
        """End the span from the SDK's result, or hand it to a stream proxy; return what the user gets."""
        raise NotImplementedError

    # --- the machinery ----------------------------------------------------------------------------
    @property
    def is_instrumented(self) -> bool:
        return self._active is not None

    def instrument(self, tracer_provider: trace.TracerProvider | None = None) -> bool:
        """Patch the SDK; ``True`` when it is (now or already) instrumented, ``False`` without it.

        Idempotent: while instrumented a second call changes nothing, not even the provider (call
        :meth:`uninstrument` first to switch). Never raises: a failure is logged and nothing stays patched.
        """
        with self._lock:
            if self._active is not None:
                return True
            try:
                _guard.fault_point(f"{self.name}.instrument")
                kinds = self.load()
            except ImportError:
                logger.debug("agentops_otel: %s is not installed; nothing to instrument", self.name)
                return False
            except Exception as exc:
                _guard.report(f"{self.name}.instrument", exc)
                return False
            active = Activation(tracer_provider)
            try:
                targets = [t for t in self.targets if t.kind in kinds]
                active.pending = tuple(t for t in targets if t.late and not loaded(t.module))
                hooks = resolve_hooks(self.late_hooks) if active.pending else []
                if not hooks:  # nothing would see those modules load: import them now
                    active.pending = ()
                now = [t for t in targets if t not in active.pending]
                patch(active.patched, [(cls, target.method, self.wrapper(active, target, kinds[target.kind]))
                                        for target, cls in resolve(self.name, now)])
                patch(active.hooks, [(cls, method, self._late_hook(active, kinds)) for cls, method in hooks])
            except Exception as exc:
                restore(active)
                _guard.report(f"{self.name}.instrument", exc)
                return False
            self._active = active
            config.state.instrumented.add(self.name)
            return True

    def uninstrument(self) -> None:
        """Restore the SDK's methods (no-op when not instrumented)."""
        with self._lock:
            active, self._active = self._active, None
            if self.name in config.state.instrumented:
                config.state.instrumented.discard(self.name)
                config.state.uninstrumented += 1
                config.state.init_called = False  # what init() instrumented is undone: no longer vouched for
            if active is not None:
                restore(active)

    def _late_hook(self, active: Activation, kinds: Mapping[str, _K]) -> Wrapper:
        """Runs the SDK's method, then (in the guard) patches the late targets loaded since."""
        modules = sys.modules

        def hook(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            result = wrapped(*args, **kwargs)
            for target in active.pending:
                if target.module in modules:
                    try:
                        self._patch_late(active, kinds)
                    except Exception as exc:
                        _guard.report(f"{self.name}.instrument", exc)
                    break
            return result

        return hook

    def _patch_late(self, active: Activation, kinds: Mapping[str, _K]) -> None:
        """Patch the pending late targets whose modules are loaded now: all of them or, if that fails
        half-way, none, and no more tries: the caller reports it, and a session running meanwhile with no
        model call seen refuses its bounds, as after an ``uninstrument()``."""
        with self._lock:
            if self._active is not active:
                return
            ready = [t for t in active.pending if loaded(t.module)]
            if not ready:
                return
            active.pending = tuple(t for t in active.pending if t not in ready)
            done: list[tuple[type, str, Wrapper]] = []
            try:
                _guard.fault_point(f"{self.name}.late")
                patch(done, [(cls, target.method, self.wrapper(active, target, kinds[target.kind]))
                              for target, cls in resolve(self.name, ready)])
            except Exception:
                unpatch(done)
                active.pending = ()
                config.state.uninstrumented += 1
                raise
            finally:
                active.patched.extend(done)
                if not active.pending:
                    unpatch(active.hooks)

    def wrapper(self, active: Activation, target: Target, kind: _K) -> Wrapper:
        """The thin shell around ``begin``/``complete`` for one target (sync or async)."""
        return _async_shell(self, active, kind) if target.is_async else _sync_shell(self, active, kind)

    def enter(self, active: Activation, kind: _K, instance: Any, kwargs: Mapping[str, Any]) -> LLMCall | None:
        """The call to record, its span opened by ``begin`` under the guard and made current for the SDK's
        own work (its HTTP spans nest under it); ``None`` to pass the call straight through
        (uninstrumented, switched off, suppressed by the caller, or our code failed: reported once).

        :meth:`Activation.entry`'s checks are written out here: the SDK's call in between evicts our code
        from the CPU caches, so every extra frame on this path is paid again, cold, on every call.
        """
        call: LLMCall | None = None
        site = "instrument.skip"
        try:
            if active.on and not config.disabled():
                ctx = otel_context.get_current()
                if not ctx.get(SUPPRESS_KEY):
                    site = self._start_site
                    if _guard.ARMED:
                        _guard.fault_point(site)
                    call = self.begin(kind, instance, kwargs, active._tracer or active.tracer(), ctx)
                    site = "instrument.context"
                    call.token = otel_context.attach(trace.set_span_in_context(call.span, ctx))
        except Exception as exc:
            _guard.report(site, exc)
        return call

    def close(self, call: LLMCall, kind: _K, result: Any, is_async: bool) -> Any:
        """``complete`` under the guard; the user's value comes back whatever happens in our code."""
        token = call.token
        if token is not None:  # _detach, written out
            call.token = None
            try:
                otel_context.detach(token)  # type: ignore[arg-type]
            except Exception as exc:
                _guard.report("instrument.context", exc)
        try:
            if _guard.ARMED:
                _guard.fault_point(self._response_site)
            return self.complete(call, kind, result, is_async)
        except Exception as exc:
            _guard.report(self._response_site, exc)
            call.abort()
            return result

    @staticmethod
    def failed(call: LLMCall, exc: BaseException) -> None:
        """The user's call raised: record it and end the span (the caller re-raises ``exc`` unchanged)."""
        _detach(call)
        call.fail(exc)


def _detach(call: LLMCall) -> None:
    token = call.token
    if token is not None:
        call.token = None
        try:
            otel_context.detach(token)  # type: ignore[arg-type]
        except Exception as exc:
            _guard.report("instrument.context", exc)


def _sync_shell(inst: Instrumentor[_K], active: Activation, kind: _K) -> Wrapper:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        call = inst.enter(active, kind, instance, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            inst.failed(call, exc)
            raise
        return inst.close(call, kind, result, False)

    return wrapper


def _async_shell(inst: Instrumentor[_K], active: Activation, kind: _K) -> Wrapper:
    async def wrapper(wrapped: Callable[..., Awaitable[Any]], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        call = inst.enter(active, kind, instance, kwargs)
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            inst.failed(call, exc)
            raise
        return inst.close(call, kind, result, True)

    return wrapper
