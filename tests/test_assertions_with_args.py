"""``with_args`` judges only arguments that were recorded whole: a predicate is never handed arguments that
were not recorded, or a cut value as if it were what the agent passed (it gets a stand-in that refuses
every use, so a predicate that never reads it still judges the call)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import config, semconv
from agentops_otel._otlp_json import OTLPJsonFileExporter
from agentops_otel.read import read_otlp_file
from agentops_otel.reassemble import reassemble
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


@agentops.tool
def summarise(mode: str, document: str) -> str:
    return "ok"


def test_a_predicate_that_never_reads_the_cut_argument_is_judged() -> None:
    """Only the cut document is unknown: a predicate reading just the mode judges the call, as the dict form does."""
    with agentops.session("agent") as s:
        summarise("short", SCRIPT)
    assert_tool_called(s, "summarise", with_args=lambda a: a["mode"] == "short")
    assert_tool_called(s, "summarise", times=0, with_args=lambda a: a["mode"] == "long")
    with pytest.raises(AgentAssertionError, match=r"called 0 times\.\n"):
        assert_tool_called(s, "summarise", with_args=lambda a: a["mode"] == "long")


@pytest.mark.parametrize("reads", [
    lambda a: a["document"] == SCRIPT,
    lambda a: a["document"] != "",
    lambda a: "DROP TABLE" not in a["document"],
    lambda a: len(a["document"]) > 10,
    lambda a: a["document"].startswith("SELECT"),
    lambda a: str(a["document"]).startswith("SELECT"),
    lambda a: repr(a) != "",
    lambda a: a["document"] in {SCRIPT},
    lambda a: [line for line in a["document"]] != [],
    lambda a: a["document"][0] == "S",
    lambda a: "DROP" not in json.dumps(a),
    lambda a: a == {"mode": "short", "document": SCRIPT},
])
def test_a_predicate_that_reads_the_cut_argument_refuses(reads: object) -> None:
    """Whatever way the predicate reads the cut document, the call is not judged: the check names it and the limit."""
    with agentops.session("agent") as s:
        summarise("short", SCRIPT)
    with pytest.raises(AgentAssertionError, match=r"(?s)argument 'document' was cut.*AGENTOPS_OTEL_MAX_VALUE_CHARS"):
        assert_tool_called(s, "summarise", times=0, with_args=reads)


def test_a_predicate_that_swallows_its_read_of_a_cut_argument_still_refuses() -> None:
    """A predicate that caught the error of reading the cut value judged nothing it could see: refused."""
    def lenient(a: dict[str, str]) -> bool:
        try:
            return "DROP TABLE" in a["document"]
        except Exception:
            return False

    with agentops.session("agent") as s:
        summarise("short", SCRIPT)
    with pytest.raises(AgentAssertionError, match=r"argument 'document' was cut"):
        assert_tool_called(s, "summarise", times=0, with_args=lenient)


@agentops.tool
def charge(card_token: str, amount: int) -> str:
    return "ok"


def test_a_masked_argument_is_not_compared_as_if_it_differed() -> None:
    """card_token is recorded masked: with_args naming it cannot tell, so times=0 refuses (it passed, the
    masked value being "different") and the failure says the argument is masked."""
    with agentops.session("pay") as s:
        charge("tok_A", 5)
    with pytest.raises(AgentAssertionError, match=r"card_token.*masked"):
        assert_tool_called(s, "charge", with_args={"card_token": "tok_A"}, times=0)
    assert_tool_called(s, "charge", with_args={"amount": 5}, times=1)


def test_empty_with_args_matches_an_event_recorded_without_params() -> None:
    """record(ToolEvent(name=...)) with no params is a call with no arguments: with_args={} matches it."""
    with agentops.session("events") as s:
        agentops.record(agentops.ToolEvent(name="lookup"))
    assert_tool_called(s, "lookup", with_args={}, times=1)


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Query:
    text: str
    limit: int


@dataclasses.dataclass
class Login:
    user: str
    password: str


@agentops.tool
def search(q: object) -> list[str]:
    return []


@pytest.mark.parametrize("value", [
    datetime.date(2026, 1, 2), Query("hello", 5), Color.RED, decimal.Decimal("9.99"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"), ("a", 1), {"when": datetime.date(2026, 1, 2)},
], ids=repr)
def test_with_args_matches_the_very_object_the_tool_was_called_with(value: object) -> None:
    """An object recorded in its JSON form (a date as text, a dataclass as its fields) matches itself."""
    with agentops.session("agent") as s:
        search(value)
    assert_tool_called(s, "search", times=1, with_args={"q": value})


def test_with_args_failure_shows_the_expected_object_as_it_would_be_recorded() -> None:
    """The message shows both sides in the recorded form, so a test's author sees which field differs."""
    with agentops.session("agent") as s:
        search(Query("hello", 5))
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_tool_called(s, "search", with_args={"q": Query("hello", 6)})
    assert str(excinfo.value).startswith(
        """expected 'search' with arguments ⊇ q={"text": "hello", "limit": 6} to be called at least once, """
        "but it was called 0 times.\n'search' was called 1 time(s) with:\n"
        """  - {"q":{"text":"hello","limit":5}}""")


def test_an_object_with_a_masked_field_is_not_compared_as_if_it_matched() -> None:
    """Login's password is recorded masked: the expected object masked the same way cannot tell either."""
    with agentops.session("agent") as s:
        search(Login("ann", "hunter2"))
    with pytest.raises(AgentAssertionError, match=r"'q'.*masked"):
        assert_tool_called(s, "search", with_args={"q": Login("ann", "other")})


def test_a_mapping_keyed_by_a_masked_credential_is_not_compared_as_if_it_matched() -> None:
    """quotas={"sk-...A": 100} recorded with its key masked: another key with the same value cannot tell."""
    with agentops.session("agent") as s:
        search({"sk-proj-abcdefghijklmnopqrstuvwx": 100})
    with pytest.raises(AgentAssertionError, match=r"'q'.*masked"):
        assert_tool_called(s, "search", with_args={"q": {"sk-proj-zyxwvutsrqponmlkjihgfedc": 100}})


@pytest.fixture
def event_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Content captured on events (``event_only``) for this test only."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")


def test_with_args_judges_arguments_captured_on_the_event_only(event_only: None) -> None:
    """With event_only capture with_args still sees a tool's arguments: a match passes and a mismatch fails."""
    with agentops.session("agent") as s:
        delete_account("guest")
    assert_tool_called(s, "delete_account", with_args={"account": "guest"})
    with pytest.raises(AgentAssertionError, match=r"(?s)called 0 times.*'delete_account' was called 1 time\(s\) "
                                                  r'with:\n  - \{"account":"guest"\}') as err:
        assert_tool_called(s, "delete_account", with_args={"account": "admin"})
    assert "cannot be judged" not in str(err.value)


def test_with_args_judges_arguments_captured_on_the_event_only_read_back_from_the_trace(
        event_only: None, span_exporter: InMemorySpanExporter, tmp_path: Path) -> None:
    """A timeline read back from the trace file judges event_only arguments as the live session does."""
    with agentops.session("agent") as s:
        delete_account("guest")
    path = tmp_path / "traces.jsonl"
    OTLPJsonFileExporter(path).export(span_exporter.get_finished_spans())
    timeline = reassemble(read_otlp_file(path)).timeline_for(s.id)
    assert_tool_called(timeline, "delete_account", with_args=lambda a: a["account"] == "guest")
    with pytest.raises(AgentAssertionError, match="called 0 times"):
        assert_tool_called(timeline, "delete_account", with_args={"account": "admin"})


def test_with_args_refuses_with_capture_off_naming_capture(capture_off: None) -> None:
    """Content capture off: a dict with_args neither passes nor fails on a mismatch, it says capture is off."""
    with agentops.session("agent") as s:
        delete_account("admin")
    with pytest.raises(AgentAssertionError, match=r"(?s)cannot be judged.*not recorded.*CAPTURE_MESSAGE_CONTENT"):
        assert_tool_called(s, "delete_account", with_args={"account": "admin"})
