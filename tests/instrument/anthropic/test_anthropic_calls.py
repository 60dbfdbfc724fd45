"""anthropic instrumentation through the real client against AnthropicServer: every call shape."""

from __future__ import annotations

import gc
import json
import logging
import sys
from importlib.metadata import entry_points

import anthropic
import httpx2
import pytest
from anthropic import Anthropic, AsyncAnthropic
from anthropic.types import MessageParam, ToolParam
from openai_helpers import SECRET_KEY, attrs, content, llm_spans, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

import agentops_otel as agentops
from agentops_otel import _redact, semconv
from agentops_otel.instrument import _openai_attrs
from agentops_otel.instrument.anthropic import (
    AnthropicInstrumentor,
    instrument_anthropic,
    is_instrumented,
    uninstrument_anthropic,
)
from agentops_otel.testing import AnthropicServer, Reply, Usage, assert_tokens_below

MODEL = "claude-haiku-4-5"  # priced: $1 in, $5 out, $0.10 cache read, $1.25 / $2 5m / 1h write per MTok

USER: list[MessageParam] = [{"role": "user", "content": "Where is my invoice?"}]
TOOL: ToolParam = {"name": "lookup", "description": "Find an invoice",
                   "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}


def test_create_records_a_chat_client_span(client: Anthropic, server: AnthropicServer,
                                           span_exporter: InMemorySpanExporter) -> None:
    """messages.create is one `chat {model}` CLIENT span with request, response, usage and cost."""
    server.queue(Reply.text("Here it is.", usage=Usage(120, 30)))

    message = client.messages.create(model=MODEL, max_tokens=256, stop_sequences=["END"], messages=USER)

    span = only_span(span_exporter)
    a = attrs(span)
    assert (span.name, span.kind) == (f"chat {MODEL}", SpanKind.CLIENT)
    assert a[semconv.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert a[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 256
    assert a[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] == ("END",)
    assert "gen_ai.request.stream" not in a  # the conventions: set only when streaming
    assert a[semconv.GEN_AI_RESPONSE_ID] == message.id and a[semconv.GEN_AI_RESPONSE_MODEL] == MODEL
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (120, 30)
    assert a[semconv.COST_USD] == pytest.approx((120 * 1 + 30 * 5) / 1e6)
    assert a[semconv.SERVER_ADDRESS] == "127.0.0.1" and a[semconv.SERVER_PORT] == server.port
    assert a[semconv.ANTHROPIC_REQUEST_ID].startswith("req_")
    assert SECRET_KEY not in repr(a)


def test_cache_tokens_are_part_of_input_and_priced_at_their_rates(client: Anthropic, server: AnthropicServer,
                                                                  span_exporter: InMemorySpanExporter) -> None:
    """input = uncached + cache reads + writes; reads, 5m and 1h writes each cost their own rate."""
    server.queue(Reply.text("ok", usage=Usage(1000, 100, cached_tokens=200, cache_write_tokens=300,
                                              cache_write_1h_tokens=100)))

    client.messages.create(model=MODEL, max_tokens=256, messages=USER)

    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1000
    assert a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 200
    assert a["gen_ai.usage.cache_creation.input_tokens"] == 300  # the registry's name, spelt out
    assert (a[semconv.ANTHROPIC_CACHE_WRITE_5M], a[semconv.ANTHROPIC_CACHE_WRITE_1H]) == (200, 100)
    # haiku 4.5: $1 input, $5 output, $0.10 cache read, $1.25 5m write, $2 1h write per MTok
    expected = (500 * 1 + 200 * 0.1 + 200 * 1.25 + 100 * 2 + 100 * 5) / 1e6
    assert a[semconv.COST_USD] == pytest.approx(expected)


def test_tool_use_round_trip_content(client: Anthropic, server: AnthropicServer,
                                     span_exporter: InMemorySpanExporter) -> None:
    """tool_use → tool_call parts and finish reason tool_call; tool_result → a tool turn with the response."""
    server.queue(Reply.tool_calls(("lookup", {"q": "inv-1"}, "toolu_1"), text="Checking."), Reply.text("Paid."))
    first = client.messages.create(model=MODEL, max_tokens=256, system="Be brief.", tools=[TOOL], messages=USER)
    client.messages.create(model=MODEL, max_tokens=256, system="Be brief.", tools=[TOOL], messages=[
        *USER, {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"paid": true}'}]},
    ])

    one, two = llm_spans(span_exporter)
    assert attrs(one)[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_call",)
    assert content(one, semconv.GEN_AI_OUTPUT_MESSAGES) == [{"role": "assistant", "finish_reason": "tool_call",
                                                             "parts": [
        {"type": "text", "content": "Checking."},
        {"type": "tool_call", "id": "toolu_1", "name": "lookup", "arguments": {"q": "inv-1"}}]}]
    assert content(one, semconv.GEN_AI_SYSTEM_INSTRUCTIONS) == [{"type": "text", "content": "Be brief."}]
    assert content(one, semconv.GEN_AI_TOOL_DEFINITIONS) == [{"type": "function", "name": "lookup",
                                                             "description": "Find an invoice",
                                                             "parameters": TOOL["input_schema"]}]
    history = content(two, semconv.GEN_AI_INPUT_MESSAGES)
    assert history[1]["parts"][1] == {"type": "tool_call", "id": "toolu_1", "name": "lookup",
                                      "arguments": {"q": "inv-1"}}
    assert history[2] == {"role": "tool", "parts": [
        {"type": "tool_call_response", "id": "toolu_1", "response": {"paid": True}}]}


def test_thinking_and_images(client: Anthropic, server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """Thinking blocks are reasoning parts; an inline image is a marker, never its bytes."""
    server.queue(Reply.text("A cat.", thinking="Whiskers, so a cat."))
    pixels = "iVBORw0KGgo" * 50
    client.messages.create(model=MODEL, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024},
                           messages=[{"role": "user", "content": [
                               {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                            "data": pixels}},
                               {"type": "text", "text": "What is this?"}]}])

    span = only_span(span_exporter)
    assert pixels not in repr(attrs(span))
    image = content(span, semconv.GEN_AI_INPUT_MESSAGES)[0]["parts"][0]
    assert image == {"type": "blob", "modality": "image", "mime_type": "image/png",
                     "content": f"<{len(pixels)} chars inline>"}
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [
        {"type": "reasoning", "content": "Whiskers, so a cat."}, {"type": "text", "content": "A cat."}]


def test_stream_true_assigns_cumulative_usage(client: Anthropic, server: AnthropicServer,
                                              span_exporter: InMemorySpanExporter) -> None:
    """stream=True: usage from message_start and message_delta is assigned (not summed); TTFC recorded."""
    server.queue(Reply.tool_calls(("lookup", {"q": "x"}, "toolu_9"), text="On it.",
                                  usage=Usage(80, 12, cached_tokens=20)))

    events = list(client.messages.create(model=MODEL, max_tokens=256, messages=USER, stream=True))

    a = attrs(only_span(span_exporter))
    assert events[-1].type == "message_stop"
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (80, 12)
    assert a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 20
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_call",)
    assert a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] >= 0
    assert content(only_span(span_exporter), semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"][1] == {
        "type": "tool_call", "id": "toolu_9", "name": "lookup", "arguments": {"q": "x"}}


def test_stream_helper_sync(client: Anthropic, server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """messages.stream(): the span opens when the manager is entered and ends with the stream."""
    server.queue(Reply.text("Streaming words here", usage=Usage(40, 4)))

    manager = client.messages.stream(model=MODEL, max_tokens=256, messages=USER)
    assert llm_spans(span_exporter) == []
    with manager as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    a = attrs(only_span(span_exporter))
    assert text == "Streaming words here"
    assert a[semconv.GEN_AI_RESPONSE_ID] == final.id and a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 4
    assert content(only_span(span_exporter), semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [
        {"type": "text", "content": "Streaming words here"}]


async def test_stream_helper_async(aclient: AsyncAnthropic, server: AnthropicServer,
                                   span_exporter: InMemorySpanExporter) -> None:
    """AsyncMessages.stream (a plain function returning an async context manager) is traced the same."""
    server.queue(Reply.text("async words", usage=Usage(10, 2)))

    async with aclient.messages.stream(model=MODEL, max_tokens=256, messages=USER) as stream:
        final = await stream.get_final_message()

    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_RESPONSE_ID] == final.id
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True and a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 2


async def test_async_create_and_stream(aclient: AsyncAnthropic, server: AnthropicServer,
                                       span_exporter: InMemorySpanExporter) -> None:
    """AsyncMessages.create, plain and stream=True, each give one finished span."""
    server.queue(Reply.text("one"), Reply.text("two words"))
    await aclient.messages.create(model=MODEL, max_tokens=64, messages=USER)
    async for _ in await aclient.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True):
        pass

    spans = llm_spans(span_exporter)
    assert [attrs(s).get(semconv.GEN_AI_REQUEST_STREAM) for s in spans] == [None, True]
    assert all(attrs(s)[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",) for s in spans)


def test_abandoned_stream_ends_the_span_once(client: Anthropic, server: AnthropicServer,
                                             span_exporter: InMemorySpanExporter) -> None:
    """Breaking out of a stream and dropping it ends the span exactly once, with what arrived."""
    server.queue(Reply.text("many words in this reply", usage=Usage(10, 6)))

    stream = client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True)
    for event in stream:
        if event.type == "content_block_delta":
            break
    del stream, event
    gc.collect()

    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_RESPONSE_ID].startswith("msg_")
    assert semconv.GEN_AI_RESPONSE_FINISH_REASONS not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_STREAM_NOT_FINISHED  # not priced from partial counts


def test_closed_stream_helper_ends_the_span_once(client: Anthropic, server: AnthropicServer,
                                                 span_exporter: InMemorySpanExporter) -> None:
    """Leaving the stream helper's with-block early closes the stream and ends the span once."""
    server.queue(Reply.text("a b c d e f"))

    with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        next(iter(stream))
    gc.collect()

    assert len(llm_spans(span_exporter)) == 1


def test_api_error_sets_error_type(client: Anthropic, server: AnthropicServer,
                                   span_exporter: InMemorySpanExporter) -> None:
    """An API error reaches the user unchanged and is recorded: status ERROR, error.type = the status."""
    server.queue(Reply.error(529))

    with pytest.raises(anthropic.OverloadedError):
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)[semconv.ERROR_TYPE] == "529"


def test_api_error_keeps_the_request_id(client: Anthropic, server: AnthropicServer,
                                       span_exporter: InMemorySpanExporter) -> None:
    """A failed call's span carries the request id the error carries: what Anthropic's support asks for."""
    server.queue(Reply.error(529))

    with pytest.raises(anthropic.OverloadedError) as raised:
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    assert raised.value.request_id and raised.value.request_id.startswith("req_")
    assert attrs(only_span(span_exporter))[semconv.ANTHROPIC_REQUEST_ID] == raised.value.request_id


def test_api_error_counts_no_tokens(client: Anthropic, server: AnthropicServer) -> None:
    """A 429 is not billed: its tokens are a known 0 like its cost, so a token bound passes on it."""
    server.queue(Reply.error(429))

    with agentops.session("limited") as s, pytest.raises(anthropic.RateLimitError):
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    assert s.cost_complete
    assert_tokens_below(s, 1)


def test_mid_stream_failure_keeps_what_arrived(client: Anthropic, server: AnthropicServer,
                                               span_exporter: InMemorySpanExporter) -> None:
    """A stream cut by the network ends the span as failed, with the message id it had seen."""
    server.queue(Reply.text("one two three", fail_after_chunks=5))

    # anthropic < 2.17 lets the transport's error through; later versions wrap it in APIConnectionError
    with pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)) as raised:
        for _ in client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True):
            pass

    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)[semconv.ERROR_TYPE] == type(raised.value).__qualname__
    assert attrs(span)[semconv.GEN_AI_RESPONSE_ID].startswith("msg_")


class Invoice(BaseModel):
    number: str


def test_parse_and_raw_response(client: Anthropic, server: AnthropicServer,
                                span_exporter: InMemorySpanExporter) -> None:
    """.parse gives output type json; with_raw_response is priced and the user's parse() still works."""
    server.queue(Reply.text('{"number": "INV-1"}'), Reply.text("raw", usage=Usage(9, 1)))

    parsed = client.messages.parse(model=MODEL, max_tokens=64, messages=USER, output_format=Invoice)
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=USER)

    assert parsed.parsed_output == Invoice(number="INV-1")
    assert raw.parse().content[0].text == "raw"  # type: ignore[union-attr]
    first, second = llm_spans(span_exporter)
    assert attrs(first)[semconv.GEN_AI_OUTPUT_TYPE] == "json"
    assert attrs(second)[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 1 and semconv.COST_USD in attrs(second)


def test_streaming_response_helper_leaves_the_body_unread(client: Anthropic, server: AnthropicServer,
                                                          span_exporter: InMemorySpanExporter) -> None:
    """with_streaming_response: one span, and the body is still the user's to read."""
    server.queue(Reply.text("body"))

    with client.messages.with_streaming_response.create(model=MODEL, max_tokens=64, messages=USER) as response:
        body = response.parse()

    assert body.content[0].text == "body"  # type: ignore[union-attr]
    assert attrs(only_span(span_exporter))[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_RAW_RESPONSE


def test_beta_messages(client: Anthropic, server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """The beta surface (create and the stream helper) is traced like the main one."""
    server.queue(Reply.text("beta"), Reply.text("beta stream"))

    client.beta.messages.create(model=MODEL, max_tokens=64, messages=USER)
    with client.beta.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        stream.until_done()

    spans = llm_spans(span_exporter)
    assert [attrs(s).get(semconv.GEN_AI_REQUEST_STREAM) for s in spans] == [None, True]
    assert all(attrs(s)[semconv.GEN_AI_PROVIDER_NAME] == "anthropic" for s in spans)


def test_uninstrument_restores_and_instrument_is_idempotent(client: Anthropic, server: AnthropicServer,
                                                            span_exporter: InMemorySpanExporter) -> None:
    """A second instrument() adds no second span; after uninstrument() only the SDK's own span is left."""
    assert instrument_anthropic() is True
    client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert [s.name for s in llm_spans(span_exporter)] == [f"chat {MODEL}"]
    span_exporter.clear()

    uninstrument_anthropic()
    client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    assert [s.name for s in llm_spans(span_exporter)] == ["anthropic.messages.create"]


def test_entry_point_loads_the_instrumentor(client: Anthropic, span_exporter: InMemorySpanExporter) -> None:
    """The opentelemetry_instrumentor entry point loads and, called as the distro does, instruments anthropic."""
    uninstrument_anthropic()
    (ep,) = [e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "agentops_anthropic"]
    assert ep.load() is AnthropicInstrumentor
    instrumentor = ep.load()()
    instrumentor.instrument()
    assert is_instrumented()
    client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert [s.name for s in llm_spans(span_exporter)] == [f"chat {MODEL}"]
    instrumentor.uninstrument()
    assert not is_instrumented()


def test_init_instruments_anthropic(client: Anthropic, span_exporter: InMemorySpanExporter) -> None:
    """agentops_otel.init() instruments anthropic as well as openai (when installed)."""
    uninstrument_anthropic()
    agentops.init(instrument_llm_calls=True)
    assert is_instrumented()
    client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert [s.name for s in llm_spans(span_exporter)] == [f"chat {MODEL}"]


class _RoutedAnthropic(Anthropic):
    """A client whose URL is computed on each read (a gateway routing to a port of its choosing)."""

    routed_port = 0

    @property  # type: ignore[override,misc]
    def base_url(self) -> httpx2.URL:
        return Anthropic.base_url.fget(self).copy_with(port=self.routed_port)  # type: ignore[attr-defined,no-any-return]


def test_server_attributes_name_the_url_the_sdk_sends_to_not_the_one_it_stored(
        server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """A subclass that computes `base_url`: the request goes where the property says; so does the span."""
    server.queue(Reply.text("routed"))
    with _RoutedAnthropic(base_url="http://127.0.0.1:9", api_key=SECRET_KEY, max_retries=0) as routed:
        routed.routed_port = server.port
        routed.messages.create(model=MODEL, max_tokens=16, messages=USER)
    assert attrs(only_span(span_exporter))[semconv.SERVER_PORT] == server.port


def test_server_attributes_without_openai_installed(client: Anthropic, server: AnthropicServer,
                                                    span_exporter: InMemorySpanExporter,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """openai is an optional dependency: an anthropic-only program still gets server.* and no internal error."""
    monkeypatch.setitem(sys.modules, "openai", None)  # what `import openai` sees when it is not installed
    monkeypatch.setattr(_openai_attrs, "_sdk_url_properties", None)
    monkeypatch.setattr(_openai_attrs, "_url_fields", {})
    server.queue(Reply.text("hi"))
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        client.messages.create(model=MODEL, max_tokens=16, messages=USER)
    assert attrs(only_span(span_exporter))[semconv.SERVER_PORT] == server.port
    assert not [r for r in caplog.records if r.name == "agentops_otel"]


def test_key_inside_a_tool_schema_is_masked(client: Anthropic, server: AnthropicServer,
                                            span_exporter: InMemorySpanExporter) -> None:
    """A key pasted into a tool's input schema is masked in the recorded definitions."""
    leaked = "sk-ant-api03-Abcdefghijklmnop0123456789"
    server.queue(Reply.text("ok"))
    tool: ToolParam = {"name": "page", "input_schema": {
        "type": "object", "properties": {"key": {"type": "string", "default": leaked}}}}
    client.messages.create(model=MODEL, max_tokens=16, messages=USER, tools=[tool])
    recorded = content(only_span(span_exporter), semconv.GEN_AI_TOOL_DEFINITIONS)
    assert recorded[0]["parameters"]["properties"]["key"]["default"] == "[REDACTED]"


def test_the_default_of_a_password_property_is_masked(client: Anthropic, server: AnthropicServer,
                                                      span_exporter: InMemorySpanExporter) -> None:
    """A ``password`` property's default in a tool schema is the argument's value: masked, its schema kept."""
    server.queue(Reply.text("ok"))
    tool: ToolParam = {"name": "db_connect", "input_schema": {
        "type": "object", "properties": {"password": {"type": "string", "default": "hunter2-db-pass"}}}}
    client.messages.create(model=MODEL, max_tokens=16, messages=USER, tools=[tool])
    recorded = content(only_span(span_exporter), semconv.GEN_AI_TOOL_DEFINITIONS)
    assert recorded[0]["parameters"]["properties"]["password"] == {"type": "string", "default": "[REDACTED]"}


def test_many_tools_keep_the_first_ones_within_the_content_budget(
        client: Anthropic, server: AnthropicServer, monkeypatch: pytest.MonkeyPatch,
        span_exporter: InMemorySpanExporter) -> None:
    """200 tools over a 5000-char budget: whole tools in order, then one entry counting those left out."""
    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "5000")
    server.queue(Reply.text("ok"))
    tools: list[ToolParam] = [{**TOOL, "name": f"tool_{i}", "description": "Does something useful. " * 20}
                              for i in range(200)]
    client.messages.create(model=MODEL, max_tokens=16, messages=USER, tools=tools)
    raw = attrs(only_span(span_exporter))[semconv.GEN_AI_TOOL_DEFINITIONS]
    assert len(raw) <= 5000
    *kept, marker = json.loads(raw)
    assert kept and [t["name"] for t in kept] == [f"tool_{i}" for i in range(len(kept))]
    assert marker["omitted_tools"] == 200 - len(kept)


def test_a_system_prompt_of_many_blocks_keeps_the_first_ones_within_the_content_budget(
        client: Anthropic, server: AnthropicServer, monkeypatch: pytest.MonkeyPatch,
        span_exporter: InMemorySpanExporter) -> None:
    """system=[300 cached blocks]: whole blocks in order within a 5000-char budget, then one part counting
    those left out, as for messages and tools (else the span carries every block, each up to the limit)."""
    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "5000")
    server.queue(Reply.text("ok"))
    system = [{"type": "text", "text": f"Rule {i}: " + "be careful. " * 40} for i in range(300)]
    client.messages.create(model=MODEL, max_tokens=16, messages=USER, system=system)  # type: ignore[arg-type]
    raw = attrs(only_span(span_exporter))[semconv.GEN_AI_SYSTEM_INSTRUCTIONS]
    assert len(raw) <= 5000
    *kept, marker = json.loads(raw)
    assert kept and [p["content"] for p in kept] == [b["text"] for b in system[:len(kept)]]
    assert str(300 - len(kept)) in marker["content"]


def test_redaction_hook_sees_tool_definitions(client: Anthropic, server: AnthropicServer,
                                              span_exporter: InMemorySpanExporter) -> None:
    """The redaction hook (init(redact=...)) is given the tool definitions, as for openai; its answer is recorded."""
    server.queue(Reply.text("ok"))
    _redact.set_hook(lambda attribute, value: "[hidden]" if attribute == semconv.GEN_AI_TOOL_DEFINITIONS else value)
    try:
        client.messages.create(model=MODEL, max_tokens=16, messages=USER, tools=[TOOL])
    finally:
        _redact.set_hook(None)
    assert content(only_span(span_exporter), semconv.GEN_AI_TOOL_DEFINITIONS) == "[hidden]"


def test_the_session_root_carries_its_cache_write_total(client: Anthropic, server: AnthropicServer,
                                                        span_exporter: InMemorySpanExporter) -> None:
    """A backend reading only the session's root sees its prompt-cache writes, as it sees its cache reads."""
    server.queue(Reply.text("a", usage=Usage(prompt_tokens=1000, completion_tokens=5, cached_tokens=100,
                                             cache_write_tokens=400)))
    with agentops.session("cached") as s:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    root = next(sp for sp in span_exporter.get_finished_spans() if sp.name.startswith("invoke_agent")
                and attrs(sp).get(semconv.SESSION_ID) == s.id)
    assert attrs(root)[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 100
    assert attrs(root)[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == 400
