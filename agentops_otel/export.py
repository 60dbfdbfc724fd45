"""Where spans go: into the user's TracerProvider when there is one, else into one we build.

We never replace a provider the user set: we add our :class:`SessionProcessor` to it and their
exporters receive our spans. Only when no SDK provider exists do we create one, with a
``BatchSpanProcessor`` and the SDK's own OTLP exporter chosen by the standard ``OTEL_*`` variables;
with no endpoint configured, the embedded default writes OTLP JSON lines to a local file (the
collector file exporter's format), so nothing is lost and ``agentops-otel replay`` can read it later.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from . import _deferred, config, semconv
from ._guard import guard
from ._otlp_json import OTLPJsonFileExporter
from .processor import SessionProcessor, end_all_live, local_tracer

logger = logging.getLogger("agentops_otel")

_lock = threading.RLock()
_attached: weakref.WeakSet[TracerProvider] = weakref.WeakSet()
_provider: TracerProvider | None = None
"""The provider every instrumentation uses once configured (the user's or ours)."""
_own: TracerProvider | None = None
"""The provider we built (never made global, so the user can still set theirs); ``None`` after shutdown."""
_tracer: trace.Tracer | None = None
_global_seen: object = None
"""The global provider when :data:`_tracer` was cached: a change means the user set theirs."""
_atexit_registered = False
_sink: str | None = None
_NOOP: Final = trace.NoOpTracer()


def version() -> str:
    """This distribution's version, for the instrumentation scope of our spans."""
    try:
        from importlib.metadata import version as dist_version

        return dist_version("agentops-otel-replay")
    except Exception:
        return "0"


def tracer() -> trace.Tracer:
    """The one tracer every instrumentation (sessions, tools, actions, LLM clients) starts spans with.

    From the provider ``init()`` configured, else the global one; inside a session recorded
    in-process only, that session's private tracer. A no-op tracer while ``AGENTOPS_OTEL_DISABLED``
    is set. Called per span, so ``configure()``, ``shutdown()`` and a global provider the user sets
    after ``init()`` take effect at the next span.
    """
    if config.disabled():
        return _NOOP
    if _deferred.pending:
        _deferred.run()
    local = local_tracer()
    if local is not None:  # inside a session recorded in-process only (see sessions/_local.py)
        return local
    cached = _tracer
    if cached is not None and (_own is None or _provider is not _own or trace.get_tracer_provider() is _global_seen):
        return cached
    return _resolve_tracer()


def _resolve_tracer() -> trace.Tracer:
    global _provider, _tracer, _global_seen
    with _lock:
        glob = trace.get_tracer_provider()
        if _own is not None and _provider is _own and isinstance(glob, TracerProvider) and glob is not _own:
            # The user set a global SDK provider after init(): it wins from the next span on (ours
            # keeps exporting what it already started, and is shut down at exit).
            _attach(glob)
            _provider = glob
            logger.info("agentops_otel: a global TracerProvider was set after init(); sending spans to it")
        provider = _provider if _provider is not None else glob
        _tracer = provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, version())
        _global_seen = glob
        return _tracer


def provider() -> TracerProvider | None:
    """The SDK provider our spans go to, or ``None`` before ``configure()`` found or built one."""
    return _provider


def _attach(provider: TracerProvider) -> None:
    if provider not in _attached:
        provider.add_span_processor(SessionProcessor())
        _attached.add(provider)


def ensure_processor() -> None:
    """Plug into a global SDK provider the first time a session starts, even without ``init()``."""
    global _provider, _tracer
    if _provider is not None or config.disabled():
        return
    with _lock:
        glob = trace.get_tracer_provider()
        if isinstance(glob, TracerProvider) and _provider is None:
            _attach(glob)
            _provider, _tracer = glob, None


def build_exporter() -> tuple[SpanExporter | None, str]:
    """The exporter the standard variables ask for, and a human description of where spans go."""
    choice = (os.environ.get(semconv.ENV_TRACES_EXPORTER) or "").strip().lower()
    if choice == "none":
        return None, "nowhere (OTEL_TRACES_EXPORTER=none)"
    if choice == "console":
        return ConsoleSpanExporter(), "the console"
    if choice == "otlp" or config.otlp_endpoint_configured():
        protocol = config.otlp_protocol()
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Grpc

            grpc_exporter = Grpc()
            return grpc_exporter, f"OTLP gRPC {getattr(grpc_exporter, '_endpoint', '')}".strip()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Http

        http_exporter = Http()
        return http_exporter, f"OTLP HTTP {getattr(http_exporter, '_endpoint', '')}".strip()
    path = config.file_path()
    return OTLPJsonFileExporter(path), f"file {path}"


def configure(tracer_provider: TracerProvider | None = None, service_name: str | None = None,
              resource_attributes: dict[str, Any] | None = None) -> TracerProvider | None:
    """Pick (or build) the provider; idempotent. Returns it, or ``None`` if the global one isn't an SDK one.

    A provider we build stays private: it is never installed as the global provider, so a
    ``trace.set_tracer_provider()`` the user calls later is accepted (and then used, see :func:`tracer`).
    """
    global _provider, _tracer, _sink, _own
    with _lock:
        if tracer_provider is not None:
            _attach(tracer_provider)
            if _provider is not tracer_provider:
                _provider, _tracer = tracer_provider, None
            _register_atexit()
            return tracer_provider
        if _provider is not None:
            return _provider
        glob = trace.get_tracer_provider()
        if isinstance(glob, TracerProvider):
            _attach(glob)
            _provider, _tracer = glob, None
            _register_atexit()
            return glob
        if not isinstance(glob, trace.ProxyTracerProvider):
            logger.warning("agentops_otel: the global tracer provider %r is not an SDK TracerProvider; "
                           "sessions will be exported by it but get_session() will see no spans", glob)
            return None
        attrs: dict[str, Any] = {semconv.SERVICE_NAME: config.service_name(service_name)}
        attrs.update(resource_attributes or {})
        provider = TracerProvider(resource=Resource.create(attrs))
        exporter, where = build_exporter()
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
        _sink = where
        _attach(provider)
        _provider, _own, _tracer = provider, provider, None
        _register_atexit()
        logger.info("agentops_otel: exporting spans to %s", where)
        return provider


def sink_description() -> str | None:
    """Where our own provider sends spans (``None`` when we plugged into the user's)."""
    return _sink


def flush(timeout_millis: int = 30_000) -> bool:
    """Export everything finished so far; ``True`` when the pipeline confirmed it in time."""
    _deferred.run()
    provider = _provider
    if provider is None:
        return True
    ok = True
    with guard("export.flush"):
        ok = bool(provider.force_flush(timeout_millis))
    return ok


def shutdown() -> None:
    """End open sessions (Indeterminate), flush, and shut our own provider down (never the user's)."""
    global _provider, _tracer, _own
    end_all_live("process exited before the session ended")
    flush()
    with _lock:
        own, _own = _own, None
        if own is not None:
            with guard("export.shutdown"):
                own.shutdown()
            if _provider is own:  # the next init() builds a fresh one (ours was never global)
                _provider, _tracer = None, None


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(shutdown)
        _atexit_registered = True

