"""The JSON document: a versioned schema, pinned by a golden, readable by any JSON tool."""

from __future__ import annotations

import json

from render_fixtures import broken_timeline, check_golden, story_timeline

from agentops_otel.render import SCHEMA, SCHEMA_LIST, render_json, timeline_to_dict
from agentops_otel.timeline import Timeline


def test_single_session_matches_golden() -> None:
    """One session renders as the pinned timeline@1 document."""
    check_golden("story.json", render_json(story_timeline()))


def test_several_sessions_match_golden() -> None:
    """A list renders as the pinned timelines@1 document wrapping one timeline@1 per session."""
    check_golden("sessions.json", render_json([story_timeline(), broken_timeline()]))


def test_document_carries_its_schema_version(story: Timeline) -> None:
    """Every document names its schema so consumers can refuse what they don't know."""
    assert timeline_to_dict(story)["schema"] == SCHEMA == "agentops-otel/timeline@1"
    doc = json.loads(render_json([story]))
    assert doc["schema"] == SCHEMA_LIST
    assert [s["schema"] for s in doc["sessions"]] == [SCHEMA]


def test_failed_step_is_located_by_index(story: Timeline) -> None:
    """The summary points at the failed step by index and span id, and that step is marked raised_here."""
    doc = timeline_to_dict(story)
    index = doc["summary"]["failed_step_index"]
    assert index == 3
    step = doc["steps"][index]
    assert step["span_id"] == doc["summary"]["failed_span_id"]
    assert step["raised_here"] is True
    assert step["error"] == {
        "type": "ValueError",
        "message": "customer_id cannot be None",
        "stacktrace": story.steps[3].error.stacktrace if story.steps[3].error else None,
        "span_id": "a3ce929d0e0e4736",
    }


def test_int64_start_is_a_string(story: Timeline) -> None:
    """Nanosecond timestamps exceed JavaScript's safe integers, so they travel as strings (like OTLP)."""
    summary = timeline_to_dict(story)["summary"]
    assert summary["start_unix_nano"] == "1764000000123000000"
    assert summary["start_time"] == "2025-11-24T16:00:00.123000000Z"


def test_full_payloads_are_kept(broken: Timeline) -> None:
    """Inputs and outputs appear whole, hostile characters included (escaping is the HTML's job)."""
    step = timeline_to_dict(broken)["steps"][0]
    assert step["output"] == "<img src=x onerror=alert(1)>\x1b[31mred\x1b[0m"
    assert json.loads(step["input"]) == {"q": "</script><script>window.__pwned=1</script>"}


def test_every_step_has_every_key(story: Timeline, broken: Timeline) -> None:
    """Keys are always present (null when unknown), so consumers never need .get()."""
    keys = [tuple(s) for t in (story, broken) for s in timeline_to_dict(t)["steps"]]
    assert len(set(keys)) == 1
