"""Every billed openai endpoint is a model call: legacy completions are priced like chat, and images and
audio, which we do not price, make cost and token bounds refuse instead of passing on $0."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from openai import AsyncOpenAI, OpenAI
from openai_helpers import attrs, content, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel import Session, semconv
from agentops_otel.testing import (
    AgentAssertionError,
    OpenAIServer,
    Reply,
    Usage,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_tokens_below,
)

INSTRUCT = "gpt-3.5-turbo-instruct"
BOUNDS: dict[str, Callable[[Session], None]] = {
    "calls": lambda s: assert_llm_calls_at_most(s, 0),
    "tokens": lambda s: assert_tokens_below(s, 10),
    "cost": lambda s: assert_cost_below(s, 1e-6),
}


def test_legacy_completion_span_carries_tokens_and_cost(client: OpenAI, server: OpenAIServer,
                                                        span_exporter: InMemorySpanExporter) -> None:
    """completions.create is a text_completion span with its parameters, usage, cost, prompt and answer."""
    server.queue(Reply.text("Hi there.", usage=Usage(prompt_tokens=1_000_000, completion_tokens=500_000)))
    client.completions.create(model=INSTRUCT, prompt="Say hi", max_tokens=20, temperature=0.2)
    span = only_span(span_exporter)
    a = attrs(span)
    assert span.name == f"text_completion {INSTRUCT}"
    assert a[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_TEXT_COMPLETION
    assert a[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 20 and a[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.2
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (1_000_000, 500_000)
    assert a[semconv.COST_USD] == pytest.approx(1.5 + 1.0)
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert content(span, semconv.GEN_AI_INPUT_MESSAGES) == [
        {"role": "user", "parts": [{"type": "text", "content": "Say hi"}]}]
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hi there."}], "finish_reason": "stop"}]


def test_streamed_legacy_completion_is_priced_at_its_end(client: OpenAI, server: OpenAIServer,
                                                        span_exporter: InMemorySpanExporter) -> None:
    """A streamed legacy completion asked for usage gets its tokens, cost and text when the stream ends."""
    server.queue(Reply.text("one two", usage=Usage(prompt_tokens=1000, completion_tokens=2)))
    for _ in client.completions.create(model=INSTRUCT, prompt="count", stream=True,
                                       stream_options={"include_usage": True}):
        pass
    span = only_span(span_exporter)
    a = attrs(span)
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True
    assert a[semconv.COST_USD] == pytest.approx((1000 * 1.5 + 2 * 2.0) / 1e6)
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "one two"}]


async def test_async_legacy_completion_is_recorded(aclient: AsyncOpenAI, server: OpenAIServer,
                                                   span_exporter: InMemorySpanExporter) -> None:
    """AsyncCompletions.create is instrumented too."""
    server.queue(Reply.text("ok", usage=Usage(prompt_tokens=3, completion_tokens=1)))
    await aclient.completions.create(model=INSTRUCT, prompt="q")
    assert attrs(only_span(span_exporter))[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 3


@pytest.mark.parametrize("bound", sorted(BOUNDS))
def test_budget_bounds_fail_on_a_legacy_completion(client: OpenAI, server: OpenAIServer, bound: str) -> None:
    """A legacy completion of 1.5M tokens breaks a zero-call, ten-token and $0.000001 bound."""
    server.queue(Reply.text("hi", usage=Usage(prompt_tokens=1_000_000, completion_tokens=500_000)))
    with agentops_otel.session("legacy") as s:
        client.completions.create(model=INSTRUCT, prompt="hello")
    with pytest.raises(AgentAssertionError):
        BOUNDS[bound](s)


def test_image_generation_is_a_call_with_tokens_and_no_price(client: OpenAI, server: OpenAIServer,
                                                             span_exporter: InMemorySpanExporter) -> None:
    """images.generate is a model call with the tokens it reports, and a cost unknown for a named reason."""
    server.queue(Reply.image(usage=Usage(prompt_tokens=100_000, completion_tokens=400_000)))
    client.images.generate(model="gpt-image-1", prompt="a cat")
    a = attrs(only_span(span_exporter))
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (100_000, 400_000)
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_ENDPOINT_UNPRICED


@pytest.mark.parametrize("bound", sorted(BOUNDS))
def test_budget_bounds_fail_on_an_image_generation(client: OpenAI, server: OpenAIServer, bound: str) -> None:
    """An images.generate call breaks a zero-call or ten-token bound, and a cost bound refuses it unpriced."""
    server.queue(Reply.image(usage=Usage(prompt_tokens=100_000, completion_tokens=400_000)))
    with agentops_otel.session("images") as s:
        client.images.generate(model="gpt-image-1", prompt="a cat")
    with pytest.raises(AgentAssertionError) as info:
        BOUNDS[bound](s)
    if bound == "cost":
        assert "cost is incomplete" in str(info.value) and "not priced" in str(info.value)


def test_speech_without_usage_makes_token_and_cost_bounds_refuse(client: OpenAI, server: OpenAIServer) -> None:
    """audio.speech reports no usage: it counts as a call, and token and cost bounds refuse to read it as 0."""
    with agentops_otel.session("speech") as s:
        client.audio.speech.create(model="tts-1", voice="alloy", input="hello " * 50).read()
    assert s.llm_calls == 1 and not s.cost_complete
    with pytest.raises(AgentAssertionError, match="token count is incomplete"):
        assert_tokens_below(s, 10)
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 1.0)


async def test_async_image_generation_is_counted(aclient: AsyncOpenAI, server: OpenAIServer,
                                                 span_exporter: InMemorySpanExporter) -> None:
    """AsyncImages.generate is a model call too, its cost unknown for the same reason."""
    await aclient.images.generate(prompt="a dog")
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_GENERATE_CONTENT
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_ENDPOINT_UNPRICED and a[semconv.USAGE_MISSING] is True


@pytest.mark.slow  # a child interpreter
def test_init_does_not_import_the_retired_assistants_api(tmp_path: Path) -> None:
    """Patching the billed endpoints imports only their modules: the Assistants API's SDK modules (half a
    second of imports, an API OpenAI has retired) are left unloaded."""
    code = ("import sys, agentops_otel; agentops_otel.init(); "
            "from agentops_otel.instrument.openai import is_instrumented; assert is_instrumented(); "
            "print(sorted(m for m in sys.modules if m.startswith('openai.resources.beta.threads')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={**os.environ, "AGENTOPS_OTEL_FILE": "t.jsonl"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_image_edit_is_a_call_with_tokens_and_no_price(client: OpenAI, server: OpenAIServer,
                                                       span_exporter: InMemorySpanExporter) -> None:
    """images.edit (a form upload) is a model call with the tokens it reports and a cost unknown; the user
    gets the SDK's own response."""
    server.queue(Reply.image(usage=Usage(prompt_tokens=1_000, completion_tokens=4_000)))
    edited = client.images.edit(model="gpt-image-1", image=("cat.png", b"\x89PNG-cat"), prompt="add a hat")
    assert edited.usage is not None and edited.usage.output_tokens == 4_000
    span = only_span(span_exporter)
    a = attrs(span)
    assert span.name == "generate_content gpt-image-1"
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (1_000, 4_000)
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_ENDPOINT_UNPRICED and semconv.COST_USD not in a


def test_token_billed_transcription_counts_its_tokens(client: OpenAI, server: OpenAIServer) -> None:
    """A gpt-4o-transcribe transcription's tokens count against a token bound; its cost is unknown."""
    server.queue(Reply.text("hello there", usage=Usage(prompt_tokens=300, completion_tokens=4)))
    with agentops_otel.session("transcribe") as s:
        text = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.mp3", b"ID3")).text
    assert text == "hello there"
    assert (s.llm_calls, s.input_tokens, s.output_tokens) == (1, 300, 4)
    with pytest.raises(AgentAssertionError, match="used 304"):
        assert_tokens_below(s, 100)
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 1.0)


def test_duration_billed_transcription_makes_token_bounds_refuse(client: OpenAI, server: OpenAIServer) -> None:
    """A whisper-1 transcription reports seconds, not tokens: a token bound refuses rather than read it as 0."""
    with agentops_otel.session("whisper") as s:
        client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", b"ID3"))
    assert s.llm_calls == 1
    with pytest.raises(AgentAssertionError, match="token count is incomplete"):
        assert_tokens_below(s, 10)
