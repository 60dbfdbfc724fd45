"""Token totals a replay does not have are shown as unknown (``?``) or a lower bound (``≥``), never as 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_render_html import run_autotest

import agentops_otel as agentops
from agentops_otel import LLMEvent
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.render import render_html, render_json, render_text
from agentops_otel.timeline import Timeline


def _replay(exporter: InMemorySpanExporter, *events: LLMEvent) -> Timeline:
    """One session recording ``events``, read back from its spans."""
    with agentops.session("support"):
        for event in events:
            agentops.record(event)
    return reassemble(records_from_spans(exporter.get_finished_spans())).sessions[0]


def _tokens_line(timeline: Timeline) -> str:
    counts = next(line for line in render_text(timeline, color=False).splitlines() if "Tokens:" in line)
    return counts[counts.index("Tokens:"):]


def test_a_session_whose_only_call_has_no_usage_shows_unknown_tokens(span_exporter: InMemorySpanExporter) -> None:
    """No call reported usage: the header says the totals are unknown instead of 0 in / 0 out."""
    timeline = _replay(span_exporter, LLMEvent(model="gpt-4o"))
    assert _tokens_line(timeline) == "Tokens: ? in / ? out"


def test_a_session_with_some_calls_without_usage_shows_a_lower_bound(span_exporter: InMemorySpanExporter) -> None:
    """Some calls reported usage, one did not: the totals are at least what was reported."""
    timeline = _replay(span_exporter, LLMEvent(model="gpt-4o", prompt_tokens=10, completion_tokens=5),
                       LLMEvent(model="gpt-4o"))
    assert _tokens_line(timeline) == "Tokens: ≥ 10 in / ≥ 5 out"


def test_complete_usage_is_shown_as_exact_numbers(span_exporter: InMemorySpanExporter) -> None:
    """Every call reported usage: the totals are plain numbers, as before."""
    timeline = _replay(span_exporter, LLMEvent(model="gpt-4o", prompt_tokens=10, completion_tokens=5))
    assert _tokens_line(timeline) == "Tokens: 10 in / 5 out"


def test_the_step_line_of_a_call_with_an_unknown_count_shows_a_question_mark(
        span_exporter: InMemorySpanExporter) -> None:
    """A call with only its input count shows its output as unknown, not as 0 tokens."""
    timeline = _replay(span_exporter, LLMEvent(model="gpt-4o", prompt_tokens=10))
    llm_line = next(line for line in render_text(timeline, color=False).splitlines() if " llm " in line)
    assert "10→? tok" in llm_line and "10→0" not in llm_line


def test_json_flags_token_totals_it_does_not_have(span_exporter: InMemorySpanExporter) -> None:
    """The JSON document says which totals are incomplete, and why each call's counts are unknown."""
    timeline = _replay(span_exporter, LLMEvent(model="gpt-4o", prompt_tokens=10, completion_tokens=5),
                       LLMEvent(model="gpt-4o"))
    doc = json.loads(render_json(timeline))
    summary = doc["summary"]
    assert (summary["input_tokens"], summary["input_tokens_complete"]) == (10, False)
    assert (summary["output_tokens"], summary["output_tokens_complete"]) == (5, False)
    assert [s["usage_gap"] for s in doc["steps"] if s["kind"] == "llm"] == [None, "usage_missing"]


@pytest.mark.slow  # a headless Chromium
def test_the_html_page_shows_unknown_totals_as_unknown(span_exporter: InMemorySpanExporter, chromium: str,
                                                        tmp_path: Path) -> None:
    """In a browser the page's header shows ``? in / ? out`` for a session whose call reported no usage."""
    report = run_autotest(chromium, render_html(_replay(span_exporter, LLMEvent(model="gpt-4o"))), tmp_path)
    assert report["status"] == "pass", report["checks"]
    assert "<span>Tokens</span><b>? in / ? out</b>" in report["dom"]
