"""Timelines built by hand for the renderer tests: the product story's failing session and a broken one.

They are constructed directly (not reassembled from spans) so the renderers' goldens pin rendering
only, and a change in the reassembler cannot silently rewrite them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgspec

from agentops_otel.timeline import SessionSummary, Step, StepError, Timeline

START_NS = 1_764_000_000_123_000_000
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ROOT = "00f067aa0ba902b7"
GOLDEN = Path(__file__).parent / "golden"


def _msgs(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


LLM_ATTRS = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}


def story_timeline() -> Timeline:
    """The product story: classify, then fetch_customer_data(customer_id=None) raises ValueError."""
    common = {"trace_id": TRACE, "session_id": "s_abc123"}
    failed = Step.build(
        span_id="a3ce929d0e0e4736", parent_span_id=ROOT, kind="tool", name="fetch_customer_data",
        span_name="execute_tool fetch_customer_data", offset_s=1.89, duration_s=0.001, depth=0,
        status="error",
        error=StepError(type="ValueError", message="customer_id cannot be None",
                        stacktrace='Traceback (most recent call last):\n  File "agent.py", line 12\n'
                                   "ValueError: customer_id cannot be None",
                        span_id="a3ce929d0e0e4736"),
        input=json.dumps({"customer_id": None}),
        attributes={"gen_ai.tool.name": "fetch_customer_data", "error.type": "ValueError", "agentops.seq": 4},
        **common,
    )
    steps = (
        Step.build(span_id="b7ad6b7169203331", parent_span_id=ROOT, kind="llm", name="gpt-4o",
             span_name="chat gpt-4o", offset_s=0.0, duration_s=1.2, depth=0, status="ok",
             input=_msgs("user", "I was charged twice for my subscription"),
             output=json.dumps([{"role": "assistant", "finish_reason": "stop", "parts": [
                 {"type": "text", "content": "I'll look into your billing issue right away."}]}]),
             model="gpt-4o", cost_usd=0.00245, input_tokens=412, output_tokens=38,
             attributes={**LLM_ATTRS, "agentops.seq": 1}, **common),
        Step.build(span_id="c1d2e3f405060708", parent_span_id=ROOT, kind="action", name="classify_intent",
             span_name="action classify_intent", offset_s=1.234, duration_s=0.62, depth=0, status="ok",
             input=json.dumps("billing_dispute"), output=json.dumps("billing"),
             attributes={"agentops.seq": 2}, **common),
        Step.build(span_id="d1d2e3f405060708", parent_span_id="c1d2e3f405060708", kind="llm",
             name="gpt-4o-mini", span_name="chat gpt-4o-mini", offset_s=1.25, duration_s=0.58, depth=1,
             status="ok", input=_msgs("user", "Classify: I was charged twice for my subscription"),
             output=_msgs("assistant", "billing"), model="gpt-4o-mini", cost_usd=0.00055,
             input_tokens=30, output_tokens=2, attributes={"agentops.seq": 3}, **common),
        failed,
    )
    summary = SessionSummary(
        session_id="s_abc123", name="support-agent", tags=("support", "v2.1"), end_state="Fail",
        end_reason="ValueError: customer_id cannot be None", service_name="billing-bot",
        trace_ids=(TRACE,), root_span_id=ROOT, parent_session_id=None, start_ns=START_NS,
        duration_s=4.2, cost_usd=0.003, cost_complete=True, input_tokens=442, output_tokens=40,
        llm_calls=2, tool_calls=1, actions=1, errors=1, failed_step=failed, complete=True, issues=(),
        span_count=5,
    )
    return Timeline(summary=summary, steps=steps)


def broken_timeline() -> Timeline:
    """A session read without its root span: an orphan, a skewed step, unpriced calls, hostile text."""
    common = {"trace_id": "0" * 31 + "1", "session_id": "s_broken"}
    steps = (
        Step.build(span_id="1111111111111111", parent_span_id="9999999999999999", kind="tool", name="search",
             span_name="execute_tool search", offset_s=0.0, duration_s=0.25, depth=0, status="ok",
             input=json.dumps({"q": "</script><script>window.__pwned=1</script>"}),
             output="<img src=x onerror=alert(1)>\x1b[31mred\x1b[0m", flags=("orphan",), **common),
        Step.build(span_id="2222222222222222", parent_span_id=None, kind="llm", name="mystery-model",
             span_name="chat mystery-model", offset_s=65.5, duration_s=2.0, depth=0, status="unset",
             model="mystery-model", input_tokens=10, output_tokens=5, flags=("clock_skew_adjusted",),
             **common),
    )
    steps = (steps[0], msgspec.structs.replace(steps[1], skew_ns=1500))
    summary = SessionSummary(
        session_id="s_broken", name=None, tags=(), end_state=None, end_reason=None, service_name=None,
        trace_ids=("0" * 31 + "1",), root_span_id=None, parent_session_id="s_parent", start_ns=START_NS,
        duration_s=67.5, cost_usd=0.0, cost_complete=False, input_tokens=10, output_tokens=5,
        llm_calls=1, tool_calls=1, actions=0, errors=0, failed_step=None, complete=False,
        issues=("root span missing", "1 orphan span", "1 step shifted for clock skew"), span_count=2,
        cost_gaps=("1 call to an unpriced model (mystery-model)", "root span missing: the session's own "
                   "totals are lost, the cost is summed from the calls found"),
    )
    return Timeline(summary=summary, steps=steps)


def check_golden(name: str, text: str) -> None:
    """Compare with tests/render/golden/NAME; UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; rerun with UPDATE_GOLDEN=1 if intended"
