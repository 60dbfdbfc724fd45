"""Tools for testing agents: scriptable OpenAI / Anthropic servers, behavioural assertions, variation runs,
and deterministic replay of recorded sessions (cassettes, divergence, forks)."""

from __future__ import annotations

from ._answering import ReplayWarning
from ._anthropic_server import AnthropicServer
from ._assertions import (
    AgentAssertionError,
    assert_called_before,
    assert_called_in_order,
    assert_ended_with,
    assert_error_in_step,
    assert_no_errors,
    assert_tool_called,
    assert_tool_not_called,
    replay_text,
    sessions_in,
)
from ._budget import IncompleteCostWarning, assert_cost_below, assert_llm_calls_at_most, assert_tokens_below
from ._cassette import Cassette, CassetteError, LLMStep, ToolStep
from ._cassette import load as load_cassette
from ._divergence import DivergenceError
from ._from_trace import cassette_from_source, cassette_from_timeline
from ._openai_server import OpenAIServer, Reply, Request, Usage
from ._recorder import Recorder, record
from ._replayer import Fork, Replayer, replay
from ._variations import VariantResult, VariationReport, run_variations

__all__ = [
    "AgentAssertionError",
    "AnthropicServer",
    "Cassette",
    "CassetteError",
    "DivergenceError",
    "Fork",
    "IncompleteCostWarning",
    "LLMStep",
    "OpenAIServer",
    "Recorder",
    "ReplayWarning",
    "Replayer",
    "Reply",
    "Request",
    "ToolStep",
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
    "cassette_from_source",
    "cassette_from_timeline",
    "load_cassette",
    "record",
    "replay",
    "replay_text",
    "run_variations",
    "sessions_in",
]
