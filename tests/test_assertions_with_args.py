"""``with_args`` judges only arguments that were recorded whole: a predicate is never handed arguments that
were not recorded, or were cut, as if they were what the agent passed."""

from __future__ import annotations

import json

import pytest

import agentops_otel as agentops
from agentops_otel import config
from agentops_otel.testing import AgentAssertionError, assert_tool_called

SCRIPT = "SELECT * FROM invoices WHERE customer_id = 42;\n" * 120 + "DROP TABLE customers;\n"
"""A 5.6 kB SQL script whose dangerous statement sits past the 4096-character cut of a recorded value."""


@agentops.tool
def delete_account(account: str) -> None:
    pass


@agentops.tool
def run_sql(sql: str, database: str = "main") -> str:
    return "ok"


@pytest.fixture
def capture_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Content capture off, as ``init(capture_content=False)`` sets it, for this test only."""
    monkeypatch.setattr(config.state, "capture_override", config.ContentCapture.NO_CONTENT)


def test_a_predicate_is_not_judged_on_arguments_that_were_not_recorded(capture_off: None) -> None:
    """Content capture off: the predicate cannot pass on arguments nobody recorded."""
    with agentops.session("agent") as s:
        delete_account("admin")
    seen: list[object] = []

    def not_admin(args: object) -> bool:
        seen.append(args)
        return "admin" not in json.dumps(args)

    with pytest.raises(AgentAssertionError, match=r"(?s)arguments were not recorded.*CAPTURE_MESSAGE_CONTENT"):
        assert_tool_called(s, "delete_account", with_args=not_admin)
    assert seen == []


def test_a_predicate_is_not_judged_on_an_argument_cut_at_the_value_limit() -> None:
    """A script cut at the value limit is not the script: the predicate refuses, naming the argument."""
    with agentops.session("agent") as s:
        run_sql(SCRIPT)
    with pytest.raises(AgentAssertionError,
                       match=r"(?s)argument 'sql'.*was cut.*AGENTOPS_OTEL_MAX_VALUE_CHARS"):
        assert_tool_called(s, "run_sql", with_args=lambda a: "DROP TABLE" not in a["sql"])


def test_a_dict_still_matches_the_arguments_recorded_whole_beside_a_cut_one() -> None:
    """The dict form compares only the keys it names: a cut sibling neither passes nor blocks it."""
    with agentops.session("agent") as s:
        run_sql(SCRIPT, database="billing")
    assert_tool_called(s, "run_sql", with_args={"database": "billing"})
    with pytest.raises(AgentAssertionError, match=r"(?s)argument 'sql'.*was cut"):
        assert_tool_called(s, "run_sql", with_args={"sql": SCRIPT})


def test_a_predicate_still_finds_a_call_recorded_whole_beside_a_cut_one() -> None:
    """Finding a matching call among those recorded whole proves it ran, whatever was cut elsewhere."""
    with agentops.session("agent") as s:
        run_sql(SCRIPT)
        run_sql("DELETE FROM sessions;")
    assert_tool_called(s, "run_sql", with_args=lambda a: a["sql"].startswith("DELETE"))
    with pytest.raises(AgentAssertionError, match=r"argument 'sql'.*was cut"):
        assert_tool_called(s, "run_sql", times=1, with_args=lambda a: a["sql"].startswith("DELETE"))


def test_a_dict_with_an_exact_count_refuses_a_cut_argument() -> None:
    """'Never with this script' cannot pass when the script recorded was cut: it may be that one."""
    with agentops.session("agent") as s:
        run_sql(SCRIPT)
    with pytest.raises(AgentAssertionError, match=r"argument 'sql' was cut"):
        assert_tool_called(s, "run_sql", times=0, with_args={"sql": SCRIPT})


def test_an_exact_count_refuses_calls_whose_arguments_were_not_recorded(capture_off: None) -> None:
    """Content capture off: 'never called with account=admin' cannot pass on arguments nobody recorded."""
    with agentops.session("agent") as s:
        delete_account("admin")
    with pytest.raises(AgentAssertionError, match=r"arguments not recorded"):
        assert_tool_called(s, "delete_account", times=0, with_args={"account": "admin"})
