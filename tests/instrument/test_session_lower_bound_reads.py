"""A test's own read of a session's model-call count or token total fails where that figure is only a lower bound,
as ``assert_llm_calls_at_most`` and ``assert_tokens_below`` do: a batch of unknown size counted as one call, a call
that reported no usage, a stream still open when the session ended. A figure that is whole reads as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import SECRET_KEY
from payload_server import PayloadServer

import agentops_otel as agentops
from agentops_otel.testing import NotJudgeable, OpenAIServer, Reply

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")
INPUT_SIDE = ("input_tokens", "cache_read_tokens", "cache_write_tokens")
OUTPUT_SIDE = ("output_tokens", "reasoning_tokens")


@pytest.fixture
def gw_client(gateway: PayloadServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=gateway.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        yield client


def _completion(usage: dict[str, Any]) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": usage}


def test_the_call_count_of_a_batch_of_unknown_size_fails_the_tests_read(client: OpenAI) -> None:
    """``assert s.llm_calls <= 3`` after submitting a batch whose requests are not counted yet fails, naming it."""
    with agentops.session("batch") as s:
        client.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h")
    with pytest.raises(NotJudgeable, match=r"^session\.llm_calls cannot be judged: .*number of requests is unknown"):
        assert s.llm_calls <= 3


@pytest.mark.parametrize("name", TOKENS)
def test_the_token_totals_of_a_stream_without_usage_fail_the_tests_read(client: OpenAI, name: str) -> None:
    """A stream read to its end without include_usage has unknown tokens: each total, read by the test, fails
    naming the call; its call count reads."""
    with agentops.session("stream") as s:
        for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            pass
    assert s.llm_calls == 1
    with pytest.raises(NotJudgeable, match=rf"^session\.{name} cannot be judged: .*chat gpt-4o: stream without usage"):
        getattr(s, name)


@pytest.mark.parametrize("name", TOKENS)
def test_the_token_totals_with_a_stream_open_at_the_end_fail_the_tests_read(client: OpenAI, name: str) -> None:
    """A stream still open when the session ended brings its usage later: each total fails; the call count reads."""
    with agentops.session("abandons-a-stream") as s:
        stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                                stream_options={"include_usage": True})
        next(iter(stream))
    assert s.llm_calls == 1
    with pytest.raises(NotJudgeable, match=rf"^session\.{name} cannot be judged: .*still open when the session ended"):
        getattr(s, name)
    stream.close()


def test_only_the_totals_a_partial_usage_leaves_unknown_fail(gateway: PayloadServer, gw_client: OpenAI) -> None:
    """Usage with the prompt count and no completion count: the input side reads, the output side fails."""
    gateway.json(_completion({"prompt_tokens": 20}))
    with agentops.session("gateway-agent") as s:
        gw_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert (s.input_tokens, s.cache_read_tokens, s.cache_write_tokens, s.llm_calls) == (20, 0, 0, 1)
    for name in OUTPUT_SIDE:
        with pytest.raises(NotJudgeable, match=rf"^session\.{name} cannot be judged: .*chat gpt-4o"):
            getattr(s, name)


def test_whole_counts_of_priced_unpriced_and_embeddings_calls_read(client: OpenAI) -> None:
    """Calls that reported their usage (an unpriced model's too, an embeddings call without output tokens) give
    totals that read as they are, however many."""
    with agentops.session("whole") as s:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)
        client.chat.completions.create(model="acme-llm-9", messages=USER)  # no price: tokens still known
        for _ in range(3):
            client.embeddings.create(model="text-embedding-3-small", input="refund policy")
    assert s.llm_calls == 5
    assert s.input_tokens > 0 and s.output_tokens > 0
    assert s.cache_read_tokens == s.cache_write_tokens == s.reasoning_tokens == 0


def test_counts_whole_despite_calls_without_some_usage_read(client: OpenAI, server: OpenAIServer) -> None:
    """An unpriced embeddings call (no output count to report) and a call the API refused (no usage, none used)
    leave the totals whole: they read."""
    with agentops.session("whole") as s:
        client.embeddings.create(model="acme-embed-1", input="refund policy")
        server.queue(Reply.error(400))
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="gpt-4o", messages=USER)
    assert s.llm_calls == 2 and s.input_tokens > 0
    assert s.output_tokens == s.reasoning_tokens == s.cache_read_tokens == 0


def test_outside_a_running_test_lower_bounds_read_as_numbers(client: OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no pytest test running, a lower-bound count is a plain number."""
    with agentops.session("stream") as s:
        for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            pass
        client.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h")
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert (s.llm_calls, s.input_tokens, s.output_tokens) == (2, 0, 0)
