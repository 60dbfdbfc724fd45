"""The behavioural suite catches each planted bug: exactly the tests meant for it fail, and say why.

``examples/support_agent/tests`` runs in a subprocess against the real agent and then against
:mod:`examples.support_agent.broken` with one bug at a time (``SUPPORT_AGENT_BUG``). A bug that
fails no test, or fails tests about something else, would mean the suite does not test what it
claims; a failure message without the replay would leave the developer guessing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # seven subprocess runs of the whole example suite: make test, not make unit

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO / "examples" / "support_agent" / "tests"
SUMMARY_LINE = re.compile(r"^(?:FAILED|ERROR) \S*?examples/support_agent/tests/(\S+\.py::.+?)(?: - .*)?$")
"""A short-summary line; node ids are shown relative to the invocation directory, so keep the suite part."""

EXPECTED_FAILURES = {
    "routing": {
        "test_routing.py::test_billing_question_is_answered_from_the_invoices",
        "test_story.py::test_billing_intent_robustness",
        "test_robustness.py::test_billing_phrasings_all_reach_billing",
        "test_robustness.py::test_billing_phrasing[You billed me twice this month, customer 7781]",
        "test_robustness.py::test_billing_phrasing[Double billing issue on account 4417]",
        "test_replay.py::test_demo_session_replays[double_billing_7781]",
    },
    "tool_order": {
        "test_tool_order.py::test_billing_fetches_the_customer_before_reading_invoices",
        "test_error_handling.py::test_missing_customer_id_fails_the_session_at_fetch_customer_data",
        "test_error_handling.py::test_unknown_customer_fails_with_lookup_error",
        *(f"test_replay.py::test_demo_session_replays[{name}]"
          for name in ("billing_4417", "duplicate_2093", "no_account", "double_billing_7781")),
    },
    "cost": {
        "test_story.py::test_billing_agent_cost_efficiency",
        "test_cost.py::test_billing_question_stays_within_budget",
        "test_cost.py::test_billing_tokens_and_calls",
        *(f"test_replay.py::test_demo_session_replays[{name}]"
          for name in ("billing_4417", "duplicate_2093", "no_account", "password_reset", "double_billing_7781")),
    },
}


def run_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
              bug: str | None, provider: str = "openai") -> pytest.RunResult:
    """The example suite in a fresh interpreter, from the repository's root configuration."""
    for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SUPPORT_AGENT_PROVIDER", provider)
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # this checkout's package, whichever one is installed
    if bug is None:
        monkeypatch.delenv("SUPPORT_AGENT_BUG", raising=False)
    else:
        monkeypatch.setenv("SUPPORT_AGENT_BUG", bug)
    return pytester.runpytest_subprocess(str(SUITE), "--rootdir", str(REPO), "-p", "no:cacheprovider",
                                         "-rfE", "--tb=short")


def failed_tests(result: pytest.RunResult) -> set[str]:
    found = set()
    for line in result.outlines:
        match = SUMMARY_LINE.match(line)
        if match:
            found.add(match.group(1))
    return found


def section(out: str, test: str) -> str:
    """The failure report of one test, from its header to the next one's."""
    start = out.index(f"_ {test} _")
    rest = out[start + 1:]
    end = re.search(r"\n_{3,} \S", rest)
    return rest[: end.start()] if end else rest


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_real_agent_passes_the_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                         provider: str) -> None:
    """Without a planted bug every behavioural test passes, with the agent on either provider."""
    result = run_suite(pytester, monkeypatch, None, provider)
    assert failed_tests(result) == set(), result.stdout.str()
    assert result.ret == 0


def test_routing_bug_fails_the_phrasing_tests(pytester: pytest.Pytester,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Billing phrasings without "charge" go to the general reply: only the robustness tests fail."""
    result = run_suite(pytester, monkeypatch, "routing")
    assert failed_tests(result) == EXPECTED_FAILURES["routing"]
    out = result.stdout.str()
    table = section(out, "test_billing_phrasings_all_reach_billing")
    assert "agent failed on 2/6 variants" in table
    assert re.search(r'3\. FAIL  "You billed me twice this month, customer 7781" +http://localhost:16686/trace/',
                     table)
    assert ("why:      expected calls in order: classify_intent → fetch_customer_data → lookup_invoices"
            in table)
    assert re.search(r'diverged: step #\d+: llm gpt-4o-mini where "I was charged twice for my subscription, '
                     r'account 4417" had action fetch_customer_data', table)
    story = section(out, "test_billing_intent_robustness")
    assert "Agent failed on 2/6 variants" in story
    assert "Double billing issue on account 4417: wrong tool sequence" in story


def test_tool_order_bug_fails_the_order_and_error_tests(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Invoices read before the customer is validated: the order test and the error-handling tests fail."""
    result = run_suite(pytester, monkeypatch, "tool_order")
    assert failed_tests(result) == EXPECTED_FAILURES["tool_order"]
    out = result.stdout.str()
    order = section(out, "test_billing_fetches_the_customer_before_reading_invoices")
    assert re.search(r"expected 'fetch_customer_data' to be called before 'lookup_invoices', but 'lookup_invoices' "
                     r"ran first: it started at 00:00\.\d{6}, 'fetch_customer_data' only at 00:00\.\d{6}\.", order)
    assert "Called, in order: classify_intent, lookup_invoices, fetch_customer_data, lookup_invoices" in order
    assert "Captured agentops session replay teardown" in order
    missing = section(out, "test_missing_customer_id_fails_the_session_at_fetch_customer_data")
    assert "expected 'lookup_invoices' not to be called, but it was called once" in missing
    assert "← ERROR ValueError: customer_id cannot be None" in missing


def test_cost_bug_fails_the_cost_tests(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A five-call, long-prompt classifier: the cost tests fail with the cost of every call."""
    result = run_suite(pytester, monkeypatch, "cost")
    assert failed_tests(result) == EXPECTED_FAILURES["cost"]
    out = result.stdout.str()
    budget = section(out, "test_billing_question_stays_within_budget")
    assert re.search(r"agent_cost_limit exceeded: cost \$0\.\d+ is over the limit of \$0\.001; "
                     r"5 LLM calls are over the limit of 3\.", budget)
    assert "Cost by call (all sessions of this test):" in budget
    assert len(re.findall(r"\(in action classify_intent\)", budget)) == 3
    assert "  total: 5 LLM calls" in budget
    explicit = section(out, "test_billing_tokens_and_calls")
    assert "expected at most 3 LLM calls, but the session made 5." in explicit


def test_cost_bug_on_claude_fails_the_same_tests(pytester: pytest.Pytester,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """On Claude the five-call classifier is caught by the same cost tests, priced from Anthropic's rates."""
    result = run_suite(pytester, monkeypatch, "cost", "anthropic")
    # The replay tests are skipped on Claude: their cassettes hold the agent's OpenAI calls.
    assert failed_tests(result) == {t for t in EXPECTED_FAILURES["cost"] if not t.startswith("test_replay.py")}
    budget = section(result.stdout.str(), "test_billing_question_stays_within_budget")
    assert re.search(r"cost \$0\.\d+ is over the limit of \$0\.001; 5 LLM calls are over the limit of 3\.", budget)
    assert "claude-haiku-4-5" in budget


def test_the_bug_parameter_plants_a_bug_for_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """``broken.run_support_agent(message, bug)`` misroutes that call only; the agent module is restored."""
    import openai

    import agentops_otel as agentops
    from agentops_otel.testing import OpenAIServer
    from examples.support_agent import agent, broken
    from examples.support_agent.fake_llm import support_llm_responder

    agentops.init()
    message = "Double billing issue on account 4417"
    with OpenAIServer() as server:
        server.set_responder(support_llm_responder)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
        monkeypatch.setattr(openai, "base_url", server.base_url + "/")
        monkeypatch.setattr(openai, "api_key", "sk-local-test")
        monkeypatch.setattr(agent, "_client", None)
        assert "reset your password" in broken.run_support_agent(message, bug="routing")
        assert agent.classify is not broken.classify_with_keyword_guard
        assert "duplicate charge" in broken.run_support_agent(message)
    with pytest.raises(ValueError, match="unknown bug 'typo'; choose one of routing, tool_order, cost"):
        broken.run_support_agent(message, bug="typo")
