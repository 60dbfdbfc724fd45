"""How the assertions match a step: by name, by a subset of its recorded arguments (compared as JSON, so
``true`` is not ``1``) or a predicate, and by error type.

Pure functions of the recorded steps, shared by every assertion in :mod:`._assertions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from agentops_otel._json_equal import same_json
from agentops_otel.timeline import Step, Timeline

__all__ = ["CALL_KINDS", "ArgsMatcher", "args_match", "calls_in", "describe_args", "error_type_name",
           "matches_name", "same_error_type"]

ArgsMatcher: TypeAlias = Mapping[str, Any] | Callable[[Any], bool]
"""A subset of the recorded arguments (``{"customer_id": None}``) or a predicate over them."""

CALL_KINDS = ("tool", "action")
"""Steps that count as "called": ``@tool`` / ``execute_tool`` spans and actions (``@record_action``,
``record(ActionEvent(...))``)."""


def calls_in(timeline: Timeline) -> list[Step]:
    return [s for s in timeline.steps if s.kind in CALL_KINDS]


def matches_name(step: Step, name: str) -> bool:
    return name in (step.name, step.span_name)


def _parse(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _subset(expected: Any, actual: Any) -> bool:
    """Dicts match when every expected key matches recursively; anything else by equality."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            k in actual and _subset(v, actual[k]) for k, v in expected.items())
    return same_json(expected, actual)


def args_match(step: Step, with_args: ArgsMatcher) -> bool:
    args = _parse(step.input)
    if callable(with_args):
        try:
            return bool(with_args(args))
        except Exception:
            return False
    return _subset(with_args, args)


def describe_args(with_args: ArgsMatcher) -> str:
    if callable(with_args):
        return f"arguments satisfying {getattr(with_args, '__name__', repr(with_args))}"
    return "arguments ⊇ " + ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in with_args.items())


def error_type_name(error_type: type[BaseException] | str) -> str:
    return error_type if isinstance(error_type, str) else error_type.__qualname__


def same_error_type(recorded: str | None, wanted: type[BaseException] | str) -> bool:
    if recorded is None:
        return False
    name = error_type_name(wanted)
    return recorded == name or recorded.rsplit(".", 1)[-1] == name.rsplit(".", 1)[-1]
