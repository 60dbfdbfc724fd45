"""Tools for testing agents: scriptable OpenAI / Anthropic servers, behavioural assertions, variation runs,
and deterministic replay of recorded sessions (cassettes, divergence, forks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import loader

if TYPE_CHECKING:
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
    )
    from ._budget import IncompleteCostWarning, assert_cost_below, assert_llm_calls_at_most, assert_tokens_below
    from ._cassette import Cassette, CassetteError, LLMStep, ToolStep
    from ._cassette import load as load_cassette
    from ._divergence import DivergenceError
    from ._from_trace import cassette_from_source, cassette_from_timeline
    from ._nested import sessions_in
    from ._openai_server import OpenAIServer, Reply, Request, Usage
    from ._partial import NotJudgeable
    from ._recorder import Recorder, record
    from ._replay_answers import RecordedToolError
    from ._replayer import Fork, Replayer, replay
    from ._variations import VariantResult, VariationReport, run_variations

_LAZY = {
    "AgentAssertionError": ("_assertions", "AgentAssertionError"),
    "AnthropicServer": ("_anthropic_server", "AnthropicServer"),
    "Cassette": ("_cassette", "Cassette"),
    "CassetteError": ("_cassette", "CassetteError"),
    "DivergenceError": ("_divergence", "DivergenceError"),
    "Fork": ("_replayer", "Fork"),
    "IncompleteCostWarning": ("_budget", "IncompleteCostWarning"),
    "LLMStep": ("_cassette", "LLMStep"),
    "NotJudgeable": ("_partial", "NotJudgeable"),
    "OpenAIServer": ("_openai_server", "OpenAIServer"),
    "RecordedToolError": ("_replay_answers", "RecordedToolError"),
    "Recorder": ("_recorder", "Recorder"),
    "ReplayWarning": ("_answering", "ReplayWarning"),
    "Replayer": ("_replayer", "Replayer"),
    "Reply": ("_openai_server", "Reply"),
    "Request": ("_openai_server", "Request"),
    "ToolStep": ("_cassette", "ToolStep"),
    "Usage": ("_openai_server", "Usage"),
    "VariantResult": ("_variations", "VariantResult"),
    "VariationReport": ("_variations", "VariationReport"),
    "assert_called_before": ("_assertions", "assert_called_before"),
    "assert_called_in_order": ("_assertions", "assert_called_in_order"),
    "assert_cost_below": ("_budget", "assert_cost_below"),
    "assert_ended_with": ("_assertions", "assert_ended_with"),
    "assert_error_in_step": ("_assertions", "assert_error_in_step"),
    "assert_llm_calls_at_most": ("_budget", "assert_llm_calls_at_most"),
    "assert_no_errors": ("_assertions", "assert_no_errors"),
    "assert_tokens_below": ("_budget", "assert_tokens_below"),
    "assert_tool_called": ("_assertions", "assert_tool_called"),
    "assert_tool_not_called": ("_assertions", "assert_tool_not_called"),
    "cassette_from_source": ("_from_trace", "cassette_from_source"),
    "cassette_from_timeline": ("_from_trace", "cassette_from_timeline"),
    "load_cassette": ("_cassette", "load"),
    "record": ("_recorder", "record"),
    "replay": ("_replayer", "replay"),
    "replay_text": ("_assertions", "replay_text"),
    "run_variations": ("_variations", "run_variations"),
    "sessions_in": ("_nested", "sessions_in"),
}
"""Each public name: (its module, its name there), imported on first use, so the pytest plugin's own
modules here (``_pytest_*``) load without the servers, readers and replay machinery."""


__all__ = [
    "AgentAssertionError",
    "AnthropicServer",
    "Cassette",
    "CassetteError",
    "DivergenceError",
    "Fork",
    "IncompleteCostWarning",
    "LLMStep",
    "NotJudgeable",
    "OpenAIServer",
    "RecordedToolError",
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

if not TYPE_CHECKING:  # to a type checker the names are the imports above: a misspelt one is an error
    __getattr__, __dir__ = loader(__name__, _LAZY, globals(), __all__)
