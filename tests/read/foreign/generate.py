"""Regenerate the OTLP JSON files in this folder with the real instrumentations (not ours).

    python tests/read/foreign/generate.py openai-v2|openllmetry|openinference OUT.jsonl [tools]

Run with a Python that has ``openai`` and the instrumentation installed (they pin OpenTelemetry
versions of their own, so they stay out of the project's venv; bench/setup.sh makes such a venv).
Each run makes one chat call and one streamed chat call with the real ``openai`` client against
``agentops_otel.testing.OpenAIServer``, with content capture on, no session and no agentops_otel
instrumentation: exactly what an app traced only by that instrumentation exports. With ``tools``, the
two calls are a conversation instead: a system prompt and a user message of text and an image, offered
a tool the model calls, then the same with the call and its result (``openinference-tools.jsonl``).
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
from agentops_otel.testing import OpenAIServer, Reply


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


_TOOLS = [{"type": "function", "function": {"name": "refund", "description": "Refund an order.", "parameters": {
    "type": "object", "properties": {"amount": {"type": "integer"}}}}}]


def _conversation(client: object, server: OpenAIServer) -> None:
    """A multimodal user message, a tool call, and the call's result sent back."""
    server.queue(Reply.tool_calls(("refund", {"amount": 5})), Reply.text("done"))
    messages: list[dict[str, object]] = [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": [{"type": "text", "text": "refund 5"},
                                     {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=_TOOLS)  # type: ignore[attr-defined]
    call = first.choices[0].message
    messages += [call.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.tool_calls[0].id, "content": "refunded"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=_TOOLS)  # type: ignore[attr-defined]


def _two_calls(client: object) -> None:
    """A plain and a streamed call."""
    client.chat.completions.create(model="gpt-4o-mini",  # type: ignore[attr-defined]
                                   messages=[{"role": "user", "content": "What is 2+2?"}])
    stream = client.chat.completions.create(model="gpt-4o-mini", stream=True,  # type: ignore[attr-defined]
                                            stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "Say hello"}])
    for _ in stream:
        pass


def main() -> None:
    which, out = sys.argv[1], Path(sys.argv[2])
    tools = sys.argv[3:] == ["tools"]
    out.unlink(missing_ok=True)
    provider = TracerProvider(resource=Resource.create({"service.name": f"app-{which}"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPJsonFileExporter(out)))
    trace.set_tracer_provider(provider)
    _instrument(which, provider)
    import openai

    with OpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-not-a-real-key-0123456789")
        if tools:
            _conversation(client, server)
        else:
            _two_calls(client)
    provider.shutdown()


if __name__ == "__main__":
    main()
