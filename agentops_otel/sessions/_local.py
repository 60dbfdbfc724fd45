"""Sessions the backend will not get still work in-process: ``get_session()``, ``timeline()``, assertions.

With ``OTEL_SDK_DISABLED=true``, no SDK provider, or a head sampler that drops the trace, the tracer
hands out non-recording spans: no processor sees them, so the session would stay empty and a passing
test would fail on its own assertions. Such a session records through a private provider instead:
its spans are *recording but not sampled* (``Decision.RECORD_ONLY``), so our processor collects them,
no exporter ever sends them, and any other instrumentation's ``ParentBased`` sampler keeps dropping
their children as the user's configuration asked. The replay says the backend will not have it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from .. import _forksafe, config, export, semconv
from ..processor import SessionProcessor

_lock = _forksafe.lock()
_tracer: trace.Tracer | None = None


class _RecordOnly(Sampler):
    """Record every span for the session, sample (export) none."""

    def should_sample(self, parent_context: Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Attributes = None,
                      links: Sequence[Link] | None = None, trace_state: TraceState | None = None,
                      ) -> SamplingResult:
        return SamplingResult(Decision.RECORD_ONLY, attributes, trace_state)

    def get_description(self) -> str:
        return "agentops_otel.RecordOnly"


def local_tracer() -> trace.Tracer:
    """The private tracer of sessions that are not exported (built on first use)."""
    global _tracer
    with _lock:
        if _tracer is None:
            provider = TracerProvider(sampler=_RecordOnly(), shutdown_on_exit=False, resource=Resource.create(
                {semconv.SERVICE_NAME: config.service_name(None)}))
            # OTEL_SDK_DISABLED switches export off; the in-process session API must keep working.
            provider._disabled = False
            provider.add_span_processor(SessionProcessor())
            _tracer = provider.get_tracer(semconv.INSTRUMENTATION_SCOPE)
        return _tracer


def why_not_recorded() -> str:
    """Why the configured tracer gave a session a non-recording root span."""
    if os.environ.get(semconv.ENV_SDK_DISABLED, "").strip().lower() == "true":
        return f"OpenTelemetry is disabled ({semconv.ENV_SDK_DISABLED}=true)"
    provider = getattr(export, "_provider", None) or trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        return "no OpenTelemetry SDK tracer provider is set up"
    return f"the tracer provider's sampler ({provider.sampler.get_description()}) dropped this trace"


def not_exported_reason() -> str | None:
    """Why sessions recorded normally still reach no backend (``OTEL_TRACES_EXPORTER=none``), if so."""
    sink = export.sink_description()
    if sink is not None and sink.startswith("nowhere"):
        return f"no exporter is configured ({sink.removeprefix('nowhere ').strip('()')})"
    return None
