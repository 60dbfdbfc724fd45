"""The fake OpenAI server, exercised through the real openai client (sync and async)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam
from pydantic import BaseModel

from agentops_otel.testing import OpenAIServer, Reply
from agentops_otel.testing._openai_server import Request, Usage

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Where is my invoice?"}]
TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "fetch_customer_data",
        "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"}}},
    },
}


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def client(server: OpenAIServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as sync_client:
        yield sync_client


def async_client(server: OpenAIServer, **options: Any) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0, **options)


# -- chat completions ------------------------------------------------------------------------------


def test_default_reply_echoes_last_user_message(client: OpenAI) -> None:
    """With nothing queued the answer is a deterministic echo of the last user turn, with usage."""
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=USER)

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4o-mini"
    assert completion.choices[0].message.content == "ok: Where is my invoice?"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    again = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert again.choices[0].message.content == completion.choices[0].message.content
    assert again.usage == completion.usage


def test_chat_text_reply_reports_given_usage_and_model(client: OpenAI, server: OpenAIServer) -> None:
    """An explicit Usage and model override land in the typed response, detail fields included."""
    usage = Usage(prompt_tokens=120, completion_tokens=30, cached_tokens=100, reasoning_tokens=12)
    server.queue(Reply.text("billing", usage=usage, model="gpt-4o-2024-08-06"))

    completion = client.chat.completions.create(model="gpt-4o", messages=USER)

    assert completion.choices[0].message.content == "billing"
    assert completion.model == "gpt-4o-2024-08-06"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (120, 30)
    assert completion.usage.total_tokens == 150
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 100
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 12


def test_chat_stream_without_include_usage_has_no_usage_chunk(client: OpenAI, server: OpenAIServer) -> None:
    """A plain stream sends the role first, the text in several chunks, a finish chunk, and no usage."""
    server.queue(Reply.text("Your invoice was sent on Monday."))

    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True))

    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 2
    assert "".join(pieces) == "Your invoice was sent on Monday."
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None and c.choices for c in chunks)
    assert len({c.id for c in chunks}) == 1


def test_streamed_text_keeps_whitespace_and_unicode(client: OpenAI, server: OpenAIServer) -> None:
    """Word-by-word chunking loses no characters: newlines, runs of spaces and non-ASCII survive."""
    text = "  Dear customer,\n\nyour  invoice — №42 — is ready. ✅\n"
    server.queue(Reply.text(text))

    stream = client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)

    assert "".join(c.choices[0].delta.content or "" for c in stream) == text


def test_chat_stream_with_include_usage_ends_with_usage_chunk(client: OpenAI, server: OpenAIServer) -> None:
    """stream_options.include_usage adds a final chunk with empty choices carrying the usage."""
    server.queue(Reply.text("abcdefghij", chunk_size=3, usage=Usage(10, 4, cached_tokens=2)))

    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini", messages=USER, stream=True, stream_options={"include_usage": True}
        )
    )

    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert contents == ["abc", "def", "ghi", "j"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (10, 4, 14)
    assert last.usage.prompt_tokens_details is not None
    assert last.usage.prompt_tokens_details.cached_tokens == 2
    assert all(c.usage is None for c in chunks[:-1])


def test_chat_tool_calls_non_stream(client: OpenAI, server: OpenAIServer) -> None:
    """Tool calls come back as typed function calls with JSON arguments and a tool_calls finish."""
    server.queue(
        Reply.tool_calls(
            ("fetch_customer_data", {"customer_id": "42"}),
            ("lookup_invoice", {"month": "May"}, "call_fixed"),
        )
    )

    completion = client.chat.completions.create(model="gpt-4o-mini", messages=USER, tools=[TOOL])

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls or []
    assert all(c.type == "function" for c in calls)
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls if c.type == "function"] == [
        ("fetch_customer_data", {"customer_id": "42"}),
        ("lookup_invoice", {"month": "May"}),
    ]
    assert calls[0].id.startswith("call_")
    assert calls[1].id == "call_fixed"


def test_chat_tool_call_stream_accumulates_arguments(client: OpenAI, server: OpenAIServer) -> None:
    """Streamed tool-call argument fragments reassemble into the right calls in the SDK's stream helper."""
    server.queue(
        Reply.tool_calls(
            ("fetch_customer_data", {"customer_id": "42", "fields": ["email", "plan"]}),
            ("lookup_invoice", {"month": "May"}),
        )
    )

    with client.chat.completions.stream(model="gpt-4o-mini", messages=USER, tools=[TOOL]) as stream:
        fragments = [e for e in stream if e.type == "tool_calls.function.arguments.delta"]
        final = stream.get_final_completion()

    assert len(fragments) > 4
    calls = final.choices[0].message.tool_calls or []
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("fetch_customer_data", {"customer_id": "42", "fields": ["email", "plan"]}),
        ("lookup_invoice", {"month": "May"}),
    ]
    assert final.choices[0].finish_reason == "tool_calls"


def test_chat_parse_returns_pydantic_model(client: OpenAI, server: OpenAIServer) -> None:
    """.parse() with a pydantic response_format parses the queued JSON text into the model."""

    class Route(BaseModel):
        department: str
        urgent: bool

    server.queue(Reply.text('{"department": "billing", "urgent": false}'))

    completion = client.chat.completions.parse(model="gpt-4o-mini", messages=USER, response_format=Route)

    assert completion.choices[0].message.parsed == Route(department="billing", urgent=False)
    sent_format = server.requests[-1].json["response_format"]
    assert sent_format["type"] == "json_schema"
    assert sent_format["json_schema"]["name"] == "Route"


# -- responses -------------------------------------------------------------------------------------


def test_responses_text_non_stream(client: OpenAI, server: OpenAIServer) -> None:
    """A Responses call returns a completed response with one output_text message and full usage."""
    server.queue(Reply.text("billing", usage=Usage(50, 5, cached_tokens=20, reasoning_tokens=3)))

    response = client.responses.create(
        model="gpt-4o-mini", input="Where is my invoice?", instructions="Route."
    )

    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.output_text == "billing"
    assert response.output[0].type == "message"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        50,
        5,
        55,
    )
    assert response.usage.input_tokens_details.cached_tokens == 20
    assert response.usage.output_tokens_details.reasoning_tokens == 3
    assert server.requests[-1].input == "Where is my invoice?"
    assert server.requests[-1].json["instructions"] == "Route."


def test_responses_tool_calls_non_stream(client: OpenAI, server: OpenAIServer) -> None:
    """Tool calls in the Responses API are function_call output items with call ids and JSON arguments."""
    server.queue(Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"}, "call_abc")))

    response = client.responses.create(model="gpt-4o-mini", input="Where is my invoice?")

    [item] = response.output
    assert item.type == "function_call"
    assert (item.name, item.call_id, json.loads(item.arguments)) == (
        "fetch_customer_data",
        "call_abc",
        {"customer_id": "42"},
    )


def test_responses_stream_raw_events(client: OpenAI, server: OpenAIServer) -> None:
    """The raw Responses stream has the API's event sequence, numbered, ending with the full response."""
    server.queue(Reply.text("Your invoice is on its way."))

    events = list(client.responses.create(model="gpt-4o-mini", input="Where is my invoice?", stream=True))

    types = [e.type for e in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 2 and "".join(deltas) == "Your invoice is on its way."
    assert [e.sequence_number for e in events] == list(range(len(events)))
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == "Your invoice is on its way."
    assert completed.response.usage is not None and completed.response.usage.output_tokens > 0


def test_responses_stream_helper_text_and_tool_calls(client: OpenAI, server: OpenAIServer) -> None:
    """The SDK's responses.stream helper accepts the stream and builds the final response, tool calls too."""
    server.queue(Reply.text("billing"), Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"})))

    with client.responses.stream(model="gpt-4o-mini", input="Where is my invoice?") as stream:
        text_deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    with client.responses.stream(model="gpt-4o-mini", input="Look it up") as stream:
        argument_deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        with_tool = stream.get_final_response()

    assert "".join(text_deltas) == final.output_text == "billing"
    [call] = with_tool.output
    assert call.type == "function_call"
    assert json.loads("".join(argument_deltas)) == json.loads(call.arguments) == {"customer_id": "42"}


# -- embeddings and models -------------------------------------------------------------------------


def test_embeddings_default_base64_matches_float_format(client: OpenAI, server: OpenAIServer) -> None:
    """The SDK asks for base64 by default; decoded vectors equal the float answer and are deterministic."""
    default = client.embeddings.create(model="text-embedding-3-small", input=["invoice", "refund"])
    floats = client.embeddings.create(
        model="text-embedding-3-small", input=["invoice", "refund"], encoding_format="float"
    )

    assert server.requests[0].json["encoding_format"] == "base64"
    assert server.requests[1].json["encoding_format"] == "float"
    assert [d.embedding for d in default.data] == [d.embedding for d in floats.data]
    assert [len(d.embedding) for d in default.data] == [8, 8]
    assert default.data[0].embedding != default.data[1].embedding
    assert abs(sum(x * x for x in default.data[0].embedding) - 1.0) < 1e-5
    assert default.usage.prompt_tokens == default.usage.total_tokens == 2


def test_embeddings_dimensions_and_queued_reply(client: OpenAI, server: OpenAIServer) -> None:
    """The request's dimensions set the default size; a queued Reply.embedding(dim) overrides it."""
    server.queue(Reply.embedding(dim=4))

    queued = client.embeddings.create(model="text-embedding-3-small", input="invoice", dimensions=16)
    default = client.embeddings.create(model="text-embedding-3-small", input="invoice", dimensions=16)

    assert len(queued.data[0].embedding) == 4
    assert len(default.data[0].embedding) == 16


def test_models_list(client: OpenAI) -> None:
    """GET /models lists a few model ids so clients that probe it work."""
    assert "gpt-4o-mini" in [model.id for model in client.models.list()]


def test_unknown_path_is_openai_style_404(server: OpenAIServer) -> None:
    """Unknown URLs get a 404 with OpenAI's error body and an x-request-id, and are still recorded."""
    request = urllib.request.Request(f"{server.base_url}/nope", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)

    assert caught.value.code == 404
    assert caught.value.headers["x-request-id"].startswith("req_")
    body = json.loads(caught.value.read())
    assert body["error"]["type"] == "invalid_request_error"
    assert "/v1/nope" in body["error"]["message"]
    assert server.requests[-1].path == "/v1/nope"


# -- errors and failures ---------------------------------------------------------------------------


def test_rate_limit_raises_rate_limit_error(client: OpenAI, server: OpenAIServer) -> None:
    """A queued 429 raises openai.RateLimitError with OpenAI's body, type, code and a request id."""
    server.queue(Reply.error(429))

    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)

    assert caught.value.status_code == 429
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.type == "requests"
    assert caught.value.request_id is not None and caught.value.request_id.startswith("req_")


def test_server_error_raises_internal_server_error(client: OpenAI, server: OpenAIServer) -> None:
    """A queued 500 raises openai.InternalServerError carrying a custom message."""
    server.queue(Reply.error(500, "boom"))

    with pytest.raises(openai.InternalServerError) as caught:
        client.responses.create(model="gpt-4o-mini", input="hi")

    assert caught.value.type == "server_error"
    assert "boom" in caught.value.message


def test_retry_takes_the_next_reply(server: OpenAIServer) -> None:
    """With retries enabled, retry_after keeps the retry fast and the retry consumes the next reply."""
    server.queue(Reply.error(429, retry_after=0.001), Reply.text("after retry"))

    with OpenAI(base_url=server.base_url, api_key="test", max_retries=2) as retrying:
        completion = retrying.chat.completions.create(model="gpt-4o-mini", messages=USER)

    assert completion.choices[0].message.content == "after retry"
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]


def test_an_error_the_server_says_not_to_retry_is_raised_at_once(server: OpenAIServer) -> None:
    """Reply.error(retry=False) sends x-should-retry: false, so a client with retries raises on the first answer."""
    server.queue(Reply.error(503, "down for good", retry=False), Reply.text("a retry would get this"))

    with (
        OpenAI(base_url=server.base_url, api_key="test", max_retries=2) as retrying,
        pytest.raises(openai.InternalServerError, match="down for good"),
    ):
        retrying.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert len(server.requests) == 1


def test_an_error_the_server_says_to_retry_is_retried(server: OpenAIServer) -> None:
    """Reply.error(retry=True) sends x-should-retry: true, so the SDK retries even a status it would not."""
    server.queue(Reply.error(400, retry=True, retry_after=0.001), Reply.text("after retry"))

    with OpenAI(base_url=server.base_url, api_key="test", max_retries=2) as retrying:
        completion = retrying.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert completion.choices[0].message.content == "after retry"
    assert len(server.requests) == 2


def test_responder_failure_is_a_non_retried_500(server: OpenAIServer) -> None:
    """A responder that raises gives a 500 the SDK does not retry, naming the exception."""

    def broken(request: Request) -> Reply:
        raise ValueError("no script for this")

    server.set_responder(broken)
    with (
        OpenAI(base_url=server.base_url, api_key="test", max_retries=2) as retrying,
        pytest.raises(openai.InternalServerError, match="no script for this"),
    ):
        retrying.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert len(server.requests) == 1


def test_reply_for_the_wrong_endpoint_is_a_bad_request(client: OpenAI, server: OpenAIServer) -> None:
    """Queuing a text reply for an embeddings call is a test bug, reported as a 400 that names it."""
    server.queue(Reply.text("oops"))

    with pytest.raises(openai.BadRequestError, match="cannot answer POST /v1/embeddings"):
        client.embeddings.create(model="text-embedding-3-small", input="x")


def test_mid_stream_failure_raises_connection_error(client: OpenAI, server: OpenAIServer) -> None:
    """fail_after_chunks cuts the stream after N events, and the client raises after seeing them."""
    server.queue(Reply.text("one two three four five", fail_after_chunks=3))

    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True):
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "one two"


def test_responses_mid_stream_failure_raises_connection_error(client: OpenAI, server: OpenAIServer) -> None:
    """A Responses stream cut after N events raises in the client after delivering those N events."""
    server.queue(Reply.text("one two three", fail_after_chunks=4))

    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for event in client.responses.create(model="gpt-4o-mini", input="hi", stream=True):
            received.append(event.type)
    assert received == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]


def test_an_error_after_chunks_arrives_as_an_error_chunk_inside_the_stream(client: OpenAI,
                                                                          server: OpenAIServer) -> None:
    """Reply.error(after_chunks=N) sends N chunks of an HTTP 200 stream, then a chunk carrying the error."""
    server.queue(Reply.error(500, "the model stopped", after_chunks=2))

    received: list[str] = []
    with pytest.raises(openai.APIError, match="the model stopped") as caught:
        for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True):
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "an"
    assert caught.value.type == "server_error"


def test_non_stream_failure_drops_connection(client: OpenAI, server: OpenAIServer) -> None:
    """fail_after_chunks on a non-streaming call drops the connection before any response."""
    server.queue(Reply.text("never sent", fail_after_chunks=0))

    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)


def test_delay_lets_client_timeouts_fire(server: OpenAIServer) -> None:
    """A reply delay holds back the first byte, so client timeouts can be tested; close() does not wait."""
    server.queue(Reply.text("late", delay=5.0))

    with (
        OpenAI(base_url=server.base_url, api_key="test", max_retries=0, timeout=0.2) as impatient,
        pytest.raises(openai.APITimeoutError),
    ):
        impatient.chat.completions.create(model="gpt-4o-mini", messages=USER)


# -- scripting -------------------------------------------------------------------------------------


def test_queue_then_responder_then_default(client: OpenAI, server: OpenAIServer) -> None:
    """Queued replies go first in FIFO order, then the responder, which can defer to the default."""
    server.queue(Reply.text("first"), Reply.text("second"))
    server.set_responder(
        lambda request: Reply.text("from responder") if "refund" in request.last_user_text else None
    )

    def ask(text: str) -> str | None:
        completion = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
        )
        return completion.choices[0].message.content

    assert [ask("refund?"), ask("refund?"), ask("refund?"), ask("hello")] == [
        "first",
        "second",
        "from responder",
        "ok: hello",
    ]
    assert server.pending == 0


def test_requests_are_recorded_and_reset_clears_everything(client: OpenAI, server: OpenAIServer) -> None:
    """Each request is recorded with path, headers and body; reset() clears requests, queue and responder."""
    client.chat.completions.create(model="gpt-4o-mini", messages=USER, temperature=0)

    [request] = server.requests
    assert (request.method, request.path, request.model, request.stream) == (
        "POST",
        "/v1/chat/completions",
        "gpt-4o-mini",
        False,
    )
    assert request.messages == USER
    assert request.json["temperature"] == 0
    assert request.headers["authorization"] == "Bearer test"

    server.queue(Reply.text("stale"))
    server.set_responder(lambda request: Reply.text("stale too"))
    server.reset()
    assert server.requests == [] and server.pending == 0
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert completion.choices[0].message.content == "ok: Where is my invoice?"
    assert completion.id == "chatcmpl-000001"


def test_server_can_restart_and_reports_base_url() -> None:
    """start()/close() work without a with-block and base_url names the bound port under /v1."""
    server = OpenAIServer()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    server.start()
    try:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert server.port > 0
    finally:
        server.close()
    server.close()


# -- async client ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_chat_json_and_stream(server: OpenAIServer) -> None:
    """The async client gets the same JSON and streamed answers."""
    server.queue(Reply.text("billing"), Reply.text("streamed reply text"))

    async with async_client(server) as client:
        completion = await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=USER, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]

    assert completion.choices[0].message.content == "billing"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "streamed reply text"
    assert chunks[-1].usage is not None


@pytest.mark.asyncio
async def test_async_tool_call_stream_helper(server: OpenAIServer) -> None:
    """The async chat stream helper accumulates streamed tool-call arguments."""
    server.queue(Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"})))

    async with (
        async_client(server) as client,
        client.chat.completions.stream(model="gpt-4o-mini", messages=USER, tools=[TOOL]) as stream,
    ):
        final = await stream.get_final_completion()

    [call] = final.choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments) == {"customer_id": "42"}


@pytest.mark.asyncio
async def test_async_responses_stream_and_embeddings(server: OpenAIServer) -> None:
    """Async Responses streaming and base64 embeddings decode through the async client."""
    server.queue(Reply.text("async billing"))

    async with async_client(server) as client:
        events = [event async for event in await client.responses.create(model="m", input="hi", stream=True)]
        embedding = await client.embeddings.create(model="text-embedding-3-small", input="invoice")

    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "async billing"
    assert len(embedding.data[0].embedding) == 8


@pytest.mark.asyncio
async def test_async_errors_and_mid_stream_failure(server: OpenAIServer) -> None:
    """Async calls raise RateLimitError for a 429 and APIConnectionError for a cut stream."""
    server.queue(Reply.error(429), Reply.text("a b c d e f", fail_after_chunks=2))

    async with async_client(server) as client:
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
        with pytest.raises(openai.APIConnectionError):
            async for _ in stream:
                pass


# -- legacy completions, images, speech ------------------------------------------------------------


def test_legacy_completion_echoes_the_prompt_with_usage(client: OpenAI, server: OpenAIServer) -> None:
    """The legacy completions endpoint answers with a text_completion and its usage, queued or by default."""
    server.queue(Reply.text("Hello.", usage=Usage(prompt_tokens=7, completion_tokens=2)))
    queued = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hello")
    default = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hello")

    assert queued.object == "text_completion" and queued.choices[0].text == "Hello."
    assert queued.usage is not None and (queued.usage.prompt_tokens, queued.usage.completion_tokens) == (7, 2)
    assert default.choices[0].text == "ok: Say hello"


def test_legacy_completion_stream_ends_with_usage_chunk(client: OpenAI, server: OpenAIServer) -> None:
    """A streamed legacy completion sends the text in chunks and, asked for it, a last chunk with usage."""
    server.queue(Reply.text("one two", usage=Usage(prompt_tokens=3, completion_tokens=2)))
    chunks = list(client.completions.create(model="gpt-3.5-turbo-instruct", prompt="count", stream=True,
                                            stream_options={"include_usage": True}))

    assert "".join(c.choices[0].text for c in chunks if c.choices) == "one two"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 5


def test_image_generation_reports_usage_only_when_given(client: OpenAI, server: OpenAIServer) -> None:
    """images.generate gets one image; usage as GPT Image models report it when the reply has it."""
    server.queue(Reply.image(usage=Usage(prompt_tokens=10, completion_tokens=40)))
    with_usage = client.images.generate(model="gpt-image-1", prompt="a cat")
    without = client.images.generate(prompt="a cat")

    assert with_usage.data and with_usage.data[0].b64_json
    assert with_usage.usage is not None and with_usage.usage.total_tokens == 50
    assert without.usage is None


def test_speech_answers_with_audio_bytes(client: OpenAI, server: OpenAIServer) -> None:
    """audio.speech.create gets bytes back: the queued ones, else placeholder bytes naming the input."""
    server.queue(Reply.speech("RIFF-audio"))
    assert client.audio.speech.create(model="tts-1", voice="alloy", input="hi").read() == b"RIFF-audio"
    assert client.audio.speech.create(model="tts-1", voice="alloy", input="hi").read() == b"ID3fake-audio:hi"


def test_image_edit_reads_the_form_and_answers_with_an_image(client: OpenAI, server: OpenAIServer) -> None:
    """images.edit sends multipart/form-data: its fields are recorded (files by name and size) and it gets an image."""
    server.queue(Reply.image(usage=Usage(prompt_tokens=10, completion_tokens=20)))
    edited = client.images.edit(model="gpt-image-1", image=("cat.png", b"\x89PNG-cat"), prompt="add a hat")
    assert edited.data and edited.data[0].b64_json and edited.usage and edited.usage.output_tokens == 20
    (request,) = server.requests
    assert request.path == "/v1/images/edits"
    assert request.model == "gpt-image-1" and request.json["prompt"] == "add a hat"
    assert request.json["image"] == {"filename": "cat.png", "size": 8}


def test_transcription_answers_with_text_and_usage(client: OpenAI, server: OpenAIServer) -> None:
    """audio.transcriptions.create gets the queued text, with token usage when the reply has it (as
    gpt-4o-transcribe reports it) and a duration otherwise (as whisper-1 does)."""
    server.queue(Reply.text("hello there", usage=Usage(prompt_tokens=30, completion_tokens=4)), Reply.text("hi"))
    tokens = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.mp3", b"ID3"))
    seconds = client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", b"ID3"))
    assert tokens.text == "hello there" and tokens.usage is not None and tokens.usage.type == "tokens"
    assert (tokens.usage.input_tokens, tokens.usage.output_tokens) == (30, 4)
    assert seconds.text == "hi" and seconds.usage is not None and seconds.usage.type == "duration"
    assert client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", b"ID3"), response_format="text") \
        .startswith("ok")


def test_batch_submit_answers_with_the_batch_validating(client: OpenAI, server: OpenAIServer) -> None:
    """batches.create gets a batch still validating its input file (no request counted yet), or a queued error."""
    batch = client.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h")
    assert batch.id.startswith("batch_") and batch.status == "validating"
    assert (batch.endpoint, batch.input_file_id, batch.completion_window) == ("/v1/chat/completions", "file-abc", "24h")
    assert batch.request_counts is not None and batch.request_counts.total == 0
    server.queue(Reply.error(400))
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id="file-abc", endpoint="/v1/embeddings", completion_window="24h")
    assert [r.path for r in server.requests] == ["/v1/batches"] * 2
