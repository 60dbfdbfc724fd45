"""What an OpenAI call is billed for beyond its text tokens, and whose price wins, checked against genai-prices.

The real ``openai`` client talks to a local endpoint answering with the payload shapes the API sends
(``canned``); the expected USD comes from ``genai_prices.calc_price``, the reference the docs name.
"""

from __future__ import annotations

from typing import Any

import pytest
from genai_prices import Usage, calc_price
from openai import OpenAI
from openai_helpers import SECRET_KEY, Canned, attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel import semconv


def _reference(model: str, **usage: int) -> float:
    return float(calc_price(Usage(**usage), model, provider_id="openai").total_price)


def _completion(model: str, usage: dict[str, Any], **message: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "hi", **message}}],
            "usage": usage}


def _chat(canned: Canned, model: str, **kwargs: Any) -> None:
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}], **kwargs)


AUDIO_USAGE = {"prompt_tokens": 10_000, "completion_tokens": 3000, "total_tokens": 13_000,
               "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 8000},
               "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 2500}}


def test_price_registered_for_the_requested_model_beats_the_bundled_price_of_its_dated_name(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """register_price("gpt-4o") prices a call that the API answers as gpt-4o-2024-08-06."""
    agentops_otel.register_price("gpt-4o", input_per_mtok=100.0, output_per_mtok=400.0)
    canned.answer(_completion("gpt-4o-2024-08-06", {"prompt_tokens": 10_000, "completion_tokens": 1000,
                                                           "total_tokens": 11_000}))
    _chat(canned, "gpt-4o")
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(10_000 * 100e-6 + 1000 * 400e-6)


def test_price_registered_for_the_answering_model_beats_one_for_the_requested_model(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Both registered: the response's own model name is the more specific one."""
    agentops_otel.register_price("gpt-4o", input_per_mtok=100.0, output_per_mtok=400.0)
    agentops_otel.register_price("gpt-4o-2024-08-06", input_per_mtok=1.0, output_per_mtok=4.0)
    canned.answer(_completion("gpt-4o-2024-08-06", {"prompt_tokens": 10_000, "completion_tokens": 1000,
                                                           "total_tokens": 11_000}))
    _chat(canned, "gpt-4o")
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(10_000 * 1e-6 + 1000 * 4e-6)


def test_fine_tune_genai_prices_does_not_know_is_unpriced_not_its_base_price(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Fine-tuned inference is billed above the base rate: without a price of its own the cost is unknown."""
    model = "ft:gpt-4.1-2025-04-14:acme::B1x2"
    canned.answer(_completion(model, {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}))
    with agentops_otel.session("ft") as s:
        _chat(canned, model)
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_MODEL_UNPRICED
    assert not s.cost_complete


def test_audio_tokens_cost_the_audio_rates(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Prompt and completion audio tokens are charged at the model's audio rates, as genai-prices does."""
    canned.answer(_completion("gpt-audio-2025-08-28", AUDIO_USAGE))
    _chat(canned, "gpt-audio", modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"})
    expected = _reference("gpt-audio", input_tokens=10_000, output_tokens=3000, input_audio_tokens=8000,
                          output_audio_tokens=2500)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(expected)


def test_streamed_audio_tokens_cost_the_audio_rates(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """A stream's usage chunk is priced with its audio split too."""
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-audio-2025-08-28"}
    canned.answer([
        {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}, "finish_reason": None}]},
        {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**chunk, "choices": [], "usage": AUDIO_USAGE}])
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        for _ in client.chat.completions.create(model="gpt-audio", messages=[{"role": "user", "content": "x"}],
                                                stream=True, stream_options={"include_usage": True}):
            pass
    expected = _reference("gpt-audio", input_tokens=10_000, output_tokens=3000, input_audio_tokens=8000,
                          output_audio_tokens=2500)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(expected)


def test_audio_tokens_without_an_audio_rate_leave_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Audio on a model the table has no audio rate for is not priced as text: the cost says it is unknown."""
    canned.answer(_completion("gpt-4o-2024-08-06", AUDIO_USAGE))
    _chat(canned, "gpt-4o")
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED


def _response(output: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": "gpt-4o-2024-08-06",
            "output": output, "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "usage": {"input_tokens": 5000, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 500,
                      "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 5500}}


def test_responses_web_search_calls_are_priced(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Each ``web_search_call`` item of a Responses answer is billed per search, as genai-prices prices it."""
    searches = [{"type": "web_search_call", "id": f"ws_{i}", "status": "completed",
                 "action": {"type": "search", "query": "q"}} for i in range(3)]
    message = {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
               "content": [{"type": "output_text", "text": "found", "annotations": []}]}
    canned.answer(_response([*searches, message]))
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        client.responses.create(model="gpt-4o", input="search", tools=[{"type": "web_search"}])
    expected = _reference("gpt-4o", input_tokens=5000, output_tokens=500, web_searches=3)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(expected)


def test_responses_file_search_calls_are_priced(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Each ``file_search_call`` item is billed per call, as genai-prices prices storage searches."""
    searches = [{"type": "file_search_call", "id": f"fs_{i}", "status": "completed", "queries": ["q"]}
                for i in range(2)]
    canned.answer(_response(searches))
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        client.responses.create(model="gpt-4o", input="find",
                                tools=[{"type": "file_search", "vector_store_ids": ["v"]}])
    expected = _reference("gpt-4o", input_tokens=5000, output_tokens=500, storage_searches=2)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(expected)


@pytest.mark.parametrize("item", [
    {"type": "code_interpreter_call", "id": "ci_1", "status": "completed", "code": "1+1", "container_id": "cntr_1",
     "outputs": []},
    {"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": "aGk="},
    {"type": "shell_call", "id": "sh_1", "call_id": "c1", "status": "completed", "action": {"commands": ["ls"]}},
    {"type": "tool_search_call", "id": "ts_1", "status": "completed"},
    {"type": "a_hosted_tool_released_next_year_call", "id": "x_1", "status": "completed"},
])
def test_responses_hosted_tools_billed_beyond_tokens_leave_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter, item: dict[str, Any]) -> None:
    """A code interpreter container or a generated image is billed beside the tokens, at rates the table lacks,
    and an item we cannot vouch is billed as tokens alone (a hosted shell's container, a tool this code predates)
    may be too: the call is unpriced, not priced as its tokens alone."""
    canned.answer(_response([item]))
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        client.responses.create(model="gpt-4o", input="do it")
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED


@pytest.mark.parametrize("item", [
    {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "lookup", "arguments": "{}",
     "status": "completed"},
    {"type": "mcp_call", "id": "mcp_1", "name": "lookup", "arguments": "{}", "server_label": "docs"},
    {"type": "reasoning", "id": "rs_1", "summary": []},
])
def test_responses_items_billed_as_tokens_alone_keep_the_cost(
        canned: Canned, span_exporter: InMemorySpanExporter, item: dict[str, Any]) -> None:
    """A function call, a remote MCP call or reasoning is billed as the tokens it used: the call stays priced."""
    canned.answer(_response([item]))
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        client.responses.create(model="gpt-4o", input="do it")
    assert semconv.COST_USD in attrs(only_span(span_exporter))


@pytest.mark.parametrize("stream", [False, True])
def test_a_chat_search_model_call_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter, stream: bool) -> None:
    """A Chat Completions search model searches the web on every call, billed per call beside the tokens at a
    rate the table lacks: the call is unpriced, not priced as its tokens alone."""
    model = "gpt-4o-mini-search-preview-2025-03-11"
    usage = {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model}
    canned.answer([{**chunk, "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]},
                   {**chunk, "choices": [], "usage": usage}] if stream else _completion(model, usage))
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        answer = client.chat.completions.create(model="gpt-4o-mini-search-preview", web_search_options={},
                                                messages=[{"role": "user", "content": "news?"}], stream=stream,
                                                **({"stream_options": {"include_usage": True}} if stream else {}))
        for _ in answer if stream else ():
            pass
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED
