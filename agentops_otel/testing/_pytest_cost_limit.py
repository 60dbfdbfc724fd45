"""The ``agent_cost_limit`` marker's side of the pytest plugin: which bounds a test has, what it spent,
and when the bound is judged (during the call, then on the ended session's totals).

Imported by the plugin for every run, so it stays as light as the plugin: what a bound is and how it is
judged (``_cost_limit``, which loads the OpenTelemetry SDK) is imported only for a test that has the
marker. The plugin keeps the test's state (``_TestRun``) and the order of its phases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pytest

from agentops_otel import semconv
from agentops_otel._guard import guard
from agentops_otel.testing._pytest_fixtures import clear_last_session

if TYPE_CHECKING:
    from agentops_otel.pytest_plugin import _TestRun
    from agentops_otel.testing._cost_limit import Spend

__all__ = ["MARKER", "end_judged", "fail_if_broken", "limits", "marker_help", "spend"]

MARKER: Final = "agent_cost_limit"


def marker_help() -> str:
    """The marker's line in ``pytest --markers``."""
    return (f"{MARKER}(usd=None, llm_calls=None, tokens=None, allow_unpriced=False, allow_missing_usage=False): "
            "fail the test when its agent sessions (nested ones, ones started in other threads during the test "
            "and model calls outside any session included) cost more than usd dollars, make more "
            "than llm_calls model calls or use more than tokens tokens; the failure lists the cost of each call. "
            "A call whose cost (usd) or usage (tokens) is unknown fails the bound by name unless allowed by the "
            "allow_* keywords, which then warn. Markers of the module and class apply too; the lowest bound holds")


def spend(run: _TestRun) -> Spend:
    """What the ``agent_cost_limit`` marker judges (made on first use: a test without one imports nothing)."""
    if run.spend is None:
        from agentops_otel.testing._cost_limit import Spend

        run.spend = Spend(run.session)
    return run.spend


def limits(item: pytest.Item) -> dict[str, Any] | None:
    """The ``agent_cost_limit`` bounds that apply to the test, or None; imports nothing for a test without one."""
    if item.get_closest_marker(MARKER) is None:
        return None
    from agentops_otel.testing._cost_limit import marker_limits

    return marker_limits(item, MARKER)


def fail_if_broken(run: _TestRun, limits: dict[str, Any]) -> None:
    """Fail the test now if its body already broke a bound (totals only grow); see :func:`end_judged`."""
    from agentops_otel.testing._cost_limit import limit_problems
    from agentops_otel.testing._verdicts import record_verdict

    problems = limit_problems(spend(run), limits, MARKER, warn=False, settled=False)
    if problems:
        record_verdict(run.session, MARKER, False, problems.partition("\n")[0])
        pytest.fail(problems, pytrace=False)


def end_judged(run: _TestRun, limits: dict[str, Any]) -> tuple[str, str | None]:
    """End a test that passed so far, then judge its ``agent_cost_limit`` on the ended session's totals.

    Then nothing the session records escapes the bound: the fixtures' teardown has run in it, and
    ending it settled what was still open (a stream the test never finished). A bound broken before
    the end ends the session Fail; one broken only by the end comes too late for the root, so the
    ``pytest`` verdict ends it Fail for readers (as for a session the test ended itself). Returns the
    test's state and the limit's message, if any.
    """
    from agentops_otel.testing._cost_limit import limit_problems
    from agentops_otel.testing._pytest_outcome import verdict_after_end
    from agentops_otel.testing._verdicts import record_verdict

    early = limit_problems(spend(run), limits, MARKER, warn=False)  # a call in a fixture's teardown
    ended_by_test = run.session.ended
    run.outcome_recorded = True
    with guard("pytest_plugin.end_session"):
        run.session.end(semconv.END_FAIL if early else semconv.END_SUCCESS, _teardown_reason(early))
    clear_last_session()
    problems = limit_problems(spend(run), limits, MARKER) or early
    record_verdict(run.session, MARKER, problems is None,
                   problems.partition("\n")[0] if problems else f"{MARKER}({_limits_text(limits)})")
    verdict_after_end(run.session, problems is None, _teardown_reason(problems) or "test passed",
                      ended_by_test=ended_by_test)
    return (semconv.END_FAIL if problems else semconv.END_SUCCESS), problems


def _limits_text(limits: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in limits.items())


def _teardown_reason(problems: str | None) -> str | None:
    if not problems:
        return None
    first = problems.partition("\n")[0]
    from agentops_otel.testing._pytest_outcome import REASON_CHARS

    return f"error in teardown: {first}"[:REASON_CHARS]
