"""The plugin and the product story's own fixture: ``rep_call`` is there, and nothing a test left open leaks.

One project runs once in a subprocess (a fresh interpreter: the global provider is set once per
process) with the article's fixture verbatim in its conftest and no ``pytest_runtest_makereport``
hook; each test below reads one fact from what the default file sink received.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ARTICLE_CONFTEST = '''
import agentops_otel as agentops
import pytest

@pytest.fixture(autouse=True)
def agentops_session(request):
    agentops.init(api_key="test-api-key")
    agentops.start_session(tags=["test", request.node.name])
    yield
    # Fail the session if the test failed
    if request.node.rep_call.failed:
        agentops.end_session("Fail")
    else:
        agentops.end_session("Success")
'''

TESTS = '''
import agentops_otel as agentops

def run_agent():
    agentops.start_session(tags=["agent"])
    agentops.end_session("Success")

def test_passes():
    run_agent()
    assert agentops.get_session().tags == ["test", "test_passes"]

def test_fails():
    run_agent()
    assert 1 == 2

def test_agent_crashes_and_leaves_its_session_open():
    agentops.start_session(tags=["crashing-agent"])
    raise RuntimeError("agent crashed before end_session")

def test_after_the_crash():
    run_agent()
'''


pytestmark = pytest.mark.slow  # pytest and python in subprocesses

REPO = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    """No exporter settings from the outer run; this checkout's package first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _value(v: dict[str, Any]) -> Any:
    (kind, raw), = v.items()
    if kind == "arrayValue":
        return [_value(x) for x in raw.get("values", [])]
    return int(raw) if kind == "intValue" else raw


@pytest.fixture(scope="module")
def story_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Run the article-style project once; session roots by their first two tags joined."""
    root = tmp_path_factory.mktemp("story")
    (root / "conftest.py").write_text(ARTICLE_CONFTEST)
    (root / "test_story.py").write_text(TESTS)
    (root / "pytest.ini").write_text("[pytest]\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(root)],
                          cwd=root, env=_env(), capture_output=True, text=True, timeout=300)
    assert "2 failed, 2 passed" in proc.stdout, proc.stdout + proc.stderr
    roots: dict[str, dict[str, Any]] = {}
    for line in (root / ".agentops-otel" / "traces.jsonl").read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    attrs = {kv["key"]: _value(kv["value"]) for kv in span.get("attributes", [])}
                    if attrs.get("gen_ai.operation.name") == "invoke_agent":
                        roots[" ".join(attrs["agentops.tags"][:2])] = attrs
    return roots


def test_article_fixture_reads_rep_call_without_a_conftest_hook(story_run: dict[str, dict[str, Any]]) -> None:
    """The story's fixture runs verbatim: its session ends Success or Fail from request.node.rep_call."""
    assert story_run["test test_passes"]["agentops.session.end_state"] == "Success"
    assert story_run["test test_fails"]["agentops.session.end_state"] == "Fail"


def test_session_left_open_by_a_test_ends_indeterminate_before_the_next(
        story_run: dict[str, dict[str, Any]]) -> None:
    """The fixture session a crashed agent left open ends Indeterminate, saying the test left it open."""
    left = story_run["test test_agent_crashes_and_leaves_its_session_open"]
    assert left["agentops.session.end_state"] == "Indeterminate"
    assert "left open" in left["agentops.session.end_reason"]


def test_next_tests_session_is_not_nested_in_a_leftover(story_run: dict[str, dict[str, Any]]) -> None:
    """After a test that left sessions open, the next test's session is a root of its own."""
    after = story_run["test test_after_the_crash"]
    assert "agentops.session.parent_id" not in after
    assert after["agentops.session.end_state"] == "Success"


def test_open_session_at_exit_is_reported(tmp_path: Path) -> None:
    """Outside pytest, a session never ended is named in a warning at exit and ends Indeterminate."""
    code = textwrap.dedent("""
        import agentops_otel as agentops
        agentops.init()
        s = agentops.start_session("forgotten")
        print(s.id)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(), capture_output=True,
                          text=True, timeout=120)
    sid = proc.stdout.strip()
    assert proc.returncode == 0, proc.stderr
    assert f"session 'forgotten' {sid} was never ended" in proc.stderr
