"""The fake Anthropic server, exercised through the real anthropic client (sync and async)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx2
import pytest
from anthropic import Anthropic, AsyncAnthropic
from anthropic.types import MessageParam, ToolParam

from agentops_otel.testing import AnthropicServer, Reply, Request, Usage

USER: list[MessageParam] = [{"role": "user", "content": "Where is my invoice?"}]
TOOL: ToolParam = {
    "name": "fetch_customer_data",
    "description": "Look a customer up",
    "input_schema": {"type": "object", "properties": {"customer_id": {"type": "string"}}},
}
MODEL = "claude-haiku-4-5"


@pytest.fixture
def server() -> Iterator[AnthropicServer]:
    with AnthropicServer() as running:
        yield running


@pytest.fixture
def client(server: AnthropicServer) -> Iterator[Anthropic]:
    with Anthropic(base_url=server.base_url, api_key="test", max_retries=0) as sync_client:
        yield sync_client


def test_default_reply_echoes_last_user_message(client: Anthropic, server: AnthropicServer) -> None:
    """With nothing queued the answer is a deterministic echo of the last user turn, with usage."""
    message = client.messages.create(model=MODEL, max_tokens=100, messages=USER)

    assert message.id.startswith("msg_")
    assert message.model == MODEL
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "ok: Where is my invoice?"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert server.requests[0].path == "/v1/messages"


def test_usage_splits_the_prompt_into_uncached_cache_read_and_cache_writes(client: Anthropic,
                                                                           server: AnthropicServer) -> None:
    """Usage.prompt_tokens is the whole prompt; input_tokens on the wire is what the cache did not cover."""
    server.queue(Reply.text("hi", usage=Usage(100, 7, cached_tokens=30, cache_write_tokens=40,
                                              cache_write_1h_tokens=10)))

    usage = client.messages.create(model=MODEL, max_tokens=100, messages=USER).usage

    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (30, 30, 40)
    assert usage.cache_creation is not None
    assert (usage.cache_creation.ephemeral_5m_input_tokens, usage.cache_creation.ephemeral_1h_input_tokens) == (30, 10)
    assert usage.output_tokens == 7


def test_tool_use_reply_has_text_then_tool_use_blocks(client: Anthropic, server: AnthropicServer) -> None:
    """Reply.tool_calls becomes tool_use blocks after the text, with stop_reason tool_use."""
    server.queue(Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"}, "toolu_1"), text="Checking."))

    message = client.messages.create(model=MODEL, max_tokens=100, messages=USER, tools=[TOOL])

    assert message.stop_reason == "tool_use"
    text, call = message.content
    assert text.type == "text" and text.text == "Checking."
    assert call.type == "tool_use" and (call.id, call.name, call.input) == ("toolu_1", "fetch_customer_data",
                                                                           {"customer_id": "42"})


def test_tool_result_round_trip_is_recorded(client: Anthropic, server: AnthropicServer) -> None:
    """The second request carries the tool_result the agent sent back, and last_user_text skips ids."""
    server.queue(Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"})), Reply.text("billing"))
    first = client.messages.create(model=MODEL, max_tokens=100, messages=USER, tools=[TOOL])
    call = first.content[0]
    assert call.type == "tool_use"
    second = client.messages.create(model=MODEL, max_tokens=100, tools=[TOOL], messages=[
        *USER,
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "plan: pro"}]},
    ])

    assert second.content[0].text == "billing"  # type: ignore[union-attr]
    sent = server.requests[1]
    assert sent.messages[-1]["content"][0] == {"type": "tool_result", "tool_use_id": call.id, "content": "plan: pro"}
    assert sent.last_user_text == "plan: pro"


def test_thinking_comes_first_with_a_signature(client: Anthropic, server: AnthropicServer) -> None:
    """A reply with thinking starts with a thinking block, as extended thinking does."""
    server.queue(Reply.text("42", thinking="Let me add it up."))

    message = client.messages.create(model=MODEL, max_tokens=2000, messages=USER,
                                     thinking={"type": "enabled", "budget_tokens": 1024})

    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.thinking == "Let me add it up." and thinking.signature
    assert text.type == "text" and text.text == "42"


def test_raw_stream_events_in_api_order(client: Anthropic, server: AnthropicServer) -> None:
    """stream=True yields message_start, block start/delta/stop, message_delta and message_stop."""
    server.queue(Reply.tool_calls(("lookup", {"q": "invoice"}), text="One moment", usage=Usage(50, 9)))

    events = list(client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True))

    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 2
    delta = events[-2]
    assert delta.type == "message_delta"
    assert delta.delta.stop_reason == "tool_use" and delta.usage.output_tokens == 9
    start = events[0]
    assert start.type == "message_start" and start.message.usage.input_tokens == 50
    partial = "".join(e.delta.partial_json for e in events
                      if e.type == "content_block_delta" and e.delta.type == "input_json_delta")
    assert json.loads(partial) == {"q": "invoice"}


def test_stream_helper_assembles_the_final_message(client: Anthropic, server: AnthropicServer) -> None:
    """messages.stream() rebuilds thinking, text and tool input from the deltas."""
    server.queue(Reply.tool_calls(("lookup", {"q": "invoice"}), text="One moment", thinking="plan it"))

    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert text == "One moment"
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use"]
    assert final.content[2].input == {"q": "invoice"}  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use"


async def test_async_stream_helper(server: AnthropicServer) -> None:
    """The async client's stream helper (a plain function returning an async context manager) works too."""
    server.queue(Reply.text("streamed answer", usage=Usage(12, 3)))
    async with AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0) as client:
        async with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
            final = await stream.get_final_message()

    assert final.content[0].text == "streamed answer"  # type: ignore[union-attr]
    assert final.usage.output_tokens == 3


@pytest.mark.parametrize(("status", "error"), [
    (400, anthropic.BadRequestError),
    (401, anthropic.AuthenticationError),
    (429, anthropic.RateLimitError),
    (500, anthropic.InternalServerError),
    (529, anthropic.OverloadedError),
])
def test_errors_raise_the_sdks_exception(client: Anthropic, server: AnthropicServer, status: int,
                                         error: type[anthropic.APIStatusError]) -> None:
    """An error reply has Anthropic's error envelope, so the SDK raises its own class for the status."""
    server.queue(Reply.error(status))

    with pytest.raises(error) as caught:
        client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error" and body["error"]["type"]


def test_an_error_the_server_says_not_to_retry_is_raised_at_once(server: AnthropicServer) -> None:
    """Reply.error(retry=False) sends x-should-retry: false, so a client with retries raises on the first answer."""
    server.queue(Reply.error(529, retry=False), Reply.text("a retry would get this"))

    with Anthropic(base_url=server.base_url, api_key="test", max_retries=2) as retrying, \
            pytest.raises(anthropic.OverloadedError):
        retrying.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert len(server.requests) == 1


def test_error_type_and_message_can_be_scripted(client: Anthropic, server: AnthropicServer) -> None:
    """A scripted error type and message reach the client unchanged."""
    server.queue(Reply.error(400, "prompt is too long", type="invalid_request_error"))

    with pytest.raises(anthropic.BadRequestError, match="prompt is too long"):
        client.messages.create(model=MODEL, max_tokens=100, messages=USER)


def test_mid_stream_failure_raises_after_the_events_sent(client: Anthropic, server: AnthropicServer) -> None:
    """fail_after_chunks cuts the event stream, and the client raises after seeing those events."""
    server.queue(Reply.text("one two three", fail_after_chunks=3))

    seen: list[str] = []
    # anthropic < 2.17 lets the transport's error through; later versions wrap it in APIConnectionError
    with pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)):
        for event in client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True):
            seen.append(event.type)
    assert seen == ["message_start", "content_block_start"]  # the third frame is a ping, which the SDK skips


def test_an_error_after_chunks_arrives_as_an_error_event_inside_the_stream(client: Anthropic,
                                                                          server: AnthropicServer) -> None:
    """Reply.error(after_chunks=N) sends N events of an HTTP 200 stream, then Anthropic's error event."""
    server.queue(Reply.error(529, after_chunks=3))

    seen: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        for event in client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True):
            seen.append(event.type)
    assert seen == ["message_start", "content_block_start"]
    body = caught.value.body
    assert caught.value.status_code == 200 and isinstance(body, dict)
    assert body["error"] == {"type": "overloaded_error", "message": "Overloaded"}


def test_responder_branches_on_the_request(client: Anthropic, server: AnthropicServer) -> None:
    """The responder sees the system prompt and model; the same Reply vocabulary as OpenAIServer."""

    def respond(request: Request) -> Reply:
        return Reply.text(f"{request.model}: {request.json['system']}")

    server.set_responder(respond)
    message = client.messages.create(model=MODEL, max_tokens=100, system="be brief", messages=USER)

    assert message.content[0].text == f"{MODEL}: be brief"  # type: ignore[union-attr]


def test_beta_messages_and_count_tokens(client: Anthropic, server: AnthropicServer) -> None:
    """The beta surface posts to the same endpoint; count_tokens answers with the prompt estimate."""
    server.queue(Reply.text("beta ok"))

    beta = client.beta.messages.create(model=MODEL, max_tokens=100, messages=USER)
    counted = client.messages.count_tokens(model=MODEL, messages=USER)

    assert beta.content[0].text == "beta ok"  # type: ignore[union-attr]
    assert counted.input_tokens > 0


def test_unknown_path_is_an_anthropic_404(client: Anthropic) -> None:
    """A path the server does not serve answers 404 in Anthropic's error envelope."""
    with pytest.raises(anthropic.NotFoundError):
        client.get("/v1/nowhere", cast_to=object)


def test_batch_submit_answers_with_the_batch_created(client: Anthropic, server: AnthropicServer) -> None:
    """messages.batches.create (plain and beta) gets a message_batch with every request still processing."""
    requests = [{"custom_id": f"r{i}", "params": {"model": MODEL, "max_tokens": 10, "messages": USER}}
                for i in range(3)]
    batch = client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
    beta = client.beta.messages.batches.create(requests=requests[:1])  # type: ignore[arg-type]

    assert batch.id.startswith("msgbatch_") and batch.type == "message_batch"
    assert batch.processing_status == "in_progress" and batch.results_url is None
    assert batch.request_counts.processing == 3 and batch.request_counts.succeeded == 0
    assert batch.expires_at > batch.created_at
    assert beta.request_counts.processing == 1
    assert [r.path for r in server.requests] == ["/v1/messages/batches"] * 2


def test_batch_submit_can_be_refused(client: Anthropic, server: AnthropicServer) -> None:
    """A queued error refuses the batch submit with the SDK's exception."""
    server.queue(Reply.error(400))
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.create(requests=[])
