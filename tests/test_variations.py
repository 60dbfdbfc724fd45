"""Variation runs: one session per variant, a verdict per variant, and where the failing ones diverged."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ActionEvent, Session, _redact, record_action
from agentops_otel._otlp_json import OTLPJsonFileExporter
from agentops_otel.cli import main as cli_main
from agentops_otel.testing import (
    AgentAssertionError,
    VariationReport,
    assert_tool_called,
    run_variations,
)

pytest_plugins = ["pytester"]


@record_action("classify_intent")
def classify(message: str) -> str:
    return "billing" if re.search(r"charg|refund", message) else "general"


@record_action("fetch_customer_data")
def fetch_customer(customer_id: str | None) -> dict[str, str]:
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return {"id": customer_id}


@record_action("general_reply")
def general_reply(message: str) -> str:
    return "Thanks for reaching out!"


def agent(message: str) -> str:
    """A keyword-routed agent in its own session: it misses billing phrasings without "charge"."""
    agentops.start_session("support-agent", tags=["support"])
    try:
        if classify(message) == "billing":
            match = re.search(r"account (\d+)", message)
            fetch_customer(match.group(1) if match else None)
            reply = "We refunded the duplicate charge."
        else:
            reply = general_reply(message)
        agentops.record(ActionEvent(action_type="session_complete"))
        agentops.end_session("Success")
        return reply
    except Exception as e:
        agentops.end_session("Fail", end_state_reason=str(e))
        raise


def fetched_customer(session: Session, result: Any) -> bool:
    return "fetch_customer_data" in [e.action_type for e in session.action_events]


VARIANTS = [
    "I was charged twice, account 4417",
    "Double billing issue on account 2093",
    "Refund the second charge",
]


@pytest.fixture(autouse=True)
def _capture_content() -> None:
    """Arguments are recorded (``init()`` turns content capture on)."""
    agentops.init(instrument_llm_calls=False)


def test_each_variant_gets_a_verdict_and_a_session() -> None:
    """Pass, wrong route (check False) and exception are told apart; each has its own session and URL."""
    report = run_variations(agent, VARIANTS, check=fetched_customer, tags=["robustness-test", "billing"])

    verdicts = [(r.variant, r.passed) for r in report.results]
    assert verdicts == list(zip(VARIANTS, [True, False, False], strict=True))
    assert report.results[1].reason == "check returned False"
    assert report.results[2].reason == "raised ValueError: customer_id cannot be None"
    assert isinstance(report.results[2].error, ValueError)
    assert report.results[0].result == "We refunded the duplicate charge."
    sessions = [r.session for r in report.results]
    assert len({s.id for s in sessions}) == 3
    assert [s.end_state for s in sessions] == ["Success", "Fail", "Fail"]
    assert sessions[1].end_state_reason == "check returned False"
    assert all(s.tags == ["robustness-test", "billing"] for s in sessions)
    assert [r.url for r in report.results] == [s.url for s in sessions]
    assert report.passed == report.results[:1] and report.failed == report.results[1:]


def test_the_agents_own_session_is_nested_in_the_variant_session() -> None:
    """The check sees the agent's steps: its session runs inside the variant's."""
    report = run_variations(agent, VARIANTS[:1], check=fetched_customer)
    variant_session = report.results[0].session
    assert variant_session.actions == 3  # classify, fetch, session_complete, from the nested session
    root_names = [s.name for s in variant_session.spans if s.name.startswith("invoke_agent")]
    assert root_names == ["invoke_agent support-agent"]


def test_without_a_check_an_agent_session_ending_fail_fails_the_variant() -> None:
    """With no check, the agent's own verdict counts: a variant whose agent ended its session Fail (and
    returned normally) fails, naming that session and its reason; one that ended Success passes."""
    def graceful(message: str) -> str:
        with agentops.session("support-agent") as s:
            if "bad" in message:
                s.end_session("Fail", end_state_reason="could not parse the order number")
        return "sorry"

    report = run_variations(graceful, ["good order 12", "bad order"])
    assert [r.passed for r in report.results] == [True, False]
    assert report.results[1].reason == ("the agent's session 'support-agent' ended Fail: "
                                         "could not parse the order number")


def test_check_verdicts() -> None:
    """True/None/"" pass; False and a reason string fail; an assertion inside the check gives its message."""
    def verdicts(check: Any) -> tuple[bool, str | None]:
        r = run_variations(agent, VARIANTS[:1], check=check).results[0]
        return r.passed, r.reason

    assert verdicts(lambda s, r: True) == (True, None)
    assert verdicts(lambda s, r: None) == (True, None)
    assert verdicts(lambda s, r: "") == (True, None)
    assert verdicts(lambda s, r: False) == (False, "check returned False")
    assert verdicts(lambda s, r: "reply too short") == (False, "reply too short")
    assert verdicts(lambda s, r: 1 / 0) == (False, "check raised ZeroDivisionError: division by zero")
    passed, reason = verdicts(lambda s, r: assert_tool_called(s, "lookup_invoices"))
    assert not passed and reason is not None
    assert reason.startswith("expected 'lookup_invoices' to be called at least once, "
                             "but it was called 0 times.")


def test_a_check_returning_neither_a_verdict_nor_a_reason_fails_saying_so() -> None:
    """A truthy match object (``re.search``) is no reason string: the variant fails naming what to return."""
    [result] = run_variations(agent, VARIANTS[:1], check=lambda s, r: re.search("refunded", r)).results
    assert not result.passed
    assert result.reason is not None
    assert result.reason.startswith("check returned re.Match, which is no verdict: return True or None to pass, "
                                    "False or a reason string to fail")


def test_a_check_returning_an_unprintable_object_still_fails_the_variant() -> None:
    """A non-verdict whose repr raises still fails just its variant, not the whole run."""
    class Opaque:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    [result] = run_variations(agent, VARIANTS[:1], check=lambda s, r: Opaque()).results
    assert not result.passed and result.reason is not None and "which is no verdict" in result.reason


def test_dict_and_tuple_variants_are_arguments() -> None:
    """A dict variant is keyword arguments, a tuple positional ones."""
    seen: list[tuple[Any, ...]] = []

    def fn(message: str, tone: str = "plain") -> str:
        seen.append((message, tone))
        return message

    run_variations(fn, [{"message": "hi", "tone": "formal"}, ("yo", "casual"), "hey"])
    assert seen == [("hi", "formal"), ("yo", "casual"), ("hey", "plain")]


def test_async_agents_are_refused_with_a_hint() -> None:
    """An async agent is a usage error, not a failing variant."""
    async def async_agent(message: str) -> str:
        return message

    with pytest.raises(TypeError, match=r"asyncio.run\(agent\(m\)\)"):
        run_variations(async_agent, ["hi"])


def test_a_streaming_generator_agent_is_run_and_its_chunks_are_the_result() -> None:
    """A generator agent is run to its end, each variant judged on the list of chunks it yielded; one
    that raises part-way fails (it used to pass without its body ever running)."""
    def streaming_agent(message: str) -> Iterator[str]:
        if "twice" in message:
            raise ValueError("agent crashed")
        yield "Sorry"
        yield f" about {message}"

    report = run_variations(streaming_agent, ["I was charged twice", "late delivery"],
                            check=lambda session, chunks: chunks == ["Sorry", " about late delivery"])
    assert [r.passed for r in report.results] == [False, True]
    assert report.results[0].reason == "raised ValueError: agent crashed"


def test_async_generator_agents_are_refused_with_a_hint() -> None:
    """An async generator agent is a usage error (nothing runs it), not a passing variant."""
    async def async_streaming_agent(message: str) -> AsyncIterator[str]:
        yield message

    with pytest.raises(TypeError, match=r"async"):
        run_variations(async_streaming_agent, ["hi"])


def test_failing_variants_name_the_step_where_they_diverged() -> None:
    """Compared with a passing run, the wrongly routed variant splits at the step after classification."""
    report = run_variations(agent, VARIANTS, check=fetched_customer)
    table = report.table()
    lines = table.splitlines()
    assert lines[0] == "Variations of agent: 1 of 3 passed"
    assert lines[1].startswith('   1. PASS  "I was charged twice, account 4417"')
    assert lines[1].endswith(report.results[0].url)
    assert lines[3] == "      why:      check returned False"
    assert lines[4] == ('      diverged: step #2: action general_reply where '
                        '"I was charged twice, account 4417" had action fetch_customer_data')
    assert lines[6] == "      why:      raised ValueError: customer_id cannot be None"
    assert lines[7] == ("      diverged: step #2: action fetch_customer_data failing with ValueError: "
                        'customer_id cannot be None where "I was charged twice, account 4417" had '
                        "action fetch_customer_data")


def test_assert_all_passed_fails_with_the_table() -> None:
    """The failure message is the table: every variant, its verdict, its URL, its divergence."""
    report = run_variations(agent, VARIANTS, check=fetched_customer)
    with pytest.raises(AgentAssertionError) as excinfo:
        report.assert_all_passed()
    message = str(excinfo.value)
    assert message.startswith("agent failed on 2/3 variants\n\nVariations of agent: 1 of 3 passed\n")
    assert all(r.url in message for r in report.results)
    run_variations(agent, VARIANTS[:1], check=fetched_customer).assert_all_passed()
    with pytest.raises(AgentAssertionError, match="no variants were run"):
        VariationReport().assert_all_passed()


def test_a_variant_result_fails_with_its_replay() -> None:
    """``assert_passed`` on a failing variant shows its reason and its session replay."""
    result = VariationReport().run(agent, "Refund the second charge", check=fetched_customer)
    with pytest.raises(AgentAssertionError) as excinfo:
        result.assert_passed()
    message = str(excinfo.value)
    assert message.startswith('variant "Refund the second charge" failed: raised ValueError: '
                              "customer_id cannot be None\n\nSession: ")
    assert "fetch_customer_data" in message and "← ERROR ValueError: customer_id cannot be None" in message
    assert f"Session URL: {result.url}" in message


@pytest.mark.slow  # pytest in a subprocess
def test_parametrize_with_the_variation_report_fixture(pytester: pytest.Pytester) -> None:
    """One test per phrasing; the shared report prints the table in the terminal summary."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_phrasings='''
        import pytest
        import agentops_otel as agentops
        from agentops_otel import record_action

        @record_action("fetch_customer_data")
        def fetch_customer(message):
            return {"id": "1"}

        def agent(message):
            if "charge" in message:
                fetch_customer(message)
            return "ok"

        def fetched(session, result):
            return "fetch_customer_data" in [e.action_type for e in session.action_events]

        @pytest.mark.parametrize("message", ["charged twice", "double billing", "extra charge"])
        def test_phrasing(message, variation_report):
            variation_report.run(agent, message, check=fetched).assert_passed()
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*= agent variations =*",
        "Variations of agent: 2 of 3 passed",
        '   1. PASS  "charged twice" *http://localhost:16686/trace/*',
        '   2. FAIL  "double billing" *http://localhost:16686/trace/*',
        "      why:      check returned False",
        '      diverged: step #0: nothing (its session ended) where "charged twice" had action '
        "fetch_customer_data",
        '   3. PASS  "extra charge" *',
    ])


PHRASINGS = '''
import pytest
import agentops_otel as agentops

@agentops.tool
def lookup(message):
    return message

def agent(message):
    if "bad" not in message:
        lookup(message)
    return message

def looked_up(session, result):
    return bool(session.tool_events)

@pytest.mark.parametrize("message", ["good 1", "bad 2", "good 3", "bad 4", "good 5", "bad 6"])
def test_phrasing(message, variation_report):
    variation_report.run(agent, message, check=looked_up).assert_passed()
'''


def _variations_section(result: pytest.RunResult) -> list[str]:
    """The "agent variations" section of a run's summary, session URLs left out (they differ per run)."""
    lines = result.stdout.lines
    start = next((i for i, line in enumerate(lines) if "= agent variations =" in line), None)
    assert start is not None, result.stdout.str()
    section = []
    for line in lines[start + 1:]:
        if line.startswith("="):
            break
        section.append(re.sub(r"http://\S+", "URL", line))
    return section


@pytest.mark.slow  # pytest and pytest-xdist workers in subprocesses
def test_variation_report_under_xdist_matches_the_serial_run(pytester: pytest.Pytester,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``-n 2`` the workers' variants come back to the controller, which prints the serial run's table."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "agentops_anthropic")  # its init() skips that import
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_phrasings=PHRASINGS)
    serial = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    serial.assert_outcomes(passed=3, failed=3)
    parallel = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    parallel.assert_outcomes(passed=3, failed=3)
    assert _variations_section(parallel) == _variations_section(serial)


def _moody_agent() -> Any:
    """Always right on "always", wrong on every second run of "sometimes", always wrong on "never"."""
    calls: dict[str, int] = {}

    def moody(message: str) -> str:
        calls[message] = calls.get(message, 0) + 1
        if message == "never" or (message == "sometimes" and calls[message] % 2 == 0):
            raise RuntimeError(f"wrong on {message}")
        return "ok"

    return moody


def test_repeated_runs_tell_flaky_variants_from_failing_ones() -> None:
    """repeat=3: a variant that passes and fails is FLAKY, one that fails every run is FAIL, apart."""
    report = run_variations(_moody_agent(), ["always", "sometimes", "never"], repeat=3)
    assert [(v.label, v.verdict, v.failed, v.runs) for v in report.by_variant()] == [
        ('"always"', "PASS", 0, 3), ('"sometimes"', "FLAKY", 1, 3), ('"never"', "FAIL", 3, 3)]
    assert [v.label for v in report.flaky] == ['"sometimes"']
    assert [v.label for v in report.consistently_failing] == ['"never"']
    tail = report.table().splitlines()[-4:]
    assert tail == ["By variant: 1 flaky (passed and failed across repetitions), 1 failing every time",
                    '  FLAKY  "sometimes"  failed 1 of 3', '  FAIL   "never"      failed 3 of 3',
                    '  PASS   "always"     failed 0 of 3']
    with pytest.raises(AgentAssertionError) as excinfo:
        report.assert_all_passed()
    assert str(excinfo.value).startswith(
        "agent failed on 4/9 runs: 1 flaky and 1 consistently failing of 3 variants")


def test_the_gate_reports_flaky_variants_from_the_sessions(span_exporter: InMemorySpanExporter,
                                                          tmp_path: Path) -> None:
    """Each variation session names its variant, so the gate over the exported sessions lists flaky and
    consistently failing variants apart."""
    run_variations(_moody_agent(), ["always", "sometimes", "never"], repeat=3)
    path = tmp_path / "traces.jsonl"
    OTLPJsonFileExporter(path).export(span_exporter.get_finished_spans())
    out = io.StringIO()
    code = cli_main(["gate", "--source", str(path), "--since", "1h", "--max-failure-rate", "0.5"], stdout=out)
    text = out.getvalue()
    assert code == 0
    assert 'Flaky variants (passed and failed across repetitions):\n  "sometimes"  failed 1 of 3\n' in text
    assert 'Consistently failing variants:\n  "never"  failed 3 of 3\n' in text


def _gate_text(span_exporter: InMemorySpanExporter, tmp_path: Path) -> str:
    path = tmp_path / "traces.jsonl"
    OTLPJsonFileExporter(path).export(span_exporter.get_finished_spans())
    out = io.StringIO()
    cli_main(["gate", "--source", str(path), "--since", "1h", "--max-failure-rate", "1"], stdout=out)
    return out.getvalue()


def test_the_gate_keeps_variants_apart_that_share_a_cut_label(span_exporter: InMemorySpanExporter,
                                                              tmp_path: Path) -> None:
    """Two long inputs whose display labels are cut alike are two variants, not one flaky one."""
    good, bad = "x" * 80 + " good", "x" * 80 + " bad"

    def agent(message: str) -> str:
        if message == bad:
            raise RuntimeError("wrong")
        return "ok"

    run_variations(agent, [good, bad], repeat=2)
    text = _gate_text(span_exporter, tmp_path)
    assert "Flaky variants" not in text, text
    assert "Consistently failing variants:" in text and "failed 2 of 2" in text, text


def test_the_gate_counts_variants_nested_in_a_test_session(span_exporter: InMemorySpanExporter,
                                                           tmp_path: Path) -> None:
    """Variation runs inside a test's own session (agentops_session_per_test) still show as variants."""
    with agentops.session("test_phrasings"):
        run_variations(_moody_agent(), ["always", "sometimes", "never"], repeat=3)
    text = _gate_text(span_exporter, tmp_path)
    assert '"sometimes"  failed 1 of 3' in text and '"never"  failed 3 of 3' in text, text


def test_the_redaction_hook_sees_a_variants_input(span_exporter: InMemorySpanExporter,
                                                  tracer_provider: TracerProvider) -> None:
    """The variant's input, recorded on its session as ``agentops.variant``, goes through ``init(redact=)``."""
    agentops.init(tracer_provider=tracer_provider, instrument_llm_calls=False,
                  redact=lambda attribute, value: json.loads(json.dumps(value).replace("alice@example.com", "<email>")))
    try:
        run_variations(agent, ["I was charged twice, write to alice@example.com"])
    finally:
        _redact.set_hook(None)
    labels = [(s.attributes or {}).get("agentops.variant") for s in span_exporter.get_finished_spans()]
    assert [label for label in labels if label] == ['"I was charged twice, write to <email>"']


def test_a_variants_input_is_not_recorded_with_content_capture_off(span_exporter: InMemorySpanExporter,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With capture off no prompt reaches the trace: the variant is labelled by a digest of its input, and
    repetitions of one input still share the label (so the gate still tells flaky from failing)."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "no_content")
    run_variations(agent, ["my card 4417 was charged twice", "refund please"], repeat=2)
    labels = [(s.attributes or {}).get("agentops.variant") for s in span_exporter.get_finished_spans()]
    labels = [label for label in labels if label]
    assert len(labels) == 4 and len(set(labels)) == 2
    assert not any("4417" in label or "refund" in label for label in labels), labels
