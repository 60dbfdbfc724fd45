"""The timeline model: content read from attributes on demand, helpers, and plain-data export."""

from __future__ import annotations

import json
from types import MappingProxyType

import msgspec
import pytest

from agentops_otel import semconv as sc
from agentops_otel.read import SpanEventRecord
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.timeline import SessionSummary, Step, StepError, Timeline


def _summary(**kw: object) -> SessionSummary:
    base: dict[str, object] = dict(
        session_id="s", name="n", tags=(), end_state="Success", end_reason=None, service_name=None,
        trace_ids=(), root_span_id=None, parent_session_id=None, start_ns=0, duration_s=1.0, cost_usd=0.0,
        cost_complete=True, input_tokens=0, output_tokens=0, llm_calls=0, tool_calls=0, actions=0, errors=0,
        failed_step=None, complete=True, issues=())
    base.update(kw)
    return SessionSummary(**base)  # type: ignore[arg-type]


def test_build_puts_content_where_readers_find_it() -> None:
    """Step.build stores input/output/model/cost/tokens under the kind's keys; properties read them."""
    tool = Step.build(kind="tool", name="search", input='{"q": 1}', output="[]")
    assert tool.attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS] == '{"q": 1}' and tool.span_name == "execute_tool search"
    assert (tool.input, tool.output, tool.model, tool.cost_usd) == ('{"q": 1}', "[]", None, None)
    llm = Step.build(kind="llm", name="gpt-4o", model="gpt-4o-2025", cost_usd=0.1, input_tokens=3, output_tokens=4,
                     input="[]")
    assert (llm.model, llm.cost_usd, llm.input_tokens, llm.output_tokens) == ("gpt-4o-2025", 0.1, 3, 4)
    assert llm.attributes[sc.GEN_AI_INPUT_MESSAGES] == "[]"
    action = Step.build(kind="action", name="click", input='{"x": 1}', output="ok")
    assert action.attributes[sc.ACTION_PARAMS] == '{"x": 1}' and action.output == "ok"


def test_error_from_exception_event_or_status() -> None:
    """A failed step's error comes from its last exception event, else error.type and status message."""
    ev = SpanEventRecord("exception", 1, MappingProxyType({"exception.type": "KeyError", "exception.message": "k",
                                                            "exception.stacktrace": "tb"}))
    step = msgspec.structs.replace(Step.build(kind="tool", name="t", status="error"), events=(ev,))
    assert step.error == StepError("KeyError", "k", "tb", step.span_id)
    bare = Step.build(kind="error", name="ValueError", attributes={sc.ERROR_TYPE: "ValueError",
                                                                  sc.ERROR_MESSAGE: "bad"})
    assert bare.error == StepError("ValueError", "bad", None, bare.span_id)
    handled = msgspec.structs.replace(Step.build(kind="tool", name="t", status="ok"), events=(ev,))
    assert handled.error is None  # recorded and handled: not a failure
    built = Step.build(kind="tool", name="t", error=StepError("E", "m", "s", "x"))
    assert built.status == "error" and built.error is not None and built.error.type == "E"


def test_non_string_content_becomes_json_text() -> None:
    """Content recorded as a non-string attribute is shown as JSON text."""
    step = Step.build(kind="tool", name="t", attributes={sc.GEN_AI_TOOL_CALL_ARGUMENTS: ("a", 1)})
    assert step.input == '["a",1]'


def test_foreign_agent_content_keys() -> None:
    """OpenInference and traceloop spans show their own input/output keys."""
    oi = Step.build(kind="agent", name="chain", attributes={"input.value": "in", "output.value": "out"})
    tl = Step.build(kind="other", name="task", attributes={"traceloop.entity.input": "i"})
    assert (oi.input, oi.output, tl.input) == ("in", "out", "i")


def test_content_of_lazy_attributes_is_decoded_on_access() -> None:
    """A step over undecoded attributes decodes them only when content is asked for."""
    raw = b'[{"key":"gen_ai.tool.call.arguments","value":{"stringValue":"{\\"a\\":1}"}}]'
    lazy = LazyAttributes(raw)
    step = msgspec.structs.replace(Step.build(kind="tool", name="t"), attributes=lazy)  # type: ignore[arg-type]
    assert lazy._decoded is None
    assert step.input == '{"a":1}' and lazy._decoded is not None


def test_timeline_helpers_and_builtins() -> None:
    """Filters by kind, names, and a JSON-ready rendering with the failing step expanded."""
    steps = (Step.build(kind="llm", name="m"), Step.build(kind="tool", name="a", input="{}"),
             Step.build(kind="tool", name="b", status="error"), Step.build(kind="action", name="c"),
             Step.build(kind="error", name="E"))
    tl = Timeline(_summary(failed_step=steps[2], tags=("x",)), steps)
    assert tl.session_id == "s" and [s.name for s in tl.tool_calls()] == ["a", "b"]
    assert [s.name for s in tl.llm_calls()] == ["m"] and [s.name for s in tl.actions()] == ["c"]
    assert [s.name for s in tl.errors()] == ["b", "E"]
    assert tl.step_names() == ["m", "a", "b", "c", "E"] and tl.step_names("tool") == ["a", "b"]
    data = tl.to_builtins()
    json.dumps(data)
    assert data["summary"]["failed_step"]["name"] == "b" and data["summary"]["tags"] == ["x"]
    assert data["steps"][1]["input"] == "{}" and data["steps"][2]["status"] == "error"


def test_steps_are_immutable() -> None:
    """Steps and timelines cannot be changed in place (they are shared between timelines)."""
    step = Step.build(kind="tool", name="t")
    with pytest.raises(AttributeError):
        step.name = "x"  # type: ignore[misc]
