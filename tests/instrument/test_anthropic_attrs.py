"""Pure anthropic attribute extraction: finish reasons, usage in the convention's terms, stream folding."""

from __future__ import annotations

from anthropic.types import RawMessageDeltaEvent, RawMessageStartEvent

from agentops_otel.instrument import _anthropic_attrs as attrs


def test_stop_reasons_map_to_convention_finish_reasons() -> None:
    """end_turn/stop_sequence → stop, max_tokens → length, tool_use → tool_call; unknown ones pass through."""
    got = [attrs.finish_reason(r) for r in ("end_turn", "stop_sequence", "max_tokens", "tool_use", "refusal",
                                            "pause_turn", None)]
    assert got == ["stop", "stop", "length", "tool_call", "content_filter", "pause_turn", None]


def test_input_tokens_include_cache_reads_and_writes() -> None:
    """The convention's input tokens are Anthropic's input + cache reads + cache writes; the 1h share is kept."""
    usage = attrs.usage({"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 20,
                         "cache_creation_input_tokens": 30,
                         "cache_creation": {"ephemeral_5m_input_tokens": 25, "ephemeral_1h_input_tokens": 5}})
    assert usage is not None
    assert (usage.input, usage.output, usage.cache_read, usage.cache_write, usage.cache_write_1h) == (60, 5, 20, 30, 5)


def test_streamed_usage_is_assigned_not_added() -> None:
    """message_start and message_delta both carry running totals: the last value of each field wins."""
    acc = attrs.MessageAccumulator(with_content=False)
    acc.add(RawMessageStartEvent.model_validate({"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 40, "output_tokens": 1, "cache_read_input_tokens": 10}}}))
    acc.add(RawMessageDeltaEvent.model_validate({"type": "message_delta",
                                                 "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
                                                 "usage": {"output_tokens": 7, "input_tokens": 40}}))
    outcome = acc.outcome(1000)
    assert outcome.usage is not None
    assert (outcome.usage.input, outcome.usage.output, outcome.usage.cache_read) == (50, 7, 10)
    assert outcome.finish_reasons == ["length"] and outcome.response_id == "msg_1"
