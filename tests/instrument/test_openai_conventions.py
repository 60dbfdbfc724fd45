"""The OpenAI refinement of the GenAI conventions: ``openai.*`` attributes, embeddings without output tokens.

Wire names are spelled out here (not taken from ``semconv``) so a misspelt constant fails the test.
"""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI
from openai_helpers import attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel.testing import OpenAIServer, Reply


def test_chat_completion_records_api_type_service_tier_and_fingerprint(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A chat completion carries openai.api.type=chat_completions and the response's tier and fingerprint."""
    result = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    a = attrs(only_span(span_exporter))
    assert a["openai.api.type"] == "chat_completions"
    assert a["openai.response.service_tier"] == result.service_tier == "default"
    assert a["openai.response.system_fingerprint"] == result.system_fingerprint


def test_streamed_chat_records_service_tier_and_fingerprint_from_the_chunks(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A streamed chat completion takes the tier and fingerprint from its chunks."""
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                                 stream=True))
    a = attrs(only_span(span_exporter))
    assert a["openai.api.type"] == "chat_completions"
    assert a["openai.response.service_tier"] == chunks[0].service_tier
    assert a["openai.response.system_fingerprint"] == chunks[0].system_fingerprint


def test_responses_call_records_api_type_responses(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A Responses API call carries openai.api.type=responses and the response's service tier."""
    result = client.responses.create(model="gpt-4o-mini", input="hi")
    a = attrs(only_span(span_exporter))
    assert a["openai.api.type"] == "responses"
    assert a["openai.response.service_tier"] == result.service_tier == "default"
    assert "openai.response.system_fingerprint" not in a


def test_embeddings_span_has_input_tokens_and_no_output_tokens(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """An embeddings span records input tokens and cost, and no gen_ai.usage.output_tokens at all."""
    result = client.embeddings.create(model="text-embedding-3-small", input="alpha")
    a = attrs(only_span(span_exporter))
    assert a["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens
    assert "gen_ai.usage.output_tokens" not in a
    assert a["agentops.cost.usd"] > 0
    assert "openai.api.type" not in a


def test_a_failed_call_records_its_exception_without_exception_escaped(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """The API error that reaches the caller is recorded without the deprecated exception.escaped."""
    server.queue(Reply.error(500))
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    (event,) = [e for e in only_span(span_exporter).events if e.name == "exception"]
    assert "exception.escaped" not in (event.attributes or {})
