"""Assertions over tools another instrumentation traced inside a session (OpenLLMetry's ``@tool``,
OpenInference's TOOL spans): the call counts under the tool's own name, as one of ours does."""

from __future__ import annotations

import json

import pytest
from opentelemetry import trace

import agentops_otel as agentops
from agentops_otel.testing import AgentAssertionError, assert_tool_called, assert_tool_not_called


def _openllmetry_tool(name: str, kwargs: dict[str, object], result: object) -> None:
    """What traceloop-sdk's ``@tool`` records for one call (its span named ``{name}.tool``)."""
    with trace.get_tracer("traceloop.tracer").start_as_current_span(f"{name}.tool") as span:
        span.set_attribute("traceloop.span.kind", "tool")
        span.set_attribute("traceloop.entity.name", name)
        span.set_attribute("traceloop.entity.path", "")
        span.set_attribute("traceloop.entity.input", json.dumps({"args": [], "kwargs": kwargs}))
        span.set_attribute("traceloop.entity.output", json.dumps(result))


def test_tool_not_called_fails_when_openllmetry_traced_that_tool() -> None:
    """A tool traced by OpenLLMetry's @tool ran: asserting it was not called must fail, not pass."""
    with agentops.session("weather") as s:
        _openllmetry_tool("get_weather", {"city": "Paris"}, "sunny")

    with pytest.raises(AgentAssertionError, match="expected 'get_weather' not to be called, but it was called once"):
        assert_tool_not_called(s, "get_weather")
    assert_tool_called(s, "get_weather", times=1)


def _openinference_tool(name: str, arguments: dict[str, object], result: str) -> None:
    """What OpenInference records for one tool call: its arguments and result as input.value / output.value."""
    with trace.get_tracer("openinference.instrumentation.langchain").start_as_current_span(name) as span:
        span.set_attribute("openinference.span.kind", "TOOL")
        span.set_attribute("tool.name", name)
        span.set_attribute("input.value", json.dumps(arguments))
        span.set_attribute("input.mime_type", "application/json")
        span.set_attribute("output.value", result)


def test_with_args_judges_the_arguments_openinference_recorded() -> None:
    """OpenInference records a tool's arguments in input.value: with_args matches them, and a wrong
    expectation fails listing them, instead of refusing as if content capture were off."""
    with agentops.session("lookup") as s:
        _openinference_tool("lookup_invoices", {"customer_id": "4417"}, "[]")

    assert_tool_called(s, "lookup_invoices", with_args={"customer_id": "4417"})
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_tool_called(s, "lookup_invoices", with_args={"customer_id": "9"})
    assert '  - {"customer_id": "4417"}' in str(excinfo.value)
    assert "content capture" not in str(excinfo.value)


def test_with_args_judges_an_openllmetry_tools_keyword_arguments_by_name() -> None:
    """OpenLLMetry records a call as {"args": [], "kwargs": {...}}: with_args names the arguments as the
    tool's signature does (a predicate sees them so too), and a wrong one still fails."""
    with agentops.session("weather") as s:
        _openllmetry_tool("get_weather", {"city": "Paris"}, "sunny")

    assert_tool_called(s, "get_weather", with_args={"city": "Paris"})
    assert_tool_called(s, "get_weather", with_args=lambda args: args["city"] == "Paris")
    with pytest.raises(AgentAssertionError):
        assert_tool_called(s, "get_weather", with_args={"city": "Rome"})
