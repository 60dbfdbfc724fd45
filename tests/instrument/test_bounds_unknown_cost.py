"""Cost and token bounds never pass on missing data: an unpriced call fails them, by name, unless opted out.

The agent side is the real ``openai`` client against ``OpenAIServer``; the bounds are the public
assertions and the ``agentops-otel gate`` command reading what the default file sink would write.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
from openai import OpenAI, Stream
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel import Session
from agentops_otel._otlp_json import encode_batch
from agentops_otel.cli import main
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import (
    AgentAssertionError,
    IncompleteCostWarning,
    OpenAIServer,
    Reply,
    Usage,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_tokens_below,
)

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Where is my refund?"}]


def _unknown_model_session(client: OpenAI) -> Session:
    with agentops_otel.session("support-agent") as s:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        client.chat.completions.create(model="acme-llm-9", messages=USER)
    return s


def test_cost_bound_fails_on_an_unpriced_model(client: OpenAI) -> None:
    """An unknown model is not $0: the bound fails and names the call and why."""
    s = _unknown_model_session(client)
    with pytest.raises(AgentAssertionError) as info:
        assert_cost_below(s, 1.0)
    message = str(info.value)
    assert "cost is incomplete" in message
    assert "chat acme-llm-9 at 00:0" in message and "model without a known price" in message
    assert "allow_unpriced=True" in message


def test_cost_bound_fails_on_a_stream_without_usage(client: OpenAI) -> None:
    """A stream that carried no usage fails the bound, saying it was a stream without usage."""
    with agentops_otel.session("streamer") as s:
        for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            pass
    with pytest.raises(AgentAssertionError, match=r"chat gpt-4o at .*stream without usage"):
        assert_cost_below(s, 1.0)


def test_cost_bound_on_a_timeline_read_back(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """The same verdict on a session reassembled from exported spans (what a test reading Jaeger gets)."""
    s = _unknown_model_session(client)
    timeline = reassemble(records_from_spans(span_exporter.get_finished_spans())).timeline_for(s.id)
    with pytest.raises(AgentAssertionError, match="chat acme-llm-9"):
        assert_cost_below(timeline, 1.0)


def test_opting_out_passes_visibly(client: OpenAI) -> None:
    """``allow_unpriced=True`` lets the bound pass on the priced calls, with a warning naming the skipped ones."""
    s = _unknown_model_session(client)
    with pytest.warns(IncompleteCostWarning, match="allow_unpriced=True.*chat acme-llm-9"):
        assert_cost_below(s, 1.0, allow_unpriced=True)


def test_opted_out_failure_says_the_cost_is_a_lower_bound(client: OpenAI, server: OpenAIServer) -> None:
    """Over the bound with the opt-out: the message says unpriced calls were left out of the figure."""
    server.queue(Reply.text("ok", usage=Usage(prompt_tokens=100_000, completion_tokens=1_000)))
    s = _unknown_model_session(client)
    with pytest.raises(AgentAssertionError, match=r"at least \$0\.\d+ \(allow_unpriced=True left out 1 LLM call"):
        assert_cost_below(s, 0.01, allow_unpriced=True)


def test_token_bound_fails_when_usage_is_missing(client: OpenAI) -> None:
    """Tokens unknown are not zero tokens: the token bound fails naming the call without usage."""
    with agentops_otel.session("raw") as s:
        client.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER).parse()
    with pytest.raises(AgentAssertionError, match="token count is incomplete") as info:
        assert_tokens_below(s, 10_000)
    assert "chat gpt-4o at 00:0" in str(info.value) and "with_raw_response" in str(info.value)
    with pytest.warns(IncompleteCostWarning, match="allow_missing_usage=True"):
        assert_tokens_below(s, 10_000, allow_missing_usage=True)


def test_token_bound_holds_for_an_unpriced_model(client: OpenAI) -> None:
    """An unpriced model still reports its tokens: the token bound needs no opt-out."""
    s = _unknown_model_session(client)
    assert_tokens_below(s, 10_000)


def _gate(path: Path, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["gate", "--source", str(path), "--max-failure-rate", "1", "--max-cost-per-session", "1",
                 *extra], stdout=out, stderr=io.StringIO())
    return code, out.getvalue()


def test_gate_fails_sessions_with_unknown_cost(client: OpenAI, span_exporter: InMemorySpanExporter,
                                               tmp_path: Path) -> None:
    """``gate --max-cost-per-session`` fails a session whose cost is incomplete and names the call."""
    s = _unknown_model_session(client)
    path = tmp_path / "traces.jsonl"
    path.write_bytes(encode_batch(span_exporter.get_finished_spans()) + b"\n")
    code, out = _gate(path)
    assert code == 1
    assert f"{s.id}: chat acme-llm-9 at 00:0" in out and "model without a known price" in out
    assert "FAIL: 1 session with an incomplete cost" in out
    code, out = _gate(path, "--allow-unpriced")
    assert code == 0
    assert "--allow-unpriced: 1 session's cost is a lower bound" in out
    code, out = _gate(path, "--json")
    assert json.loads(out)["incomplete_cost"] == [s.id]


def test_a_stream_still_open_when_its_session_ends_is_not_a_free_call(client: OpenAI) -> None:
    """A stream the agent stopped reading (still referenced) is counted by its session, cost unknown."""
    with agentops_otel.session("abandons-a-stream") as s:
        stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                                stream_options={"include_usage": True})
        next(iter(stream))
    assert s.llm_calls == 1 and not s.cost_complete
    with pytest.raises(AgentAssertionError, match=r"chat gpt-4o: a stream still open when the session ended"):
        assert_cost_below(s, 1.0)
    with pytest.raises(AgentAssertionError):
        assert_llm_calls_at_most(s, 0)


def test_a_stream_a_session_returns_keeps_its_usage_when_read_later(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A handler returning the stream for its caller to read: the call's span still gets usage, cost, output."""

    @agentops_otel.session("handler")
    def handle() -> Stream[ChatCompletionChunk]:
        return client.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                              stream_options={"include_usage": True})

    text = "".join(c.choices[0].delta.content or "" for c in handle() if c.choices)
    (chat,) = [sp for sp in span_exporter.get_finished_spans() if sp.name == "chat gpt-4o"]
    attrs = chat.attributes or {}
    assert attrs.get(agentops_otel.semconv.GEN_AI_USAGE_OUTPUT_TOKENS) and agentops_otel.semconv.COST_USD in attrs
    assert text and text in str(attrs.get(agentops_otel.semconv.GEN_AI_OUTPUT_MESSAGES))


def _outlived_session(client: OpenAI, server: OpenAIServer) -> Session:
    """A $0.35 call in a carried thread, still waiting for its answer when the session ends."""
    server.queue(Reply.text("ok", usage=Usage(prompt_tokens=100_000, completion_tokens=10_000), delay=0.4))
    with agentops_otel.session("hands-off-work") as s:
        worker = threading.Thread(target=agentops_otel.carry_context(
            lambda: client.chat.completions.create(model="gpt-4o", messages=USER)))
        worker.start()
        time.sleep(0.1)
    worker.join()
    return s


def test_a_call_still_running_when_its_session_ends_leaves_the_cost_incomplete(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A call the session never saw end is not free: the session's cost, live and on its root, is incomplete."""
    s = _outlived_session(client, server)
    assert not s.cost_complete
    (root,) = [sp for sp in span_exporter.get_finished_spans() if sp.name == "invoke_agent hands-off-work"]
    assert (root.attributes or {})[agentops_otel.semconv.SESSION_COST_COMPLETE] is False


def test_gate_fails_a_session_whose_call_outlived_it(client: OpenAI, server: OpenAIServer,
                                                     span_exporter: InMemorySpanExporter, tmp_path: Path) -> None:
    """``gate --max-cost-per-session`` does not pass a session whose $0.35 call ended after it."""
    s = _outlived_session(client, server)
    path = tmp_path / "traces.jsonl"
    path.write_bytes(encode_batch(span_exporter.get_finished_spans()) + b"\n")
    code, out = _gate(path, "--max-cost-per-session", "0.01")
    assert code == 1, out
    assert f"{s.id}: 1 call in the trace the session's totals leave out" in out and "PASS" not in out
    code, out = _gate(path, "--max-cost-per-session", "0.01", "--allow-unpriced")
    assert code == 1, out  # the late call's $0.35 is known: at least that much, over the bound
    assert "cost more than $0.01" in out
