"""assert_error_in_step matches the exception class that was raised, not any class of the same name."""

from __future__ import annotations

import builtins
from collections.abc import Callable

import pydantic
import pytest

import agentops_otel as agentops
from agentops_otel import tool
from agentops_otel.testing import AgentAssertionError, assert_error_in_step
from agentops_otel.timeline import SessionSummary, Step, StepError, Timeline


class ValidationError(Exception):
    """The app's own error, named like pydantic's."""


class ConnectionError(Exception):
    """The app's own error, named like the builtin."""


@tool
def parse_order(text: str) -> dict[str, int]:
    raise ValidationError("bug in our own parser")


@tool
def fetch(url: str) -> str:
    raise ConnectionError("our pool is exhausted")


@tool
def read_config(path: str) -> str:
    raise FileNotFoundError(path)


def _run(fn: Callable[[str], object], arg: str) -> agentops.Session:
    with agentops.session("agent") as s:
        try:
            fn(arg)
        except Exception:
            pass  # the agent caught it; the step still failed
    return s


def test_a_class_from_another_module_does_not_match() -> None:
    """pydantic's ValidationError is wanted, the app's own was raised: the check fails naming both."""
    s = _run(parse_order, "2x widget")
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_error_in_step(s, "parse_order", pydantic.ValidationError)
    assert str(excinfo.value).startswith(
        "expected 'parse_order' to fail with pydantic_core._pydantic_core.ValidationError, but it failed with "
        f"{__name__}.ValidationError: bug in our own parser.")
    assert_error_in_step(s, "parse_order", ValidationError)


def test_a_builtin_does_not_match_an_app_class_of_its_name() -> None:
    """The builtin ConnectionError is wanted, the app's ConnectionError was raised: not the same."""
    s = _run(fetch, "http://x")
    with pytest.raises(AgentAssertionError, match=f"but it failed with {__name__}.ConnectionError"):
        assert_error_in_step(s, "fetch", builtins.ConnectionError)


def test_a_name_matches_in_any_module_and_a_full_name_only_its_own() -> None:
    """A bare name matches by name; a dotted one must be the recorded type or end it."""
    s = _run(parse_order, "2x widget")
    assert_error_in_step(s, "parse_order", "ValidationError")
    assert_error_in_step(s, "parse_order", f"{__name__}.ValidationError")
    with pytest.raises(AgentAssertionError):
        assert_error_in_step(s, "parse_order", "pydantic_core._pydantic_core.ValidationError")


def test_a_subclass_of_the_wanted_class_matches() -> None:
    """FileNotFoundError is an OSError, as `except OSError` would have it."""
    s = _run(read_config, "/etc/app.toml")
    assert_error_in_step(s, "read_config", OSError)
    with pytest.raises(AgentAssertionError):
        assert_error_in_step(s, "read_config", PermissionError)


def test_a_type_recorded_without_its_module_cannot_match_a_class_of_a_module() -> None:
    """Another instrumentation wrote only 'ValidationError': which one it was is unknown, so no match."""
    step = Step.build(kind="tool", name="parse_order", status="error",
                      error=StepError(type="ValidationError", message="bad", stacktrace=None, span_id="0" * 15 + "1"))
    summary = SessionSummary(
        session_id="s_1", name="agent", tags=(), end_state="Fail", end_reason=None, service_name="agent",
        trace_ids=("0" * 31 + "1",), root_span_id="a" * 16, parent_session_id=None, start_ns=1, duration_s=1.0,
        cost_usd=0.0, cost_complete=True, input_tokens=0, output_tokens=0, llm_calls=0, tool_calls=1,
        actions=0, errors=1, failed_step=step, complete=True, issues=())
    tl = Timeline(summary=summary, steps=(step,))
    with pytest.raises(AgentAssertionError, match="records no module"):
        assert_error_in_step(tl, "parse_order", pydantic.ValidationError)
    assert_error_in_step(tl, "parse_order", "ValidationError")


def test_a_tuple_of_classes_matches_any_of_them() -> None:
    """As with pytest.raises and isinstance, (KeyError, ValidationError) matches a step that raised either."""
    s = _run(parse_order, "x")
    assert_error_in_step(s, "parse_order", (KeyError, ValidationError))
    assert_error_in_step(s, "parse_order", (KeyError, "ValidationError"))


def test_a_tuple_that_matches_none_names_each_class_in_the_failure() -> None:
    """The failure says which classes were wanted and what the step raised instead."""
    s = _run(parse_order, "x")
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_error_in_step(s, "parse_order", (KeyError, TypeError))
    assert str(excinfo.value).startswith("expected 'parse_order' to fail with KeyError or TypeError, but it failed "
                                         f"with {__name__}.ValidationError: bug in our own parser.")


def test_an_exception_instance_as_error_type_is_a_usage_error() -> None:
    """error_type=ValueError("declined") is a TypeError naming error_type, not an AttributeError from inside."""
    s = _run(read_config, "app.toml")
    with pytest.raises(TypeError, match=r"^assert_error_in_step: error_type=ValueError\('declined'\) is not an "
                                        r"exception class: give"):
        assert_error_in_step(s, "read_config", ValueError("declined"))  # type: ignore[arg-type]
