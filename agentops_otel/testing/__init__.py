"""Tools for testing agents: scriptable OpenAI / Anthropic servers, behavioural assertions, variation runs."""

from __future__ import annotations

from ._anthropic_server import AnthropicServer
from ._assertions import (
    AgentAssertionError,
    IncompleteCostWarning,
    assert_called_before,
    assert_called_in_order,
    assert_cost_below,
    assert_ended_with,
    assert_error_in_step,
    assert_llm_calls_at_most,
    assert_no_errors,
    assert_tokens_below,
    assert_tool_called,
    assert_tool_not_called,
    replay_text,
    sessions_in,
)
from ._openai_server import OpenAIServer, Reply, Request, Usage
from ._variations import VariantResult, VariationReport, run_variations

__all__ = [
    "AgentAssertionError",
    "AnthropicServer",
    "IncompleteCostWarning",
    "OpenAIServer",
    "Reply",
    "Request",
    "Usage",
    "VariantResult",
    "VariationReport",
    "assert_called_before",
    "assert_called_in_order",
    "assert_cost_below",
    "assert_ended_with",
    "assert_error_in_step",
    "assert_llm_calls_at_most",
    "assert_no_errors",
    "assert_tokens_below",
    "assert_tool_called",
    "assert_tool_not_called",
    "replay_text",
    "run_variations",
    "sessions_in",
]
