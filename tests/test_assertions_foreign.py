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
