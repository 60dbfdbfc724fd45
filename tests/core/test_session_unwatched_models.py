"""Sessions in a process where no model client was instrumented (no ``init()``): their model calls
happened but were never seen, so the bounds on calls, tokens and cost refuse rather than pass on zero."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each runs the agent in a child interpreter

REPO = Path(__file__).resolve().parents[2]

_CASE = """
    import agentops_otel as agentops
    from openai import OpenAI
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from agentops_otel.testing import (OpenAIServer, assert_cost_below, assert_llm_calls_at_most,
                                       assert_tokens_below, assert_tool_called)

    @agentops.tool
    def lookup(order: str) -> str:
        return "shipped"

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)

    def verdicts(s, n, tokens=1_000_000, usd=1.0):
        print("cost_complete", getattr(s, "cost_complete", None))
        for name, check in [("calls", lambda: assert_llm_calls_at_most(s, n)),
                            ("tokens", lambda: assert_tokens_below(s, tokens)),
                            ("cost", lambda: assert_cost_below(s, usd)),
                            ("tool", lambda: assert_tool_called(s, "lookup"))]:
            try:
                check()
                print(name, "PASS")
            except AssertionError as exc:
                print(name, "FAIL", str(exc).splitlines()[0])

    with OpenAIServer() as server:
        client = OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        def call():
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
BODY
"""


def _case(tmp_path: Path, body: str, **extra_env: str) -> dict[str, str]:
    code = textwrap.dedent(_CASE.replace("BODY", textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_"))}
    env.update(OTEL_TRACES_EXPORTER="none", PYTHONPATH=str(REPO), **extra_env)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return dict(line.split(" ", 1) for line in proc.stdout.splitlines())


_AGENT_RUN = """
with agentops.session("agent") as s:
    lookup("1234")
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi " * 500}])
assert len(server.requests) == 1
verdicts(s, 0, tokens=10, usd=1e-9)
"""


def _judged(out: dict[str, str]) -> bool:
    return all(out[b] == "PASS" for b in ("calls", "tokens", "cost"))


def _refused(out: dict[str, str]) -> bool:
    return all(out[b].startswith("FAIL") and "no model client was instrumented" in out[b]
               for b in ("calls", "tokens", "cost"))


def test_without_init_the_model_call_bounds_refuse_saying_why(tmp_path: Path) -> None:
    """No init(): the call made is not counted, so at-most-0-calls, 10 tokens and $0 are not passed."""
    out = _case(tmp_path, _AGENT_RUN)
    assert _refused(out), out
    assert all("init()" in out[b] for b in ("calls", "tokens", "cost")), out
    assert out["cost_complete"] == "False"


def test_without_init_the_tool_verdicts_still_judge(tmp_path: Path) -> None:
    """Tools are recorded without init(): a verdict on them is not refused."""
    assert _case(tmp_path, _AGENT_RUN)["tool"] == "PASS"


def test_a_client_instrumented_by_hand_is_enough(tmp_path: Path) -> None:
    """instrument_openai() without init(): the call is seen, so the bounds judge it (and fail on it)."""
    out = _case(tmp_path, "from agentops_otel.instrument.openai import instrument_openai\ninstrument_openai()\n"
                + _AGENT_RUN)
    assert out["calls"].startswith("FAIL") and "no model client was instrumented" not in out["calls"], out
    assert out["cost_complete"] == "True"


def test_with_init_the_bounds_judge_the_call(tmp_path: Path) -> None:
    """The usual setup: init() instruments the client and the bound fails on the call it counted."""
    out = _case(tmp_path, "agentops.init()\n" + _AGENT_RUN)
    assert out["calls"].startswith("FAIL") and "no model client was instrumented" not in out["calls"], out


def test_calls_recorded_by_another_instrumentation_are_judged_without_init(tmp_path: Path) -> None:
    """An official openai-v2 style span inside the session (no init()): the call was seen, the bounds judge it."""
    out = _case(tmp_path, """
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
                 "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 20}
        with agentops.session("agent") as s:
            with trace.get_tracer("opentelemetry.instrumentation.openai_v2").start_as_current_span(
                    "chat gpt-4o-mini", attributes=attrs):
                pass
        verdicts(s, 1)
    """)
    assert _judged(out), out


def test_calls_recorded_by_hand_are_judged_without_init(tmp_path: Path) -> None:
    """record(LLMEvent(...)) for a provider nobody instruments: the bounds judge what was recorded."""
    out = _case(tmp_path, """
        with agentops.session("agent") as s:
            agentops.record(agentops.LLMEvent(model="gpt-4o-mini", prompt_tokens=100, completion_tokens=20))
        verdicts(s, 1)
    """)
    assert _judged(out), out


def test_init_called_inside_the_session_before_its_calls_is_judged(tmp_path: Path) -> None:
    """init() as the session's first step: its calls were all seen, the bounds judge them."""
    out = _case(tmp_path, """
        with agentops.session("agent") as s:
            agentops.init()
            call()
        verdicts(s, 1)
    """)
    assert _judged(out), out


def test_a_client_uninstrumented_while_the_session_ran_refuses(tmp_path: Path) -> None:
    """init(), then uninstrument_openai() inside the session: its calls went unseen, the bounds refuse."""
    out = _case(tmp_path, """
        agentops.init()
        with agentops.session("agent") as s:
            agentops.uninstrument_openai()
            call(); call()
        verdicts(s, 0)
    """)
    assert _refused(out), out


def test_the_refusal_survives_reading_the_session_back_from_its_spans(tmp_path: Path) -> None:
    """A session whose calls went unseen, read back from the exported spans: its timeline refuses too."""
    out = _case(tmp_path, """
        from agentops_otel.read import records_from_spans
        from agentops_otel.reassemble import reassemble
        with agentops.session("agent") as s:
            call(); call()
            agentops.init(tracer_provider=provider)
        [timeline] = [t for t in reassemble(records_from_spans(exporter.get_finished_spans())).sessions
                      if t.summary.session_id == s.id]
        verdicts(timeline, 0)
    """)
    assert _refused(out), out


def test_init_does_not_import_a_client_named_in_otel_python_disabled_instrumentations(tmp_path: Path) -> None:
    """OpenTelemetry's variable names our anthropic entry point: init() leaves anthropic unimported (over a
    second saved) and still records the openai call, which the bounds judge."""
    out = _case(tmp_path, "agentops.init()\nimport sys\nprint('anthropic_imported', 'anthropic' in sys.modules)\n"
                + _AGENT_RUN, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="requests, agentops_anthropic ")
    assert out["anthropic_imported"] == "False", out
    assert out["calls"].startswith("FAIL") and "no model client was instrumented" not in out["calls"], out


def test_a_client_switched_off_by_the_variable_but_imported_makes_the_bounds_refuse(tmp_path: Path) -> None:
    """``*`` switches every instrumentation off: the program's openai call goes unseen, so the bounds refuse,
    naming the variable, rather than pass on no calls."""
    out = _case(tmp_path, "agentops.init()\n" + _AGENT_RUN, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="*")
    assert _refused(out), out
    assert all("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS" in out[b] for b in ("calls", "tokens", "cost")), out
    assert out["cost_complete"] == "False"


_OPENAI_OFF = {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentops_openai"}


@pytest.mark.parametrize("body", [
    pytest.param("""
        with agentops.session("agent") as s:
            call(); call()
        os.environ["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = ""
        agentops.init()
    """, id="init() without the variable after the session"),
    pytest.param("""
        with agentops.session("agent") as s:
            call(); call()
            os.environ["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = ""
            agentops.init()
    """, id="init() without the variable inside the session, after its calls"),
    pytest.param("""
        with agentops.session("agent") as s:
            call(); call()
        agentops.instrument_openai()
    """, id="instrument_openai() after the session"),
    pytest.param("""
        with agentops.session("agent") as s:
            call(); call()
            agentops.instrument_openai()
    """, id="instrument_openai() inside the session, after its calls"),
])
def test_openai_watched_only_after_the_calls_the_variable_left_unseen_still_refuses(tmp_path: Path, body: str) -> None:
    """openai switched off by the variable, watched again (init() without it, or by hand) only after the session's
    calls: they stay unseen, so its bounds still refuse, naming the variable."""
    out = _case(tmp_path, "import os\nagentops.init()\n" + textwrap.dedent(body).strip("\n")
                + "\nverdicts(s, 0, tokens=10, usd=1e-9)\n", **_OPENAI_OFF)
    assert _refused(out), out
    assert all("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS" in out[b] for b in ("calls", "tokens", "cost")), out
    assert out["cost_complete"] == "False", out


def test_a_client_imported_after_the_session_ended_is_no_reason_to_refuse_it(tmp_path: Path) -> None:
    """anthropic, switched off by the variable, imported only after the session: it made no call there."""
    out = _case(tmp_path, """
        agentops.init()
        with agentops.session("agent") as s:
            lookup("1234")
        import anthropic
        verdicts(s, 0)
    """, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="agentops_anthropic")
    assert _judged(out), out


def test_init_in_another_thread_never_breaks_a_session_ending_nor_its_refusal(tmp_path: Path) -> None:
    """init() looping in a thread while sessions end in another: no end raises, and every one refuses."""
    out = _case(tmp_path, """
        import sys, threading, time
        from agentops_otel.sessions._views import unwatched
        agentops.init()
        stop = threading.Event()
        def again():
            while not stop.is_set():
                agentops.init()
        thread = threading.Thread(target=again)
        thread.start()
        sys.setswitchinterval(1e-6)
        raised = judged = 0
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and not (raised or judged):
            try:
                with agentops.session("agent") as s:
                    pass
            except RuntimeError:
                raised += 1
                continue
            judged += unwatched(s) is None
        stop.set()
        thread.join()
        print("raised", raised)
        print("judged", judged)
    """, **_OPENAI_OFF)
    assert out["raised"] == "0" and out["judged"] == "0", out


def test_the_refusal_under_the_wildcard_names_what_the_variable_holds(tmp_path: Path) -> None:
    """``*`` in the variable: the refusal says ``*``, which the user finds there, not an entry point never written."""
    out = _case(tmp_path, "agentops.init()\n" + _AGENT_RUN, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="*")
    assert _refused(out), out
    assert "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS names *" in out["calls"], out
    assert "agentops_openai" not in out["calls"], out


def test_calls_of_the_other_client_do_not_hide_the_switched_off_ones(tmp_path: Path) -> None:
    """openai switched off by the variable, anthropic instrumented: a session holding one seen anthropic call and
    five unseen openai ones refuses its bounds rather than judge the one call it saw."""
    out = _case(tmp_path, """
        agentops.init()
        import anthropic
        from agentops_otel.testing import AnthropicServer
        with AnthropicServer() as other:
            claude = anthropic.Anthropic(base_url=other.base_url, api_key="k", max_retries=0)
            with agentops.session("agent") as s:
                claude.messages.create(model="claude-sonnet-4-5", max_tokens=100,
                                       messages=[{"role": "user", "content": "hi"}])
                for _ in range(5):
                    call()
        verdicts(s, 1, tokens=100_000, usd=1.0)
    """, **_OPENAI_OFF)
    assert _refused(out), out
    assert all("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS" in out[b] for b in ("calls", "tokens", "cost")), out
    assert out["cost_complete"] == "False", out


def test_calls_recorded_another_way_beside_a_switched_off_client_are_judged(tmp_path: Path) -> None:
    """openai switched off by the variable and its calls recorded by hand (as by another instrumentation): the user
    records them some other way, so the bounds judge what was recorded."""
    out = _case(tmp_path, """
        agentops.init()
        with agentops.session("agent") as s:
            call()
            agentops.record(agentops.LLMEvent(model="gpt-4o-mini", prompt_tokens=100, completion_tokens=20))
        verdicts(s, 1)
    """, **_OPENAI_OFF)
    assert _judged(out), out


_STREAM_LEFT_OPEN = """
    from agentops_otel.read import records_from_spans
    from agentops_otel.reassemble import reassemble
    agentops.init(tracer_provider=provider)
    import anthropic
    from agentops_otel.testing import AnthropicServer
    with AnthropicServer() as other:
        claude = anthropic.Anthropic(base_url=other.base_url, api_key="k", max_retries=0)
        with agentops.session("agent") as s:
            stream = claude.messages.create(model="claude-sonnet-4-5", max_tokens=100, stream=True,
                                            messages=[{"role": "user", "content": "hi"}])
            for _ in range(5):
                call()
        for _ in stream:
            pass
    [timeline] = [t for t in reassemble(records_from_spans(exporter.get_finished_spans())).sessions
                  if t.summary.session_id == s.id]
    verdicts(TARGET, 1, tokens=100_000, usd=1.0)
"""


@pytest.mark.parametrize("target", ["s", "timeline"])
def test_a_stream_left_open_does_not_hide_the_switched_off_calls(tmp_path: Path, target: str) -> None:
    """openai switched off, an anthropic stream still open as the session ends beside five unseen openai calls:
    the bounds refuse, live and read back, rather than judge the one call seen."""
    out = _case(tmp_path, _STREAM_LEFT_OPEN.replace("TARGET", target), **_OPENAI_OFF)
    assert out["calls"].startswith("FAIL") and "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS" in out["calls"], out
    assert out["tokens"].startswith("FAIL") and "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS" in out["tokens"], out


def test_read_back_the_refusal_beside_a_call_seen_does_not_say_it_holds_none(tmp_path: Path) -> None:
    """A session holding a seen anthropic call beside openai ones the variable left unseen, read back from its
    spans: the refusal names the variable and does not claim the session holds no model call."""
    out = _case(tmp_path, """
        from agentops_otel.read import records_from_spans
        from agentops_otel.reassemble import reassemble
        agentops.init(tracer_provider=provider)
        import anthropic
        from agentops_otel.testing import AnthropicServer
        with AnthropicServer() as other:
            claude = anthropic.Anthropic(base_url=other.base_url, api_key="k", max_retries=0)
            with agentops.session("agent") as s:
                claude.messages.create(model="claude-sonnet-4-5", max_tokens=100,
                                       messages=[{"role": "user", "content": "hi"}])
                call()
        [timeline] = [t for t in reassemble(records_from_spans(exporter.get_finished_spans())).sessions
                      if t.summary.session_id == s.id]
        verdicts(timeline, 1, tokens=100_000, usd=1.0)
    """, **_OPENAI_OFF)
    assert _refused(out), out
    assert "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS" in out["calls"], out
    assert "holds no model call:" not in out["calls"], out
