"""Our anthropic spans replace the SDK's own ``anthropic.messages.create`` spans: each call counted once.

anthropic 2.x emits a CLIENT span of its own per call (scope ``com.anthropic.sdk.python``). The test
suite's global provider receives those too, so without the replacement every call below would be two
LLM spans and a session would count it twice, once at $0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from anthropic import Anthropic, AsyncAnthropic
from anthropic.types import MessageParam
from openai_helpers import SECRET_KEY, attrs, llm_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import AnthropicServer, Reply, Usage

MODEL = "claude-haiku-4-5"  # priced: $1 in, $5 out, $0.10 cache read, $1.25 / $2 5m / 1h write per MTok

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]


def _create(c: Anthropic) -> None:
    c.messages.create(model=MODEL, max_tokens=64, messages=USER)


def _stream(c: Anthropic) -> None:
    for _ in c.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True):
        pass


def _helper(c: Anthropic) -> None:
    with c.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        stream.until_done()


def _raw(c: Anthropic) -> None:
    c.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=USER).parse()


def _beta(c: Anthropic) -> None:
    c.beta.messages.create(model=MODEL, max_tokens=64, messages=USER)


CALLS: dict[str, Callable[[Anthropic], None]] = {
    "create": _create, "stream": _stream, "helper": _helper, "raw": _raw, "beta": _beta}
SDK_OPTIONS: dict[str, Any] = {
    "sdk_spans_on": None,
    "sdk_spans_off": False,
    "sdk_content_mode": {"traces": {"content_mode": "content"}},
}


@pytest.mark.parametrize("sdk", list(SDK_OPTIONS))
@pytest.mark.parametrize("shape", list(CALLS))
def test_each_call_is_one_priced_llm_call_in_the_session(server: AnthropicServer, span_exporter: InMemorySpanExporter,
                                                         shape: str, sdk: str) -> None:
    """Whatever the SDK's own tracing option, a session counts each call once, priced, with content."""
    server.queue(Reply.text("hello", usage=Usage(100, 10)))
    with Anthropic(base_url=server.base_url, api_key=SECRET_KEY, max_retries=0,
                   open_telemetry=SDK_OPTIONS[sdk]) as c, agentops.session("coexist") as s:
        CALLS[shape](c)

    spans = llm_spans(span_exporter)
    assert [sp.instrumentation_scope.name for sp in spans] == [semconv.INSTRUMENTATION_SCOPE]  # type: ignore[union-attr]
    a = attrs(spans[0])
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert semconv.GEN_AI_OUTPUT_MESSAGES in a
    assert "anthropic.message.stop_reason" not in a
    assert (s.llm_calls, s.input_tokens, s.output_tokens) == (1, 100, 10)
    assert s.cost == pytest.approx((100 * 1 + 10 * 5) / 1e6) and s.cost_complete is True


async def test_async_calls_are_counted_once(aclient: AsyncAnthropic, server: AnthropicServer,
                                            span_exporter: InMemorySpanExporter) -> None:
    """Async create and the async stream helper replace the SDK's spans too."""
    with agentops.session("coexist-async") as s:
        await aclient.messages.create(model=MODEL, max_tokens=64, messages=USER)
        async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
            await stream.until_done()

    assert [sp.name for sp in llm_spans(span_exporter)] == [f"chat {MODEL}"] * 2
    assert s.llm_calls == 2 and s.cost_complete is True


def test_calls_we_do_not_trace_keep_the_sdks_span(client: Anthropic, span_exporter: InMemorySpanExporter) -> None:
    """count_tokens is not a model call of ours: the SDK's own span for it is left alone."""
    client.messages.count_tokens(model=MODEL, messages=USER)

    names = [s.name for s in span_exporter.get_finished_spans()]
    assert names == ["anthropic.messages.count_tokens"]


def test_kill_switch_gives_the_sdk_its_span_back(client: Anthropic, span_exporter: InMemorySpanExporter,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With AGENTOPS_OTEL_DISABLED our wrappers pass through and the SDK's span is not suppressed."""
    monkeypatch.setenv(semconv.ENV_DISABLED, "1")
    client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    assert [s.name for s in llm_spans(span_exporter)] == ["anthropic.messages.create"]
