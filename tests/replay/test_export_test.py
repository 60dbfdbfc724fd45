"""``agentops-otel export-test``: a session read back from an OTLP file becomes a passing, offline pytest file."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel import get_session, pytest_plugin
from agentops_otel._otlp_json import encode_batch
from agentops_otel.cli import main
from agentops_otel.testing import OpenAIServer
from examples.support_agent import agent
from examples.support_agent.fake_llm import support_llm_responder

pytest_plugins = ["pytester"]

REPO = Path(agentops_otel.__file__).parents[1]
CALL = "examples.support_agent.agent:run_support_agent"


@pytest.fixture
def support_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    """The example agent's two clients pointed at a local server answering like a plausible model."""
    with OpenAIServer() as server:
        server.set_responder(support_llm_responder)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
        monkeypatch.setattr(openai, "base_url", server.base_url + "/")
        monkeypatch.setattr(openai, "api_key", "sk-local-test")
        monkeypatch.setattr(agent, "_client", None)
        yield server


def _session_file(message: str, tmp_path: Path, exporter: InMemorySpanExporter) -> tuple[str, Path]:
    exporter.clear()
    try:
        agent.run_support_agent(message)
    except ValueError:
        pass
    session = get_session()
    assert session is not None
    path = tmp_path / "traces.jsonl"
    path.write_bytes(encode_batch(exporter.get_finished_spans()) + b"\n")
    return session.id, path


def _run_offline(test: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(test.parent)}  # no key, no base URL
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test),
                           "-o", "asyncio_default_fixture_loop_scope=function"],
                          cwd=test.parent, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.usefixtures("support_llm")
def test_exported_session_passes_offline(tmp_path: Path, span_exporter: InMemorySpanExporter) -> None:
    """A billing session exported from the OTLP file replays through the agent with no server and no key."""
    sid, traces = _session_file("There's a duplicate charge on account 2093", tmp_path, span_exporter)
    out = io.StringIO()
    test = tmp_path / "suite" / "test_billing.py"
    assert main(["export-test", sid, "--source", str(traces), "--call", CALL, "--out", str(test),
                 "--args", '["There\'s a duplicate charge on account 2093"]'], stdout=out) == 0
    assert "wrote" in out.getvalue() and (tmp_path / "suite" / "cassettes" / "test_billing.json").is_file()
    text = test.read_text()
    assert 'CALLS = ["classify_intent", "fetch_customer_data", "lookup_invoices", "session_complete"]' in text
    assert "assert_ended_with(agent, 'Success')" in text and "assert_cost_below(agent_session" in text
    run = _run_offline(test)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("support_llm")
def test_exported_failing_session_pins_the_failure(tmp_path: Path, span_exporter: InMemorySpanExporter) -> None:
    """A session the agent ended Fail itself (no account id) and then re-raised becomes a test expecting Fail: the
    trace does not say that it raised, so the test accepts it either way."""
    sid, traces = _session_file("I was charged twice for my subscription", tmp_path, span_exporter)
    test = tmp_path / "suite" / "test_no_account.py"
    assert main(["export-test", sid, "--source", str(traces), "--call", CALL, "--out", str(test),
                 "--args", '["I was charged twice for my subscription"]'], stdout=io.StringIO()) == 0
    text = test.read_text()
    assert "except Exception:" in text and "assert_ended_with(agent, 'Fail')" in text
    run = _run_offline(test)
    assert run.returncode == 0, run.stdout + run.stderr


def test_export_of_a_session_without_content_says_what_is_missing(tmp_path: Path,
                                                                  span_exporter: InMemorySpanExporter,
                                                                  support_llm: OpenAIServer,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Without captured content the command fails (exit 2) naming the steps, and writes nothing."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "no_content")
    sid, traces = _session_file("There's a duplicate charge on account 2093", tmp_path, span_exporter)
    err = io.StringIO()
    test = tmp_path / "suite" / "test_x.py"
    code = main(["export-test", sid, "--source", str(traces), "--call", CALL, "--out", str(test), "--args", "[]"],
                stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert "cannot be replayed from its trace" in err.getvalue()
    assert "step 1 (llm gpt-4o-mini): no input messages" in err.getvalue()
    assert not test.exists()


def test_export_of_a_session_with_unreadable_arguments_says_they_could_not_be_read(
        tmp_path: Path, span_exporter: InMemorySpanExporter, support_llm: OpenAIServer) -> None:
    """A corrupt value is not blamed on content capture: the message names the real reason."""
    import json

    sid, traces = _session_file("There's a duplicate charge on account 2093", tmp_path, span_exporter)
    batch = json.loads(traces.read_text())
    for resource in batch["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for kv in span["attributes"]:
                    if kv["key"] == "gen_ai.tool.call.arguments":
                        kv["value"] = {"intValue": "abc"}
    traces.write_text(json.dumps(batch) + "\n")
    err = io.StringIO()
    test = tmp_path / "suite" / "test_x.py"
    code = main(["export-test", sid, "--source", str(traces), "--call", CALL, "--out", str(test), "--args", "[]"],
                stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert "could not read gen_ai.tool.call.arguments" in err.getvalue()
    assert "content capture was off" not in err.getvalue()
    assert not test.exists()


def test_export_of_a_session_with_an_unknown_end_state_is_refused(
        tmp_path: Path, span_exporter: InMemorySpanExporter, support_llm: OpenAIServer) -> None:
    """A test pinning an end state nobody knows would raise, not check: the command says why and writes nothing."""
    sid, traces = _session_file("There's a duplicate charge on account 2093", tmp_path, span_exporter)
    traces.write_text(traces.read_text().replace('"stringValue":"Success"', '"stringValue":"Bogus"'))
    err = io.StringIO()
    test = tmp_path / "suite" / "test_x.py"
    code = main(["export-test", sid, "--source", str(traces), "--call", CALL, "--out", str(test), "--args", "[]"],
                stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert "end state 'Bogus'" in err.getvalue()
    assert not test.exists()


@pytest.mark.parametrize("existing", ["test_mine.py", "cassettes/test_mine.json"])
def test_export_does_not_replace_an_existing_test_or_cassette(
        tmp_path: Path, span_exporter: InMemorySpanExporter, support_llm: OpenAIServer, existing: str) -> None:
    """An --out whose test file or cassette exists already is refused (exit 2), both left as they were."""
    sid, traces = _session_file("There's a duplicate charge on account 2093", tmp_path, span_exporter)
    mine = tmp_path / "suite" / existing
    mine.parent.mkdir(parents=True)
    mine.write_text("def test_my_handwritten_regression():\n    assert True\n")
    err = io.StringIO()
    test = tmp_path / "suite" / "test_mine.py"
    code = main(["export-test", sid, "--source", str(traces), "--call", CALL, "--out", str(test), "--args", "[]"],
                stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert "--force" in err.getvalue() and existing.split("/")[-1] in err.getvalue()
    assert mine.read_text() == "def test_my_handwritten_regression():\n    assert True\n"
    assert sorted(p.name for p in (tmp_path / "suite").rglob("*") if p.is_file()) == [mine.name]


def test_export_with_force_replaces_the_test_and_cassette(
        tmp_path: Path, span_exporter: InMemorySpanExporter, support_llm: OpenAIServer) -> None:
    """--force writes the new test and cassette over the old ones."""
    sid, traces = _session_file("There's a duplicate charge on account 2093", tmp_path, span_exporter)
    test = tmp_path / "suite" / "test_mine.py"
    (tmp_path / "suite" / "cassettes").mkdir(parents=True)
    test.write_text("old\n")
    (tmp_path / "suite" / "cassettes" / "test_mine.json").write_text("{}\n")
    code = main(["export-test", sid, "--source", str(traces), "--call", CALL, "--out", str(test), "--force",
                 "--args", "[]"],
                stdout=io.StringIO(), stderr=io.StringIO())
    assert code == 0
    assert "assert_called_in_order" in test.read_text()
    assert sid in (tmp_path / "suite" / "cassettes" / "test_mine.json").read_text()


CLASSIFIER_AGENT = '''
import os
import openai
import agentops_otel as agentops
from agentops_otel import record_action

@record_action("classify_intent")
def classify(message):
    client = openai.OpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key="sk-test", max_retries=0)
    response = client.chat.completions.create(model="gpt-4o",
                                              messages=[{"role": "user", "content": f"Classify: {message}"}])
    return response.choices[0].message.content

@record_action("route")
def route(intent):
    with open("routed.log", "a") as log:  # a side effect CI must not repeat
        log.write(f"{intent}\\n")
    return "billing-desk" if intent == "billing" else "front-desk"

def run_classifier(message):
    with agentops.session("classifier"):
        return route(classify(message))
'''


def _exported(pytester: pytest.Pytester, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch,
              source: str = CLASSIFIER_AGENT) -> Path:
    """The bot in ``source`` run once against a local server, then exported as a test; the bot stays editable."""
    pytester.makepyfile(classifier_bot=source)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    monkeypatch.syspath_prepend(str(pytester.path))
    monkeypatch.setattr(pytest_plugin, "_initialised", True)  # the inner run uses this process's provider
    import anthropic  # noqa: F401  the replay patches its client too: imported here once, not by the inner run
    with OpenAIServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        import classifier_bot

        assert classifier_bot.run_classifier("I was charged twice") == "front-desk"
    del sys.modules["classifier_bot"]  # the exported test imports the file afresh (and the next test its own)
    session = get_session()
    assert session is not None
    traces = pytester.path / "traces.jsonl"
    traces.write_bytes(encode_batch(exporter.get_finished_spans()) + b"\n")
    test = pytester.path / "tests" / "test_regression.py"
    assert main(["export-test", session.id, "--source", str(traces), "--call", "classifier_bot:run_classifier",
                 "--args", '["I was charged twice"]', "--out", str(test)], stdout=io.StringIO()) == 0
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: the replay answers
    (pytester.path / "routed.log").unlink(missing_ok=True)
    return test


def _run(pytester: pytest.Pytester, test: Path) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", str(test))


WITHOUT_ROUTE = CLASSIFIER_AGENT.replace('@record_action("route")\n', "")
CLASSIFY_UNRECORDED = CLASSIFIER_AGENT.replace('@record_action("classify_intent")\n', "")


LEFT_TO_RUN = ("# classify_intent runs for real: it makes the model calls this test checks "
               "(answered, they would be skipped).")
MARKER = "@pytest.mark.agent_replay('cassettes/test_regression.json'"


@pytest.mark.parametrize(("source", "marker"), [
    pytest.param(CLASSIFIER_AGENT, [LEFT_TO_RUN, MARKER + ', answer_tools=["route"])'], id="mixed"),
    pytest.param(WITHOUT_ROUTE, [LEFT_TO_RUN, MARKER + ")"], id="every-step-calls-the-model"),
    pytest.param(CLASSIFY_UNRECORDED, [MARKER + ", answer_tools=True)"], id="no-step-calls-the-model"),
])
def test_exported_test_answers_exactly_the_steps_that_make_no_model_call(
        source: str, marker: list[str], pytester: pytest.Pytester, span_exporter: InMemorySpanExporter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The marker names the tools to answer; a step wrapping an LLM call is left to run, with a comment saying why."""
    lines = _exported(pytester, span_exporter, monkeypatch, source).read_text().splitlines()
    start = lines.index(marker[-1]) - len(marker) + 1
    assert lines[start:start + len(marker)] == marker


def test_exported_test_passes_offline_without_running_the_tools_it_answers(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged, the exported test passes quietly and the answered tool's side effect does not happen again."""
    test = _exported(pytester, span_exporter, monkeypatch)
    result = _run(pytester, test)
    result.assert_outcomes(passed=1)
    assert "ReplayWarning" not in result.stdout.str()
    assert not (pytester.path / "routed.log").exists()


def test_exported_test_fails_when_an_actions_llm_call_changes(pytester: pytest.Pytester,
                                                              span_exporter: InMemorySpanExporter,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The model call inside a recorded action is replayed and compared: changing its prompt fails the test."""
    test = _exported(pytester, span_exporter, monkeypatch)
    bot = pytester.path / "classifier_bot.py"
    bot.write_text(bot.read_text().replace('f"Classify: {message}"', 'f"Classify, in detail: {message}"'))
    result = _run(pytester, test)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*request differs from the recording in messages*"])


def test_a_step_name_cannot_write_code_into_the_exported_test() -> None:
    """Names come from recorded traces: one holding a newline stays inside the generated comment."""
    import ast

    from agentops_otel.testing import Cassette, LLMStep, ToolStep
    from agentops_otel.testing._export_test import render_test

    name = 'classify\nraise SystemExit("injected")  #'
    cassette = Cassette.new([ToolStep(0, name, {}, tool_type="action"),
                             LLMStep(1, "openai", "/chat/completions", {"model": "m"}, 200, body={}, parent=0)])
    text = render_test(cassette, call="agent:run", args=[], cassette_ref="c.json", test_name="test_it",
                       source="traces.jsonl", run_tools=False)
    assert not [node for node in ast.parse(text).body if isinstance(node, ast.Raise)], text


def test_a_session_name_cannot_end_the_exported_tests_docstring() -> None:
    """A recorded session name holding triple quotes stays text inside the generated docstring."""
    import ast

    from agentops_otel.testing import Cassette, ToolStep
    from agentops_otel.testing._cassette import SessionInfo
    from agentops_otel.testing._export_test import render_test

    cassette = Cassette.new([ToolStep(0, "lookup", {})],
                            session=SessionInfo(id="s1", name='x"""\nraise SystemExit("injected")\n"""'))
    text = render_test(cassette, call="agent:run", args=[], cassette_ref="c.json", test_name="test_it",
                       source="traces.jsonl", run_tools=False)
    assert not [node for node in ast.parse(text).body if isinstance(node, ast.Raise)], text


@pytest.fixture
def agent_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An importable ``agent:run`` (the exporter imports the entry point to see how to call it)."""
    (tmp_path / "agent_module").mkdir()
    (tmp_path / "agent_module" / "agent.py").write_text("def run(*args):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path / "agent_module"))


@pytest.mark.usefixtures("agent_module")
def test_export_of_concurrent_calls_asserts_how_often_each_ran_not_their_order(
        tmp_path: Path, span_exporter: InMemorySpanExporter) -> None:
    """Calls that overlapped in the recording (run in threads) have no order to pin: the exported test
    asserts how often each ran instead, so it does not fail on the agent it was exported from."""
    import threading
    import time

    @agentops_otel.tool
    def lookup(source: str) -> str:
        time.sleep(0.05)
        return source

    with agentops_otel.session("fan-out") as session:
        workers = [threading.Thread(target=agentops_otel.carry_context(lookup), args=(name,))
                   for name in ("crm", "billing")]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    traces = tmp_path / "traces.jsonl"
    traces.write_bytes(encode_batch(span_exporter.get_finished_spans()) + b"\n")
    test = tmp_path / "test_fan_out.py"
    assert main(["export-test", session.id, "--source", str(traces), "--call", "agent:run",
                 "--args", "[]", "--out", str(test)], stdout=io.StringIO()) == 0
    text = test.read_text()
    assert "assert_called_in_order(" not in text
    assert 'assert_tool_called(agent_session, "lookup", times=2)' in text
    assert "overlapped" in text


def _lookup_session(tmp_path: Path, exporter: InMemorySpanExporter) -> tuple[str, Path]:
    """A session of one tool call, saved to an OTLP file as the embedded sink writes it."""

    @agentops_otel.tool
    def lookup(customer_id: str) -> dict[str, str]:
        return {"id": customer_id}

    exporter.clear()
    with agentops_otel.session("agent") as session:
        lookup("42")
    traces = tmp_path / "traces.jsonl"
    traces.write_bytes(encode_batch(exporter.get_finished_spans()) + b"\n")
    return session.id, traces


@pytest.mark.usefixtures("agent_module")
def test_json_null_true_and_false_in_args_are_written_as_python(tmp_path: Path,
                                                                 span_exporter: InMemorySpanExporter) -> None:
    """--args '["42", null, true, {"a": false}]' becomes ARGS = ['42', None, True, {'a': False}] in the test."""
    import ast

    sid, traces = _lookup_session(tmp_path, span_exporter)
    test = tmp_path / "test_lookup.py"
    assert main(["export-test", sid, "--source", str(traces), "--call", "agent:run", "--args",
                 '["42", null, true, {"a": false}]', "--out", str(test)], stdout=io.StringIO()) == 0
    (args,) = [node.value for node in ast.parse(test.read_text()).body
               if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "ARGS"]
    assert ast.literal_eval(args) == ["42", None, True, {"a": False}]


@pytest.mark.parametrize("call", ["my agent:run", "agent:class", "import.bot:run", ".agent:run", "agent..x:run",
                                  "agent:run()", "1agent:run"])
def test_a_call_that_is_not_a_dotted_name_is_refused(tmp_path: Path, span_exporter: InMemorySpanExporter,
                                                     call: str) -> None:
    """An entry point Python can't import as written is a usage error (exit 2), and nothing is written."""
    sid, traces = _lookup_session(tmp_path, span_exporter)
    test, err = tmp_path / "suite" / "test_lookup.py", io.StringIO()
    code = main(["export-test", sid, "--source", str(traces), "--call", call, "--out", str(test)],
                stdout=io.StringIO(), stderr=err)
    assert code == 2 and "--call must be" in err.getvalue() and repr(call) in err.getvalue()
    assert not (tmp_path / "suite").exists()


@pytest.mark.parametrize("call", ["bot:run_to_end", "bot:inspect", "bot:CALLS"])
def test_a_call_named_like_the_test_files_own_names_is_refused(tmp_path: Path, span_exporter: InMemorySpanExporter,
                                                               call: str) -> None:
    """An entry point the generated file's own helper or imports would hide is a usage error (exit 2)."""
    sid, traces = _lookup_session(tmp_path, span_exporter)
    test, err = tmp_path / "suite" / "test_lookup.py", io.StringIO()
    code = main(["export-test", sid, "--source", str(traces), "--call", call, "--args", "[]", "--out", str(test)],
                stdout=io.StringIO(), stderr=err)
    assert code == 2 and repr(call.partition(":")[2]) in err.getvalue()
    assert not (tmp_path / "suite").exists()


@pytest.mark.parametrize("args", ["[" * 300 + "]" * 300, "[NaN]", "[1e400]"])
def test_args_python_cannot_read_back_are_refused(tmp_path: Path, span_exporter: InMemorySpanExporter,
                                                  args: str) -> None:
    """Arguments the generated file could not hold (nested past Python's parser, NaN, infinity) are refused
    (exit 2), never written as a test that fails to collect."""
    sid, traces = _lookup_session(tmp_path, span_exporter)
    test, err = tmp_path / "suite" / "test_lookup.py", io.StringIO()
    code = main(["export-test", sid, "--source", str(traces), "--call", "agent:run", "--args", args,
                 "--out", str(test)], stdout=io.StringIO(), stderr=err)
    assert code == 2 and "--args" in err.getvalue(), err.getvalue()
    assert not (tmp_path / "suite").exists()


def test_an_empty_out_path_is_a_usage_error(tmp_path: Path, span_exporter: InMemorySpanExporter,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--out '' (an unset shell variable) is the user's mistake (exit 2), not a test written to the default path."""
    sid, traces = _lookup_session(tmp_path, span_exporter)
    monkeypatch.chdir(tmp_path)
    code = main(["export-test", sid, "--source", str(traces), "--call", "agent:run", "--out", ""],
                stdout=io.StringIO(), stderr=io.StringIO())
    assert code == 2 and "empty path" in capsys.readouterr().err
    assert not (tmp_path / "tests").exists()


def test_export_without_args_refuses_rather_than_guess_the_input_from_a_step(
        tmp_path: Path, span_exporter: InMemorySpanExporter) -> None:
    """The session does not record what the agent was called with: without --args the command says so
    (exit 2, naming the first step's input it will not take for the agent's) and writes nothing."""
    sid, traces = _lookup_session(tmp_path, span_exporter)
    test, err = tmp_path / "suite" / "test_lookup.py", io.StringIO()
    code = main(["export-test", sid, "--source", str(traces), "--call", "agent:run", "--out", str(test)],
                stdout=io.StringIO(), stderr=err)
    assert code == 2, err.getvalue()
    assert "--args" in err.getvalue() and "lookup" in err.getvalue() and '"42"' in err.getvalue()
    assert not (tmp_path / "suite").exists()


def test_export_of_an_anthropic_session_says_it_cannot_be_rebuilt_from_a_trace(
        tmp_path: Path, span_exporter: InMemorySpanExporter) -> None:
    """A Claude session recorded with content capture on is refused (exit 2) for what is true: Anthropic answers
    are not rebuilt from traces; the advice is to record a cassette, not to turn capture on."""
    import anthropic

    from agentops_otel.instrument.anthropic import instrument_anthropic, uninstrument_anthropic
    from agentops_otel.testing import AnthropicServer

    instrument_anthropic()
    try:
        with AnthropicServer() as server, agentops_otel.session("claude-agent") as session:
            client = anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-test", max_retries=0)
            client.messages.create(model="claude-haiku-4-5", max_tokens=16,
                                   messages=[{"role": "user", "content": "hello 5"}])
    finally:
        uninstrument_anthropic()
    traces = tmp_path / "traces.jsonl"
    traces.write_bytes(encode_batch(span_exporter.get_finished_spans()) + b"\n")
    assert '"gen_ai.output.messages"' in traces.read_text()  # content capture was on
    err = io.StringIO()
    code = main(["export-test", session.id, "--source", str(traces), "--call", "agent:run", "--args", "[]",
                 "--out", str(tmp_path / "test_claude.py")], stdout=io.StringIO(), stderr=err)
    message = err.getvalue()
    assert code == 2, message
    assert "Anthropic answers are not rebuilt from traces yet" in message
    assert "--agent-record-mode=record" in message
    assert "content capture on" not in message and "a anthropic" not in message
    assert not (tmp_path / "test_claude.py").exists()
