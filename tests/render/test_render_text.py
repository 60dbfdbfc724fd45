"""The terminal replay: goldens pin the exact lines a developer reads."""

from __future__ import annotations

import re

import msgspec
import pytest
from render_fixtures import broken_timeline, check_golden, story_timeline

from agentops_otel.render import render_text, timeline_to_dict
from agentops_otel.timeline import Step, StepError, Timeline

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("make, name", [(story_timeline, "story.txt"), (broken_timeline, "broken.txt")])
def test_plain_replay_matches_golden(make: object, name: str) -> None:
    """The plain replay of each fixture session is pinned line for line."""
    assert callable(make)
    check_golden(name, render_text(make(), color=False))


def test_story_header_reads_like_the_product_story(story: Timeline) -> None:
    """The first line is the product story's headline: id, duration, cost and status."""
    first = render_text(story, color=False).splitlines()[0]
    assert first == "Session: s_abc123 | Duration: 4.2s | Cost: $0.003 | Status: Fail"


def test_error_is_marked_on_the_step_where_it_happened(story: Timeline) -> None:
    """Only the failing tool call carries the ERROR marker, with type and message."""
    lines = render_text(story, color=False).splitlines()
    marked = [line for line in lines if "← ERROR" in line]
    assert len(marked) == 1
    assert marked[0].startswith("00:01.890  tool    fetch_customer_data")
    assert marked[0].endswith("← ERROR ValueError: customer_id cannot be None")


def test_nested_steps_are_indented_by_depth(story: Timeline) -> None:
    """A child step is indented two spaces per level under its parent."""
    lines = render_text(story, color=False).splitlines()
    child = next(line for line in lines if "gpt-4o-mini" in line)
    assert child.startswith("00:01.250    llm")


def test_color_adds_only_styling(story: Timeline) -> None:
    """The coloured replay carries ANSI codes and, stripped, equals the plain one."""
    colored = render_text(story, color=True)
    assert "\x1b[" in colored
    assert ANSI.sub("", colored) == render_text(story, color=False)


def test_no_color_env_and_pipes_give_plain_text(story: Timeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """color=None never colours when NO_COLOR is set or stdout is not a terminal (pytest reports)."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert "\x1b[" not in render_text(story)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" not in render_text(story)


def test_recorded_control_characters_cannot_drive_the_terminal(broken: Timeline) -> None:
    """An escape sequence inside a recorded output is shown escaped, not emitted."""
    text = render_text(broken, color=True)
    assert "\\x1b[31mred" in text
    assert "\x1b[31mred" not in text


def test_max_field_bounds_each_shown_value(story: Timeline) -> None:
    """Inputs and outputs are cut to max_field characters with an ellipsis."""
    line = next(ln for ln in render_text(story, color=False, max_field=12).splitlines() if "gpt-4o " in ln)
    assert 'in: "I was cha…"' in line  # 12 characters, quotes included


def test_width_cuts_long_lines(story: Timeline) -> None:
    """With a width, no line is longer than it and cut lines end in an ellipsis."""
    lines = render_text(story, color=False, width=60).splitlines()
    assert max(len(line) for line in lines) <= 60
    assert any(line.endswith("…") for line in lines)


def test_issues_are_listed(broken: Timeline) -> None:
    """Repairs and gaps (missing root, orphans, skew) are listed under Issues."""
    text = render_text(broken, color=False)
    tail = text.split("Issues:\n", 1)[1]
    assert tail.splitlines() == ["  ! root span missing", "  ! 1 orphan span", "  ! 1 step shifted for clock skew"]


def test_empty_session_says_so(story: Timeline) -> None:
    """A session without steps renders a placeholder rather than nothing."""
    empty = Timeline(summary=story.summary, steps=())
    assert "(no steps recorded)" in render_text(empty, color=False)


def test_error_passing_through_a_parent_is_not_marked_twice() -> None:
    """An exception recorded on a tool and on the action it escaped marks only the tool."""
    err = StepError(type="ValueError", message="bad id", stacktrace=None, span_id="")
    outer = Step.build(kind="action", name="lookup", span_id="aaaaaaaaaaaaaaa1", status="error", error=err)
    inner = Step.build(kind="tool", name="fetch", span_id="aaaaaaaaaaaaaaa2", parent_span_id="aaaaaaaaaaaaaaa1",
                       depth=1, offset_s=0.1, error=err)
    tl = Timeline(summary=story_timeline().summary, steps=(outer, inner))
    lines = [ln for ln in render_text(tl, color=False).splitlines() if ln.startswith("00:00.")]
    assert lines[0].endswith("lookup (0ms)  (error passed through)")
    assert lines[1].endswith("← ERROR ValueError: bad id")


@pytest.mark.parametrize(("recorded", "shown"), [
    ("0", "out: 0"), ('"0"', 'out: "0"'), ("false", "out: false"), ('"false"', 'out: "false"'),
    ("null", "out: null"), ('"null"', 'out: "null"'), ("-1.5", "out: -1.5"),
])
def test_a_tool_output_shows_its_json_type(recorded: str, shown: str) -> None:
    """A tool that returned None reads apart from one that returned the text "null" (and 0 from "0")."""
    step = Step.build(kind="tool", name="count_refunds", span_id="aaaaaaaaaaaaaaa1", output=recorded)
    tl = Timeline(summary=story_timeline().summary, steps=(step,))
    (line,) = [ln for ln in render_text(tl, color=False).splitlines() if "count_refunds" in ln]
    assert line.endswith(shown)


def test_a_start_no_calendar_holds_reads_as_unknown(story: Timeline) -> None:
    """A start time past what a date can show (a record built by hand) is shown as unknown, not a crash."""
    far = msgspec.structs.replace(story, summary=msgspec.structs.replace(story.summary, start_ns=2**70))
    assert "Started: unknown" in render_text(far, color=False)
    assert timeline_to_dict(far)["summary"]["start_time"] is None
