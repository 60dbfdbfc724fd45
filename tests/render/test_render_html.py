"""The self-contained HTML replay: structure checks in Python, behaviour checks in headless Chromium."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from render_fixtures import broken_timeline, story_timeline

from agentops_otel.render import render_html
from agentops_otel.render.html import embed_json
from agentops_otel.timeline import Timeline

DATA = re.compile(r'<script type="application/json" id="agentops-data">(.*?)</script>', re.S)
RESULT = re.compile(r'<pre id="autotest-result" data-status="(\w+)">(.*?)</pre>', re.S)


def _data(page: str) -> Any:
    match = DATA.search(page)
    assert match is not None
    return json.loads(match.group(1))


def test_page_is_self_contained(story: Timeline) -> None:
    """No external URL, stylesheet or script source: the page works offline and cannot leak."""
    page = render_html(story)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page
    assert "default-src 'none'" in page


def test_embedded_data_is_the_json_document(story: Timeline, broken: Timeline) -> None:
    """The page embeds the timelines@1 document, one entry per session."""
    doc = _data(render_html([story, broken]))
    assert doc["schema"] == "agentops-otel/timelines@1"
    assert [s["summary"]["session_id"] for s in doc["sessions"]] == ["s_abc123", "s_broken"]


def test_script_end_tags_in_data_cannot_close_the_block(broken: Timeline) -> None:
    """A recorded ``</script>`` is escaped in the data block and still decodes to the same text."""
    page = render_html(broken)
    assert page.count("</script>") == 3  # console capture, data, app
    doc = _data(page)
    assert json.loads(doc["sessions"][0]["steps"][0]["input"]) == {
        "q": "</script><script>window.__pwned=1</script>"
    }


def test_embed_json_escapes_markup_and_line_separators() -> None:
    """<, >, & and U+2028/9 never appear raw, yet JSON.parse (here json.loads) restores them."""
    value = {"x": "</SCRIPT><!-- & \u2028\u2029"}
    text = embed_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == value


def test_title_is_escaped() -> None:
    """A hostile session id cannot inject markup through the page title."""
    tl = story_timeline()
    page = render_html(tl, title="<b>x</b>")
    assert "<title>&lt;b&gt;x&lt;/b&gt;</title>" in page


# --- headless Chromium -----------------------------------------------------------------------------


def run_autotest(chromium: str, page: str, tmp_path: Path) -> dict[str, Any]:
    """Load the page with ?autotest in headless Chromium and return what the page reported."""
    path = tmp_path / "replay.html"
    path.write_text(page, encoding="utf-8")
    cmd = [
        chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--no-default-browser-check", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000", "--dump-dom", path.as_uri() + "?autotest=1",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    match = RESULT.search(proc.stdout)
    assert match is not None, f"no autotest result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(html.unescape(match.group(2)))
    report["status"] = match.group(1)
    report["dom"] = proc.stdout
    return report


@pytest.mark.slow  # a headless Chromium
def test_page_steps_through_in_chromium(chromium: str, tmp_path: Path) -> None:
    """In a real browser the page loads without console errors and keys/slider move the selection."""
    report = run_autotest(chromium, render_html([story_timeline(), broken_timeline()]), tmp_path)
    failed = [c["name"] for c in report["checks"] if not c["ok"]]
    assert failed == []
    assert report["errors"] == []
    assert report["status"] == "pass"
    assert report["sessions"] == 2
    visited = [(v["session"], v["index"]) for v in report["visited"]]
    assert visited == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1)]
    assert [v["slider"] for v in report["visited"]] == ["0", "1", "2", "3", "0", "1"]


@pytest.mark.slow  # a headless Chromium
def test_details_show_hostile_text_as_text(chromium: str, tmp_path: Path) -> None:
    """Recorded markup is displayed literally in the details panel and never becomes elements."""
    report = run_autotest(chromium, render_html(broken_timeline()), tmp_path)
    assert report["status"] == "pass"
    first = report["visited"][0]
    assert "</script><script>window.__pwned=1</script>" in first["input"]
    dom = report["dom"]
    assert "<img" not in dom
    assert dom.count("<script") == 3


@pytest.mark.slow  # a headless Chromium
def test_console_errors_fail_the_autotest(chromium: str, tmp_path: Path) -> None:
    """The capture hook sees console.error, so a page that logs errors cannot pass."""
    page = render_html(story_timeline()).replace(
        '<script type="application/json"', '<script>console.error("boom")</script>\n<script type="application/json"'
    )
    report = run_autotest(chromium, page, tmp_path)
    assert report["status"] == "fail"
    assert report["errors"] == ["console.error: boom"]


@pytest.mark.slow  # the agent in a child process, then a headless Chromium
def test_invisible_and_bidi_characters_show_as_escapes(chromium: str, tmp_path: Path) -> None:
    """A bidi override or zero-width space in a recorded name or argument is shown as an escape, never obeyed."""
    from cli_recordings import record

    from agentops_otel.cli import main

    traces, ids = record(tmp_path / "rec", {
        "hidden\u202e": {"name": "agent\u2066x", "steps": [{"tool": "lookup\u200b", "args": {"q": "\u202egnp.exe"}}]},
    })
    page_path = tmp_path / "replay.html"
    assert main(["replay", ids["hidden\u202e"], "--source", str(traces), "--html", str(page_path)]) == 0
    report = run_autotest(chromium, page_path.read_text(encoding="utf-8"), tmp_path)
    assert report["status"] == "pass"
    tool = report["visited"][1]
    assert tool["heading"] == "#1 tool · lookup\\u200b"
    assert "\\u202egnp.exe" in tool["input"]
    shown = DATA.sub("", report["dom"])  # the page as displayed, without the data block
    assert "agent\\u2066x" in shown
    assert not {"\u202e", "\u200b", "\u2066"} & set(shown)
