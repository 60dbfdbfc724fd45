"""LLM spans record no secret: key-shaped text in messages and in provider errors is masked, the hook sees content."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import OpenAI
from openai_helpers import SECRET_KEY, content, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import _redact, semconv
from agentops_otel.testing import OpenAIServer, Reply

LEAKED = "sk-proj-Abcdefghijklmnop0123456789XYZ"


@pytest.fixture
def hook() -> Iterator[list[tuple[str, Any]]]:
    """A recording redaction hook, removed after the test."""
    seen: list[tuple[str, Any]] = []

    def record(attribute: str, value: Any) -> Any:
        seen.append((attribute, value))
        return value

    _redact.set_hook(record)
    yield seen
    _redact.set_hook(None)


def test_key_pasted_into_a_prompt_is_masked(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A provider key inside a message is replaced by the marker; the rest of the text is kept."""
    client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "user", "content": f"why is {LEAKED} rejected?"}])
    sent = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert sent[0]["parts"][0]["content"] == "why is [REDACTED] rejected?"


def test_a_secret_named_value_in_a_system_message_is_masked(client: OpenAI,
                                                           span_exporter: InMemorySpanExporter) -> None:
    """``db password: …`` in the instructions is masked mid-text; the rest of the message, and prose about
    passwords, are kept."""
    client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": "Use db password: SYSPW999 for the report."},
        {"role": "user", "content": "a password reset link was sent"}])
    sent = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert [m["parts"][0]["content"] for m in sent] == [
        "Use db password: [REDACTED] for the report.", "a password reset link was sent"]


def test_key_inside_a_tool_schema_is_masked_and_the_schema_kept(client: OpenAI,
                                                                span_exporter: InMemorySpanExporter) -> None:
    """A key pasted into a tool's JSON schema (a default, an example) is masked; a property named
    `token` is an argument's description, not a secret, and keeps its schema."""
    schema = {"type": "object", "properties": {
        "token": {"type": "string", "description": "pagination cursor"},
        "key": {"type": "string", "default": LEAKED},
    }}
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                   tools=[{"type": "function", "function": {"name": "page", "parameters": schema}}])
    recorded = content(only_span(span_exporter), semconv.GEN_AI_TOOL_DEFINITIONS)
    properties = recorded[0]["parameters"]["properties"]
    assert properties["key"]["default"] == "[REDACTED]"
    assert properties["token"] == {"type": "string", "description": "pagination cursor"}
    assert schema["properties"]["key"]["default"] == LEAKED  # the user's own schema is left alone


def test_provider_error_echoing_the_key_is_masked_on_the_span(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A 401 whose message repeats the key: the span's event and status hide it, the SDK error keeps it."""
    server.queue(Reply.error(401, f"Incorrect API key provided: {SECRET_KEY}. {LEAKED}"))
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert LEAKED in str(caught.value)
    span = only_span(span_exporter)
    recorded = [str(dict(e.attributes or {})) for e in span.events] + [str(span.status.description)]
    assert all(LEAKED not in text and SECRET_KEY not in text for text in recorded)
    assert "[REDACTED]" in str(span.status.description)


def test_hook_sees_input_and_output_messages(client: OpenAI, span_exporter: InMemorySpanExporter,
                                             hook: list[tuple[str, Any]]) -> None:
    """The redaction hook is called with the shaped input and output messages of an LLM call."""
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hello"}])
    seen = dict(hook)
    assert seen[semconv.GEN_AI_INPUT_MESSAGES] == [{"role": "user", "parts": [{"type": "text", "content": "hello"}]}]
    assert seen[semconv.GEN_AI_OUTPUT_MESSAGES][0]["role"] == "assistant"
    assert json.loads(only_span(span_exporter).attributes[semconv.GEN_AI_INPUT_MESSAGES]) == seen[  # type: ignore[arg-type]
        semconv.GEN_AI_INPUT_MESSAGES]


def test_a_key_cut_by_the_value_limit_is_recorded_in_neither_prompt_nor_answer(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a small AGENTOPS_OTEL_MAX_VALUE_CHARS falling inside a pasted key, no start of the key is kept."""
    monkeypatch.setenv(semconv.ENV_MAX_VALUE_CHARS, str(len("why is sk-proj-Abcdef")))
    server.queue(Reply.text(f"why is {LEAKED} rejected? it looks fine"))
    client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "user", "content": f"why is {LEAKED} rejected? it looks fine"}])
    span = only_span(span_exporter)
    sent = content(span, semconv.GEN_AI_INPUT_MESSAGES)[0]["parts"][0]["content"]
    answer = content(span, semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"][0]["content"]
    for recorded in (sent, answer):
        assert recorded.startswith("why is [REDACTED]…[truncated"), recorded


def test_default_and_examples_of_a_secret_named_property_are_masked(client: OpenAI,
                                                                    span_exporter: InMemorySpanExporter) -> None:
    """A tool schema's ``password`` property keeps its schema, but the values it gives (default, examples,
    enum, const) are an argument's values: masked like the argument itself would be."""
    schema = {"type": "object", "properties": {
        "password": {"type": "string", "description": "database password", "default": "hunter2-db-pass",
                     "examples": ["correct-horse"], "enum": ["battery-staple"], "const": "tr0ub4dor"},
        "db": {"type": "string", "default": "orders"},
    }}
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                   tools=[{"type": "function", "function": {"name": "connect", "parameters": schema}}])
    recorded = content(only_span(span_exporter), semconv.GEN_AI_TOOL_DEFINITIONS)
    properties = recorded[0]["parameters"]["properties"]
    assert properties["password"] == {"type": "string", "description": "database password", "default": "[REDACTED]",
                                      "examples": "[REDACTED]", "enum": "[REDACTED]", "const": "[REDACTED]"}
    assert properties["db"] == {"type": "string", "default": "orders"}
    assert "hunter2" not in json.dumps(recorded)


def test_secret_values_a_schema_gives_anywhere_in_it_are_masked(client: OpenAI,
                                                                span_exporter: InMemorySpanExporter) -> None:
    """An object default holding a password, a password's default inside ``anyOf`` or an array's ``items``:
    masked as the same values passed as arguments would be."""
    schema = {"type": "object", "properties": {
        "db": {"type": "object", "default": {"host": "x", "password": "hunter2-db"}},
        "password": {"anyOf": [{"type": "string", "default": "hunter2-anyof"}, {"type": "null"}]},
        "secrets": {"type": "array", "items": {"type": "string", "examples": ["hunter2-keys"]}},
    }}
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                   tools=[{"type": "function", "function": {"name": "connect", "parameters": schema}}])
    recorded = content(only_span(span_exporter), semconv.GEN_AI_TOOL_DEFINITIONS)
    properties = recorded[0]["parameters"]["properties"]
    assert properties["db"]["default"] == {"host": "x", "password": "[REDACTED]"}
    assert properties["password"]["anyOf"][0] == {"type": "string", "default": "[REDACTED]"}
    assert properties["secrets"]["items"]["examples"] == "[REDACTED]"
    assert "hunter2" not in json.dumps(recorded)


def test_the_hook_sees_content_captured_on_the_event_only(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                                          span_exporter: InMemorySpanExporter) -> None:
    """With event_only capture the hook still sees every content value (a tool's arguments and result, the
    call's messages), and only what it returns reaches the events."""
    import agentops_otel as agentops

    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")
    seen: set[str] = set()

    def scrub(attribute: str, value: Any) -> Any:
        seen.add(attribute)
        return json.loads(json.dumps(value).replace("ann@example.com", "<email>"))

    @agentops.tool
    def notify(to: str) -> str:
        return "sent to ann@example.com"

    _redact.set_hook(scrub)
    try:
        with agentops.session("hooked"):
            notify("ann@example.com")
            client.chat.completions.create(model="gpt-4o",
                                           messages=[{"role": "user", "content": "mail ann@example.com"}])
    finally:
        _redact.set_hook(None)
    assert {semconv.GEN_AI_TOOL_CALL_ARGUMENTS, semconv.GEN_AI_TOOL_CALL_RESULT, semconv.GEN_AI_INPUT_MESSAGES,
            semconv.GEN_AI_OUTPUT_MESSAGES} <= seen
    recorded = json.dumps([dict(e.attributes or {}) for s in span_exporter.get_finished_spans() for e in s.events])
    assert "ann@example.com" not in recorded
    assert recorded.count("<email>") >= 3  # the tool's argument and result, and the prompt


SIGNED_IMAGE = "https://bot:hunter2-img-pass@images.example/cat.png"


def test_credentials_in_an_image_url_are_masked(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """An image passed by a URL with ``user:password@`` keeps its address on the span, never the password."""
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": SIGNED_IMAGE}}]}])
    parts = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)[0]["parts"]
    assert parts[1] == {"type": "uri", "modality": "image", "uri": "https://[REDACTED]@images.example/cat.png"}


def test_credentials_in_a_responses_image_url_are_masked(client: OpenAI,
                                                         span_exporter: InMemorySpanExporter) -> None:
    """The Responses API's ``input_image`` by URL is masked the same way as a chat message's."""
    client.responses.create(model="gpt-4o", input=[{"role": "user", "content": [
        {"type": "input_image", "image_url": SIGNED_IMAGE, "detail": "auto"}]}])
    assert "hunter2" not in str(only_span(span_exporter).attributes)


def test_a_secret_named_key_in_a_tool_result_of_several_text_parts_is_masked(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A tool result sent as several text parts, one of them JSON with an ``api_key``, is masked as the same
    result sent as one string is."""
    client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "user", "content": "connect"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "creds", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": [
            {"type": "text", "text": "found:"}, {"type": "text", "text": json.dumps({"api_key": "hunter2-creds"})}]}])
    recorded = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert recorded[2]["parts"][0]["response"] == ["found:", {"api_key": "[REDACTED]"}]
