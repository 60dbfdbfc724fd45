"""Chat completions (create and parse, sync and async) become one CLIENT span with GenAI attributes."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any
from unittest import mock
from unittest.mock import PropertyMock

import httpx2
import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from openai_helpers import SECRET_KEY, attrs, content, llm_spans, only_span
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from agentops_otel import semconv
from agentops_otel.cost import price_call, register_price
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer, Reply, Usage

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Where is my invoice?"}]
TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {"name": "fetch", "description": "Fetch a customer",
                 "parameters": {"type": "object", "properties": {"id": {"type": "integer"}}}},
}


def test_create_records_request_response_usage_and_cost(client: OpenAI, server: OpenAIServer,
                                                         span_exporter: InMemorySpanExporter) -> None:
    """A plain create gives `chat {model}`, CLIENT, with request params, response ids, tokens, server and cost."""
    server.queue(Reply.text("Here it is.", usage=Usage(prompt_tokens=1000, completion_tokens=50,
                                                       cached_tokens=400, reasoning_tokens=7)))
    result = client.chat.completions.create(
        model="gpt-4o", messages=USER, temperature=0.5, top_p=0.9, max_tokens=100, seed=7, stop="END", n=1,
        frequency_penalty=0.1, presence_penalty=0.2, response_format={"type": "json_object"})
    assert result.choices[0].message.content == "Here it is."
    span = only_span(span_exporter)
    a = attrs(span)
    assert span.name == "chat gpt-4o"
    assert span.kind is SpanKind.CLIENT
    assert a[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert a[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert a[semconv.GEN_AI_REQUEST_MODEL] == "gpt-4o"
    assert a[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.5
    assert a[semconv.GEN_AI_REQUEST_TOP_P] == 0.9
    assert a[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 100
    assert a[semconv.GEN_AI_REQUEST_SEED] == 7
    assert a[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] == ("END",)
    assert a[semconv.GEN_AI_REQUEST_CHOICE_COUNT] == 1
    assert a[semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY] == 0.1
    assert a[semconv.GEN_AI_REQUEST_PRESENCE_PENALTY] == 0.2
    assert a[semconv.GEN_AI_OUTPUT_TYPE] == "json"
    assert semconv.GEN_AI_REQUEST_STREAM not in a  # only set when streaming
    assert a[semconv.GEN_AI_RESPONSE_ID] == result.id
    assert a[semconv.GEN_AI_RESPONSE_MODEL] == "gpt-4o"
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1000
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 50
    assert a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 400
    assert a[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 7
    assert a[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert a[semconv.SERVER_PORT] == server.port
    assert a[semconv.COST_USD] == pytest.approx(
        price_call("gpt-4o", input_tokens=1000, output_tokens=50, cache_read_tokens=400))
    assert a[semconv.COST_USD] == pytest.approx((600 * 2.5 + 400 * 1.25 + 50 * 10) / 1e6)
    assert semconv.USAGE_MISSING not in a
    assert semconv.ERROR_TYPE not in a
    assert span.status.status_code is StatusCode.UNSET


def test_max_completion_tokens_is_the_max_tokens_attribute(client: OpenAI,
                                                           span_exporter: InMemorySpanExporter) -> None:
    """`max_completion_tokens` (the newer name) lands in gen_ai.request.max_tokens; a stop list stays a list."""
    client.chat.completions.create(model="gpt-4o-mini", messages=USER, max_completion_tokens=64,
                                   stop=["a", "b"])
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert a[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] == ("a", "b")
    assert semconv.GEN_AI_REQUEST_TEMPERATURE not in a


def test_tool_calls_in_the_response(client: OpenAI, server: OpenAIServer,
                                    span_exporter: InMemorySpanExporter) -> None:
    """A tool-call answer records finish reason tool_calls and the call (id, name, parsed arguments)."""
    server.queue(Reply.tool_calls(("fetch", {"id": 1}, "call_1"), ("fetch", {"id": 2}, "call_2")))
    result = client.chat.completions.create(model="gpt-4o", messages=USER, tools=[TOOL])
    assert result.choices[0].message.tool_calls is not None
    span = only_span(span_exporter)
    assert attrs(span)[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [{
        "role": "assistant", "finish_reason": "tool_calls",
        "parts": [{"type": "tool_call", "id": "call_1", "name": "fetch", "arguments": {"id": 1}},
                  {"type": "tool_call", "id": "call_2", "name": "fetch", "arguments": {"id": 2}}],
    }]
    assert content(span, semconv.GEN_AI_TOOL_DEFINITIONS) == [{
        "type": "function", "name": "fetch", "description": "Fetch a customer",
        "parameters": {"type": "object", "properties": {"id": {"type": "integer"}}},
    }]


def test_a_tools_list_changed_in_place_between_calls_records_the_new_definitions(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """The same list object passed again is recognised only while it is unchanged."""
    tools: list[ChatCompletionToolParam] = [{"type": "function", "function": {"name": "fetch", "parameters": {}}}]
    for _ in range(2):
        client.chat.completions.create(model="gpt-4o", messages=USER, tools=tools)
    tools[0]["function"]["name"] = "lookup"
    tools.append({"type": "function", "function": {"name": "refund", "parameters": {}}})
    client.chat.completions.create(model="gpt-4o", messages=USER, tools=tools)

    first, second, third = llm_spans(span_exporter)
    assert content(first, semconv.GEN_AI_TOOL_DEFINITIONS) == content(second, semconv.GEN_AI_TOOL_DEFINITIONS)
    assert [t["name"] for t in content(third, semconv.GEN_AI_TOOL_DEFINITIONS)] == ["lookup", "refund"]


def test_an_in_place_edit_that_python_calls_equal_still_records_the_new_definitions(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """1 and True compare equal in Python but are different JSON: the recorded schema follows the edit."""
    tools: list[Any] = [{"type": "function", "function": {"name": "f", "parameters": {"default": 1}}}]
    client.chat.completions.create(model="gpt-4o", messages=USER, tools=tools)
    tools[0]["function"]["parameters"]["default"] = True
    client.chat.completions.create(model="gpt-4o", messages=USER, tools=tools)

    first, second = llm_spans(span_exporter)
    # Compared as recorded JSON text: parsed back, 1 == True would hide a stale record.
    assert '"parameters":{"default":1}' in attrs(first)[semconv.GEN_AI_TOOL_DEFINITIONS]
    assert '"parameters":{"default":true}' in attrs(second)[semconv.GEN_AI_TOOL_DEFINITIONS]


class _Unit(enum.StrEnum):
    """A value whose comparison with anything but itself raises (user code we must never call)."""

    CELSIUS = "celsius"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Unit):
            raise TypeError("compared a _Unit with something else")
        return self is other

    __hash__ = str.__hash__


def test_tools_holding_values_with_a_raising_eq_are_recorded_on_every_call(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    tools: list[Any] = [{"type": "function", "function": {"name": "f", "parameters": {"unit": _Unit.CELSIUS}}}]
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o", messages=USER, tools=tools)

    spans = llm_spans(span_exporter)
    assert len(spans) == 3
    assert all(content(s, semconv.GEN_AI_TOOL_DEFINITIONS)[0]["parameters"] == {"unit": "celsius"} for s in spans)


def test_history_with_tool_calls_and_results_in_parts_format(client: OpenAI,
                                                             span_exporter: InMemorySpanExporter) -> None:
    """Input messages use GenAI parts: text, tool_call (from the assistant), tool_call_response (from tools)."""
    history: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Find 1"}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "fetch", "arguments": '{"id": 1}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "customer 1"},
    ]
    client.chat.completions.create(model="gpt-4o", messages=history)
    span = only_span(span_exporter)
    assert content(span, semconv.GEN_AI_INPUT_MESSAGES) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Find 1"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "fetch", "arguments": {"id": 1}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "customer 1"}]},
    ]
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "ok: Find 1"}], "finish_reason": "stop"}]


def test_a_generator_of_messages_is_not_consumed(client: OpenAI, server: OpenAIServer,
                                                 span_exporter: InMemorySpanExporter) -> None:
    """Messages given as a one-shot iterable still reach the server whole (we only read lists)."""
    client.chat.completions.create(model="gpt-4o", messages=(m for m in USER))
    assert server.requests[-1].messages == [{"role": "user", "content": "Where is my invoice?"}]
    assert semconv.GEN_AI_INPUT_MESSAGES not in attrs(only_span(span_exporter))


async def test_async_create(aclient: AsyncOpenAI, server: OpenAIServer,
                            span_exporter: InMemorySpanExporter) -> None:
    """AsyncCompletions.create records the same attributes as the sync call."""
    server.queue(Reply.text("async hi", usage=Usage(prompt_tokens=10, completion_tokens=2)))
    result = await aclient.chat.completions.create(model="gpt-4o-mini", messages=USER, temperature=0)
    assert result.choices[0].message.content == "async hi"
    span = only_span(span_exporter)
    a = attrs(span)
    assert span.name == "chat gpt-4o-mini"
    assert a[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.0
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 10
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 2
    assert a[semconv.COST_USD] == pytest.approx((10 * 0.15 + 2 * 0.6) / 1e6)


class Answer(BaseModel):
    answer: str


def test_parse_is_one_span_with_json_output(client: OpenAI, server: OpenAIServer,
                                            span_exporter: InMemorySpanExporter) -> None:
    """chat.completions.parse gives exactly one span, output type json, and the parsed object to the user."""
    server.queue(Reply.text('{"answer": "42"}'))
    result = client.chat.completions.parse(model="gpt-4o", messages=USER, response_format=Answer)
    assert result.choices[0].message.parsed == Answer(answer="42")
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_OUTPUT_TYPE] == "json"
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0


async def test_async_parse(aclient: AsyncOpenAI, server: OpenAIServer,
                           span_exporter: InMemorySpanExporter) -> None:
    """AsyncCompletions.parse is instrumented too."""
    server.queue(Reply.text('{"answer": "x"}'))
    result = await aclient.chat.completions.parse(model="gpt-4o", messages=USER, response_format=Answer)
    assert result.choices[0].message.parsed == Answer(answer="x")
    assert only_span(span_exporter).name == "chat gpt-4o"


def test_api_error_is_recorded_and_propagates_unchanged(client: OpenAI, server: OpenAIServer,
                                                        span_exporter: InMemorySpanExporter) -> None:
    """A 429 ends the span with status ERROR, error.type "429" and the exception event; the user gets the same error."""
    server.queue(Reply.error(429))
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=USER)
    assert caught.value.status_code == 429
    span = only_span(span_exporter)
    assert attrs(span)[semconv.ERROR_TYPE] == "429"
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]
    assert span.events[0].attributes is not None
    assert span.events[0].attributes["exception.type"].endswith("RateLimitError")
    assert attrs(span)[semconv.COST_USD] == 0.0  # an error response is not billed


def test_connection_error_type_is_the_class_name(client: OpenAI, server: OpenAIServer,
                                                 span_exporter: InMemorySpanExporter) -> None:
    """A dropped connection (no HTTP status) records the exception class name as error.type."""
    server.queue(Reply.text("never", fail_after_chunks=0))
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o", messages=USER)
    assert attrs(only_span(span_exporter))[semconv.ERROR_TYPE] == "APIConnectionError"


@pytest.fixture
def module_client(server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The module-level client (`openai.chat...`) pointed at the local server."""
    monkeypatch.setattr(openai, "api_key", SECRET_KEY)
    monkeypatch.setattr(openai, "base_url", server.base_url.rstrip("/") + "/")
    monkeypatch.setattr(openai, "max_retries", 0)
    openai._reset_client()
    yield
    openai._reset_client()


@pytest.mark.usefixtures("module_client")
def test_module_level_client(server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """`openai.chat.completions.create` (no explicit client) is covered, with the server taken from openai.base_url."""
    server.queue(Reply.text("module"))
    result = openai.chat.completions.create(model="gpt-4o", messages=USER)
    assert result.choices[0].message.content == "module"
    a = attrs(only_span(span_exporter))
    assert a[semconv.SERVER_PORT] == server.port
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


def test_server_attributes_follow_a_base_url_changed_between_calls(client: OpenAI, server: OpenAIServer,
                                                                   span_exporter: InMemorySpanExporter) -> None:
    """`client.base_url = ...` after a first call: the next span names the server the request went to."""
    client.chat.completions.create(model="gpt-4o", messages=USER)
    with OpenAIServer() as other:
        client.base_url = other.base_url
        client.chat.completions.create(model="gpt-4o", messages=USER)
        other_port = other.port
    assert [attrs(s)[semconv.SERVER_PORT] for s in llm_spans(span_exporter)] == [server.port, other_port]


class _RoutedClient(OpenAI):
    """A client whose URL is computed on each read (a gateway routing to a port of its choosing)."""

    routed_port = 0

    @property  # type: ignore[override,misc]
    def base_url(self) -> Any:
        return OpenAI.base_url.fget(self).copy_with(port=self.routed_port)  # type: ignore[attr-defined]


def test_server_attributes_follow_a_subclass_that_computes_its_base_url(
        server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """The SDK sends to what `base_url` returns, not to the URL it stored: so does the span."""
    with _RoutedClient(base_url="http://127.0.0.1:9/v1", api_key=SECRET_KEY, max_retries=0) as routed:
        routed.routed_port = server.port
        routed.chat.completions.create(model="gpt-4o", messages=USER)
    assert attrs(only_span(span_exporter))[semconv.SERVER_PORT] == server.port


def test_server_attributes_follow_a_base_url_a_test_patches_in_after_the_first_call(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """`mock.patch.object(OpenAI, "base_url", PropertyMock(...))` in a later test: the SDK sends where
    the patch says, and so the span says."""
    client.chat.completions.create(model="gpt-4o", messages=USER)
    with OpenAIServer() as other:
        redirected = PropertyMock(return_value=httpx2.URL(other.base_url.rstrip("/") + "/"))
        with mock.patch.object(OpenAI, "base_url", redirected):
            client.chat.completions.create(model="gpt-4o", messages=USER)
        other_port = other.port
    assert [attrs(s)[semconv.SERVER_PORT] for s in llm_spans(span_exporter)] == [server.port, other_port]


def test_a_patched_in_base_url_is_read_once_per_call_by_the_instrumentation(client: OpenAI) -> None:
    """A test that counts reads of its PropertyMock sees the SDK's own reads and one of ours, no more."""
    redirected = PropertyMock(return_value=client.base_url)
    with mock.patch.object(OpenAI, "base_url", redirected):
        uninstrument_openai()
        client.chat.completions.create(model="gpt-4o", messages=USER)
        bare = redirected.call_count
        instrument_openai()
        client.chat.completions.create(model="gpt-4o", messages=USER)
    assert redirected.call_count - bare == bare + 1


class _UnreachableClient(OpenAI):
    """A client whose URL can't be read (a broken gateway shim)."""

    @property  # type: ignore[override,misc]
    def base_url(self) -> Any:
        raise LookupError("no route configured")


def test_a_client_whose_base_url_raises_still_gets_its_failed_call_recorded(
        span_exporter: InMemorySpanExporter) -> None:
    """The SDK raises the client's own error to the user; the span records it, without server attributes."""
    with _UnreachableClient(base_url="http://127.0.0.1:9/v1", api_key=SECRET_KEY, max_retries=0) as broken:
        with pytest.raises(LookupError, match="no route configured"):
            broken.chat.completions.create(model="gpt-4o", messages=USER)
    span = only_span(span_exporter)
    assert semconv.SERVER_ADDRESS not in attrs(span)
    assert span.status.status_code is StatusCode.ERROR


class _Arguments(str):
    """Tool-call arguments an agent framework keeps as its own str type."""


def test_history_with_tool_call_arguments_of_a_str_subclass_is_recorded(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """The SDK sends a str subclass as the text it is; the span records it as any other arguments."""
    call = {"name": "lookup", "arguments": _Arguments('{"q": "inv-7"}')}
    history: list[Any] = [
        *USER,
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": call}]},
        {"role": "tool", "tool_call_id": "c1", "content": "found"},
    ]
    client.chat.completions.create(model="gpt-4o", messages=history)

    recorded = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert recorded[1]["parts"] == [{"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {"q": "inv-7"}}]


def test_message_text_of_a_str_subclass_is_recorded_as_its_text(client: OpenAI,
                                                                 span_exporter: InMemorySpanExporter) -> None:
    """A prompt held in a str subclass is recorded as the text the SDK sent."""
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": _Arguments("Hi there")}])

    recorded = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert recorded == [{"role": "user", "parts": [{"type": "text", "content": "Hi there"}]}]


def test_api_key_and_headers_never_reach_the_span(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """Neither the API key nor extra auth headers appear in any attribute or event."""
    client.chat.completions.create(model="gpt-4o", messages=USER,
                                   extra_headers={"Authorization": "Bearer sk-extra-SECRET"})
    span = only_span(span_exporter)
    dump = repr(attrs(span)) + repr([dict(e.attributes or {}) for e in span.events])
    assert SECRET_KEY not in dump
    assert "sk-extra-SECRET" not in dump
    assert "Bearer" not in dump


def test_span_is_current_during_the_call_and_child_of_the_callers_span(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """The LLM span nests under the caller's span (so it belongs to the caller's session trace)."""
    with trace.get_tracer("test").start_as_current_span("agent step") as parent:
        client.chat.completions.create(model="gpt-4o", messages=USER)
    span = only_span(span_exporter)
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.context is not None
    assert span.context.trace_id == parent.get_span_context().trace_id


def test_raw_response_helper_gets_a_span_without_reading_the_body(client: OpenAI,
                                                                  span_exporter: InMemorySpanExporter) -> None:
    """with_raw_response still works for the user; its span has the request but says usage is unknown."""
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER)
    assert raw.parse().choices[0].message.content == "ok: Where is my invoice?"
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_REQUEST_MODEL] == "gpt-4o"
    assert a[semconv.USAGE_MISSING] is True


def test_each_call_is_its_own_span(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """Two calls give two spans, with distinct response ids."""
    client.chat.completions.create(model="gpt-4o", messages=USER)
    client.chat.completions.create(model="gpt-4o", messages=USER)
    spans = llm_spans(span_exporter)
    assert len(spans) == 2
    assert attrs(spans[0])[semconv.GEN_AI_RESPONSE_ID] != attrs(spans[1])[semconv.GEN_AI_RESPONSE_ID]


@pytest.mark.parametrize(("model", "expected"), [
    ("ft:gpt-4o-mini-2024-07-18:acme::abc", (1000 * 0.3 + 100 * 1.2) / 1e6),  # a fine-tune price of its own
    ("ft:gpt-4.1-2025-04-14:acme::abc", None),  # billed above gpt-4.1, and genai-prices doesn't know it
    ("my-house-model", (1000 * 1.0 + 100 * 2.0) / 1e6),
    ("totally-unknown-model", None),
])
def test_cost_on_the_span_for_fine_tuned_custom_and_unknown_models(
        model: str, expected: float | None, client: OpenAI, server: OpenAIServer,
        span_exporter: InMemorySpanExporter) -> None:
    """Fine-tunes at genai-prices' fine-tune price, registered models at theirs; unknown ones carry no cost."""
    register_price("my-house-model", input_per_mtok=1.0, output_per_mtok=2.0)
    server.queue(Reply.text("x", usage=Usage(prompt_tokens=1000, completion_tokens=100)))
    client.chat.completions.create(model=model, messages=USER)
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1000
    assert semconv.USAGE_MISSING not in a
    if expected is None:
        assert semconv.COST_USD not in a
    else:
        assert a[semconv.COST_USD] == pytest.approx(expected)


def test_cost_uses_the_response_model(client: OpenAI, server: OpenAIServer,
                                      span_exporter: InMemorySpanExporter) -> None:
    """The (more specific) response model is what gets priced: an alias resolving to gpt-4o costs gpt-4o."""
    server.queue(Reply.text("x", model="gpt-4o-2024-08-06", usage=Usage(prompt_tokens=1000, completion_tokens=0)))
    client.chat.completions.create(model="my-alias", messages=USER)
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_RESPONSE_MODEL] == "gpt-4o-2024-08-06"
    assert a[semconv.COST_USD] == pytest.approx(1000 * 2.5 / 1e6)


def test_a_snapshot_of_the_requested_model_the_table_does_not_know_is_unpriced(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """gpt-4o answered as a dated snapshot the table has no price for is unpriced, not priced as the alias: snapshots
    of one name are billed differently (gpt-4o-2024-05-13 costs twice gpt-4o-2024-08-06)."""
    server.queue(Reply.text("x", model="gpt-4o-2099-01-01", usage=Usage(prompt_tokens=1000, completion_tokens=0)))
    client.chat.completions.create(model="gpt-4o", messages=USER)
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_MODEL_UNPRICED


def test_cost_falls_back_to_the_request_model(client: OpenAI, server: OpenAIServer,
                                              span_exporter: InMemorySpanExporter) -> None:
    """A gateway answering with a model name nobody prices still gets the requested model's price."""
    server.queue(Reply.text("x", model="gateway/xyz-42", usage=Usage(prompt_tokens=1000, completion_tokens=0)))
    client.chat.completions.create(model="gpt-4o", messages=USER)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(1000 * 2.5 / 1e6)
