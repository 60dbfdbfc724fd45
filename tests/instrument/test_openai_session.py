"""Inside a session, instrumented calls are children of the session and roll up into its totals."""

from __future__ import annotations

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import attrs, llm_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import OpenAIServer, Reply, Usage

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def test_calls_roll_up_into_the_session(client: OpenAI, server: OpenAIServer,
                                        span_exporter: InMemorySpanExporter) -> None:
    """Tokens and cost of a priced call and a usage-less stream reach the session; the stream makes it incomplete."""
    server.queue(Reply.text("a", usage=Usage(prompt_tokens=100, completion_tokens=10, cached_tokens=40)),
                 Reply.text("b c"))
    with agentops.session("support") as s:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            pass
    spans = llm_spans(span_exporter)
    assert len(spans) == 2
    assert {attrs(sp)[semconv.SESSION_ID] for sp in spans} == {s.id}
    assert s.llm_calls == 2
    root = attrs(next(sp for sp in span_exporter.get_finished_spans() if sp.name == "invoke_agent support"))
    assert root[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 100  # the known part: a test's bare read refuses it
    assert root[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 40
    assert float(s.cost) == pytest.approx((60 * 2.5 + 40 * 1.25 + 10 * 10) / 1e6)  # the known part
    assert s.cost_complete is False


def test_a_session_with_an_unpriced_call_shows_its_cost_as_a_lower_bound(client: OpenAI) -> None:
    """Printed, a session whose cost is incomplete says the figure is only what the priced calls cost."""
    with agentops.session("support") as s:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        client.chat.completions.create(model="acme-llm-9", messages=USER)
    assert float(s.cost) > 0 and not s.cost_complete
    assert f"cost>=${s.cost:.6f} (incomplete)" in repr(s)


def test_a_failed_model_call_reads_back_as_an_error_triggered_by_that_call(client: OpenAI, server: OpenAIServer
                                                                           ) -> None:
    """As AgentOps 0.3's LLM tracker recorded it, a failed call's error has the call's LLMEvent as its trigger."""
    import openai

    server.queue(Reply.error(500))
    with agentops.session("s") as s:
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    [error] = s.errors
    assert isinstance(error.trigger_event, agentops.LLMEvent) and error.trigger_event.model == "gpt-4o-mini"
    assert error.trigger_event == s.llm_events[0]
