"""Regenerate the OTLP JSON files in this folder with the real instrumentations (not ours).

    python tests/read/foreign/generate.py openai-v2|openllmetry|openinference OUT.jsonl

Run with a Python that has ``openai`` and the instrumentation installed (they pin OpenTelemetry
versions of their own, so they stay out of the project's venv; bench/setup.sh makes such a venv).
Each run makes one chat call and one streamed chat call with the real ``openai`` client against
``agentops_otel.testing.OpenAIServer``, with content capture on, no session and no agentops_otel
instrumentation: exactly what an app traced only by that instrumentation exports.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from agentops_otel._otlp_json import OTLPJsonFileExporter
from agentops_otel.testing import OpenAIServer


def _instrument(which: str, provider: TracerProvider) -> None:
    if which == "openai-v2":
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"
        os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
        from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    elif which == "openllmetry":
        os.environ["TRACELOOP_TRACE_CONTENT"] = "true"
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLLMetry

        OpenLLMetry().instrument(tracer_provider=provider)
    elif which == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInference

        OpenInference().instrument(tracer_provider=provider)
    else:
        raise SystemExit(f"unknown instrumentation {which!r}")


def main() -> None:
    which, out = sys.argv[1], Path(sys.argv[2])
    out.unlink(missing_ok=True)
    provider = TracerProvider(resource=Resource.create({"service.name": f"app-{which}"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPJsonFileExporter(out)))
    trace.set_tracer_provider(provider)
    _instrument(which, provider)
    import openai

    with OpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-not-a-real-key-0123456789")
        client.chat.completions.create(model="gpt-4o-mini",
                                       messages=[{"role": "user", "content": "What is 2+2?"}])
        stream = client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                                stream_options={"include_usage": True},
                                                messages=[{"role": "user", "content": "Say hello"}])
        for _ in stream:
            pass
    provider.shutdown()


if __name__ == "__main__":
    main()
