"""Claude calls record no secret: credentials in image URLs and in tool results given as content blocks are masked."""

from __future__ import annotations

import json

from anthropic import Anthropic
from conftest import MODEL
from openai_helpers import content, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv


def test_credentials_in_an_image_url_are_masked(client: Anthropic, span_exporter: InMemorySpanExporter) -> None:
    """An image source by URL with ``user:password@`` keeps its address on the span, never the password."""
    client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://bot:hunter2-img-pass@images.example/cat.png"}}]}])
    part = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)[0]["parts"][0]
    assert part == {"type": "uri", "modality": "image", "uri": "https://[REDACTED]@images.example/cat.png"}
