"""Sessions no backend will get (SDK disabled, trace sampled out, no exporter) still work for the test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

import agentops_otel as agentops
from agentops_otel import ActionEvent
from agentops_otel.testing import assert_tool_called

REPO = Path(__file__).resolve().parents[2]


@agentops.tool
def fetch_customer(customer_id: str) -> dict[str, str]:
    return {"id": customer_id}


def _run_agent() -> agentops.Session:
    agentops.start_session(tags=["support"])
    fetch_customer("4417")
    agentops.record(ActionEvent(action_type="session_complete"))
    s = agentops.get_session()
    assert s is not None
    agentops.end_session("Success")
    return s


def _provider(monkeypatch: pytest.MonkeyPatch, case: str) -> tuple[TracerProvider, InMemorySpanExporter]:
    if case == "sdk_disabled":
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
        provider = TracerProvider()
    else:
        provider = TracerProvider(sampler=ALWAYS_OFF)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agentops.init(tracer_provider=provider, instrument_llm_calls=False)
    return provider, exporter


@pytest.mark.parametrize("case", ["sdk_disabled", "sampled_out"])
def test_unrecorded_session_still_answers_get_session_and_assertions(monkeypatch: pytest.MonkeyPatch,
                                                                     case: str) -> None:
    """get_session() sees the steps, the URL has real ids, and the assertion helpers pass."""
    _, exporter = _provider(monkeypatch, case)
    s = _run_agent()
    assert (s.tool_calls, [e.action_type for e in s.action_events]) == (1, ["session_complete"])
    assert s.trace_id is not None and set(s.trace_id) != {"0"}
    assert_tool_called(s, "fetch_customer", with_args={"customer_id": "4417"})
    assert exporter.get_finished_spans() == ()  # nothing was exported behind the user's back


@pytest.mark.parametrize(("case", "reason"), [("sdk_disabled", "OTEL_SDK_DISABLED=true"),
                                              ("sampled_out", "sampler (AlwaysOffSampler) dropped")])
def test_unrecorded_session_timeline_says_the_backend_will_not_have_it(
        monkeypatch: pytest.MonkeyPatch, case: str, reason: str) -> None:
    """timeline() works and its issues say why no backend will have the session."""
    _provider(monkeypatch, case)
    timeline = _run_agent().timeline()
    assert [st.name for st in timeline.steps] == ["fetch_customer", "session_complete"]
    assert any("no backend will have it" in i and reason in i for i in timeline.summary.issues)


@pytest.mark.slow
def test_no_exporter_session_says_so_in_its_replay(tmp_path: Path) -> None:
    """With OTEL_TRACES_EXPORTER=none the session works and its replay says no backend will have it."""
    code = textwrap.dedent("""
        import agentops_otel as agentops
        from agentops_otel.testing import replay_text
        agentops.init(instrument_llm_calls=False)
        @agentops.tool
        def t(x): return x
        with agentops.session("s") as s:
            t(1)
        print(s.tool_calls)
        print(replay_text(s))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_"))}
    env.update(OTEL_TRACES_EXPORTER="none", PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "1"
    assert "no backend will have it: no exporter is configured (OTEL_TRACES_EXPORTER=none)" in proc.stdout
