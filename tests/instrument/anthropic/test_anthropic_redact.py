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


def test_a_secret_named_key_in_a_tool_result_of_content_blocks_is_masked(
        client: Anthropic, span_exporter: InMemorySpanExporter) -> None:
    """A ``tool_result`` given as blocks (JSON text beside a document) is masked as the same result given as
    one string is; the document stays a marker."""
    client.messages.create(model=MODEL, max_tokens=10, messages=[
        {"role": "user", "content": "connect"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "creds", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "text", "text": json.dumps({"api_key": "hunter2-creds"})},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}}]}]}])
    recorded = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert recorded[2]["parts"][0]["response"] == [{"api_key": "[REDACTED]"}, "<document>"]


def test_a_tool_result_of_one_text_block_is_recorded_as_that_text(
        client: Anthropic, span_exporter: InMemorySpanExporter) -> None:
    """One text block is the result itself (a JSON one read as JSON), as before blocks were kept apart."""
    client.messages.create(model=MODEL, max_tokens=10, messages=[
        {"role": "user", "content": "connect"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "creds", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "text", "text": json.dumps({"host": "db", "password": "hunter2"})}]}]}])
    recorded = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert recorded[2]["parts"][0]["response"] == {"host": "db", "password": "[REDACTED]"}
