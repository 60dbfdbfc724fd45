"""Where spans go: into the user's TracerProvider when there is one, else into one we build.

We never replace a provider the user set: we add our :class:`SessionProcessor` to it and their
exporters receive our spans. Only when no SDK provider exists do we create one, with the SDK's batch
processor (overflowing to the local file when full, :mod:`._overflow`) and its own OTLP exporter chosen
by the standard ``OTEL_*`` variables; with no endpoint configured, the embedded default writes OTLP
JSON lines to a local file (the collector file exporter's format), so nothing is lost and
``agentops-otel replay`` can read it later.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import weakref
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter

from . import _arguments, _deferred, _exit, _forksafe, _mp_exit, config, semconv
from ._fallback import FallbackExporter
from ._guard import guard
from ._otlp_json import OTLPJsonFileExporter
from ._overflow import OverflowingBatchSpanProcessor
from ._redact import REDACTED, mask_text
from .ci_run import run_attributes
from .processor import SessionProcessor, end_all_live, local_tracer

logger = logging.getLogger("agentops_otel")

_lock = _forksafe.rlock()
_attached: weakref.WeakSet[TracerProvider] = weakref.WeakSet()
_provider: TracerProvider | None = None
"""The provider every instrumentation uses once configured (the user's or ours)."""
_own: TracerProvider | None = None
"""The provider we built (never made global, so the user can still set theirs); ``None`` after shutdown."""
_released: TracerProvider | None = None
"""The user's provider :func:`shutdown` let go: used until the next :func:`configure`, which chooses afresh."""
_tracer: trace.Tracer | None = None
_global_seen: object = None
"""The global provider when :data:`_tracer` was cached: a change means the user set theirs."""
_sink: str | None = None
_exit_hooked = False
"""Whether :func:`shutdown` is registered with ``atexit`` (by ``init()``, not by a session alone)."""
_NOOP: Final = trace.NoOpTracer()


@functools.cache
def version() -> str:
    """This distribution's version, for the instrumentation scope of our spans.

    Looked up once per process: reading the installed metadata walks ``sys.path`` and parses files,
    and it ran inside the first LLM call after every ``instrument()``. In ``bench/bench_openai.py``,
    which switches each contender on and off every cycle, the call after it then cost ~20 µs more
    (a fifth of our per-call overhead).
    """
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
        _deferred.catch_up()  # not inside a collection: a finaliser starting a span there must not run it
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
            _register_atexit()  # theirs was built after init(): our exit hook must still run before its own
            logger.info("agentops_otel: a global TracerProvider was set after init(); sending spans to it")
        provider = _provider if _provider is not None else glob
        _tracer = provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, version())
        _global_seen = glob
        return _tracer


def provider() -> TracerProvider | None:
    """The SDK provider our spans go to, or ``None`` before ``configure()`` found or built one."""
    return _provider


def is_own(provider: TracerProvider) -> bool:
    """Whether we built this provider (the user's, or a global one, is never ours to change)."""
    return provider is _own


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


def build_exporter() -> tuple[FallbackExporter | None, str]:
    """The exporter the standard variables ask for, and a human description of where spans go.

    Each is wrapped (:mod:`._fallback`) so that ``flush()`` sees failed batches; an OTLP one also
    writes what its backend did not take to the local file.
    """
    choice = (os.environ.get(semconv.ENV_TRACES_EXPORTER) or "").strip().lower()
    if choice == "none":
        return None, "nowhere (OTEL_TRACES_EXPORTER=none)"
    if choice == "console":
        return FallbackExporter(ConsoleSpanExporter()), "the console"
    path = config.file_path()
    if choice == "otlp" or config.otlp_endpoint_configured():
        otlp: SpanExporter
        if config.otlp_protocol() == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Grpc

            otlp, kind = Grpc(), "gRPC"
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Http

            otlp, kind = Http(), "HTTP"
        where = f"OTLP {kind} {_shown_endpoint(str(getattr(otlp, '_endpoint', '')))}".strip()
        return FallbackExporter(otlp, _file_exporter(path, fallback=True)), f"{where} (what it misses: file {path})"
    return FallbackExporter(_file_exporter(path)), f"file {path}"


def _shown_endpoint(endpoint: str) -> str:
    """The endpoint as our log and a failing test's report name it: its userinfo masked (a collector
    behind basic auth, ``https://ci:token@otlp.example``; the gRPC exporter keeps it with no scheme
    before it, where no URL rule can see it) and any credential-shaped text or secret-named query parameter."""
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        scheme, rest = "", endpoint
    authority = rest[:next((i for i, c in enumerate(rest) if c in "/?#"), len(rest))]
    if "@" in authority:
        rest = f"{REDACTED}@{rest[authority.rfind('@') + 1:]}"
    return mask_text(scheme + sep + rest)


def _file_exporter(path: str, fallback: bool = False) -> OTLPJsonFileExporter:
    """The local sink (``fallback``: behind an OTLP backend); its default folder is ours to make private
    even if it exists already."""
    ours = os.path.normpath(os.path.dirname(path)) == os.path.normpath(os.path.dirname(config.DEFAULT_FILE))
    named = (f"{semconv.ENV_FILE}={path!r}" if os.environ.get(semconv.ENV_FILE)
             else f"the default trace file {path!r} (set {semconv.ENV_FILE} to choose another)")
    exporter = OTLPJsonFileExporter(path, own_folder=ours, named=named, fallback=fallback)
    exporter.check()
    return exporter


def configure(tracer_provider: TracerProvider | None = None, service_name: str | None = None,
              resource_attributes: dict[str, Any] | None = None) -> TracerProvider | None:
    """Pick (or build) the provider; idempotent. Returns it, or ``None`` if the global one isn't an SDK one.

    A provider we build stays private: it is never installed as the global provider, so a
    ``trace.set_tracer_provider()`` the user calls later is accepted (and then used, see :func:`tracer`).
    """
    global _provider, _tracer, _sink, _own, _released
    with _lock:
        released, _released = _released, None
        if tracer_provider is not None:
            _attach(tracer_provider)
            if _provider is not tracer_provider:
                _provider, _tracer = tracer_provider, None
            _register_atexit()
            return tracer_provider
        if _provider is not None and _provider is released:
            _provider, _tracer = None, None  # the user's, let go by shutdown(): chosen afresh below
        if _provider is not None:
            # Found before by a session started without init(), or by an init() on a worker thread
            # (where Python lets no one set a signal handler): hook exit and SIGTERM now, once.
            if _exit_hooked:
                _exit.install_sigterm_handler()
            else:
                _register_atexit()
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
        attrs: dict[str, Any] = {semconv.SERVICE_NAME: config.service_name(service_name), **run_attributes()}
        attrs.update(resource_attributes or {})
        # No SDK exit hook: its shutdown waits for an export in flight with no limit (up to the
        # exporter's own timeout on a backend that never answers). Ours shuts it down within the limit.
        provider = TracerProvider(resource=Resource.create(attrs), shutdown_on_exit=False)
        exporter, where = build_exporter()
        if exporter is not None:
            provider.add_span_processor(OverflowingBatchSpanProcessor(exporter))
        _sink = where
        _attach(provider)
        _provider, _own, _tracer = provider, provider, None
        _register_atexit()
        logger.info("agentops_otel: exporting spans to %s", where)
        return provider


def sink_description() -> str | None:
    """Where our own provider sends spans (``None`` when we plugged into the user's)."""
    return _sink


def flush(timeout_millis: float = 30_000) -> bool:
    """Export everything finished so far; ``True`` only when it was delivered within the timeout.

    ``False`` when the wait ran out, or a batch was not delivered since the previous flush (with an
    OTLP backend down or too slow for a burst, it is then in the local file), or when there is no SDK
    provider to export with at all (unless ``AGENTOPS_OTEL_DISABLED`` says not to export). With your
    own provider, only the timeout is seen: its exporters and its queue are yours.
    """
    return _flush(_arguments.millis_argument("flush(timeout_millis=...)", timeout_millis), ours=False)


def flush_ours(timeout_millis: int) -> bool:
    """:func:`flush` for our own needs (on SIGTERM, for a failing test's link): not counted as the
    program's previous flush, so it hides no failure from the program's next one."""
    return _flush(timeout_millis, ours=True)


def _flush(timeout_millis: float, *, ours: bool) -> bool:
    _deferred.catch_up()  # not inside a collection: a finaliser's flush must not run them under a held lock
    provider = _provider
    if provider is None:
        glob = trace.get_tracer_provider()  # set by the program, no session started since
        provider = glob if isinstance(glob, TracerProvider) else None
    if provider is None:
        # No SDK provider anywhere (none set, init() not called or refused, or after shutdown()):
        # what ended was recorded in this process only, delivered nowhere. Only the kill switch
        # makes that the intent.
        return config.disabled()
    ok = False
    with guard("export.flush"):
        ok = _exit.flush(provider, timeout_millis, ours=ours)
    return ok


def drain(timeout_millis: float | None = None) -> bool:
    """Flush at the end of a run: past the exit limit, stop waiting and write the rest to the local file."""
    provider = _provider
    if provider is None:
        return True
    ok = False
    with guard("export.drain"):
        ok = _exit.finish(provider, None, _exit_limit(timeout_millis))
    return ok


def shutdown(timeout_millis: float | None = None) -> None:
    """End open sessions (Indeterminate), flush, and shut our own provider down (never the user's, which stays in
    use until the next ``init()``: that one picks a provider as the first one did).

    Waits at most ``timeout_millis`` (default: ``AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS``, 3 s) for the
    backend; what it has not taken by then goes to the local file. Runs by itself at interpreter exit.
    """
    if timeout_millis is not None:  # the caller's mistake, said before any session ends
        timeout_millis = _arguments.millis_argument("shutdown(timeout_millis=...)", timeout_millis)
    shutdown_for("process exited before the session ended", timeout_millis)


def shutdown_for(reason: str, timeout_millis: float | None = None) -> None:
    """:func:`shutdown`, with the end reason open sessions get."""
    def end_live() -> None:
        end_all_live(reason)

    global _provider, _tracer, _own
    with _lock:
        provider, own = _provider, _own
    with guard("export.shutdown"):
        _exit.finish(provider, own, _exit_limit(timeout_millis), end_live)
    global _released
    with _lock:
        if own is not None and _own is own:
            _own = None
            if _provider is own:  # the next init() builds a fresh one (ours was never global)
                _provider, _tracer = None, None
        elif _provider is provider and provider is not None:
            # The user's: still theirs to use (a session after shutdown() goes to it, as before), but the next
            # init() without one chooses afresh, as a first one does. Kept for good, a provider passed to an
            # earlier init() (which its owner may shut down next) took every later init()'s sessions, lost.
            _released = provider


def _exit_limit(timeout_millis: float | None) -> float:
    return config.exit_timeout_millis() if timeout_millis is None else max(0, timeout_millis)


def _register_atexit() -> None:
    """Make our exit hook the next to run, and hook SIGTERM.

    ``atexit`` runs last-registered first, and an SDK ``TracerProvider`` registers its own shutdown
    when it is built (the user's do; ours is built without): re-registering on each ``configure()``
    keeps ours ahead of the provider it now feeds, so open sessions end while it can still export them.
    """
    global _exit_hooked
    atexit.unregister(shutdown)
    atexit.register(shutdown)
    _mp_exit.hook(shutdown)  # multiprocessing's fork and forkserver children skip atexit
    _exit_hooked = True
    _exit.install_sigterm_handler()
