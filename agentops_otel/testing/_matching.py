"""How the assertions match a step: by name, by a subset of its recorded arguments (compared as JSON, so
``true`` is not ``1``) or a predicate, and by error type.

Pure functions of the recorded steps, shared by every assertion in :mod:`._assertions`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from agentops_otel._json_equal import same_json
from agentops_otel.timeline import Step, Timeline

__all__ = ["CALL_KINDS", "ArgsMatcher", "args_match", "calls_in", "describe_args", "error_type_name",
           "matches_name", "same_error_type", "unqualified_hint"]

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
    """The name an exception class is recorded under: ``module.Qualname``, bare for builtins (as the
    OpenTelemetry SDK and our spans write ``exception.type``)."""
    if isinstance(error_type, str):
        return error_type
    module = getattr(error_type, "__module__", None)
    name = error_type.__qualname__
    return f"{module}.{name}" if isinstance(module, str) and module and module != "builtins" else name


def _recorded_class(recorded: str) -> type | None:
    """The class a recorded type names, when its module is already imported (never imports one: the
    name may come from a trace read back from a backend)."""
    parts = recorded.split(".")
    for cut in range(len(parts) - 1, -1, -1):
        module = sys.modules.get(".".join(parts[:cut]) if cut else "builtins")
        if module is None:
            continue
        obj: Any = module
        for part in parts[cut:]:  # vars(), not getattr(): a module's __getattr__ may import
            try:
                obj = vars(obj).get(part)
            except TypeError:
                obj = None
        if isinstance(obj, type) and error_type_name(obj) == recorded:
            return obj
    return None


def same_error_type(recorded: str | None, wanted: type[BaseException] | str) -> bool:
    """A class matches the type recorded under its own full name, or a subclass of it the test process
    knows; a name written as a string matches a recorded type that is it or ends with it (``"ValidationError"``
    from any module). Only bare names of builtins are full names: another class recorded without its
    module (an instrumentation writing ``__qualname__`` to ``error.type``) can't be told from one of the
    same name elsewhere, and does not match a class."""
    if not recorded:
        return False
    if isinstance(wanted, str):
        return recorded == wanted or recorded.endswith("." + wanted)
    if recorded == error_type_name(wanted):
        return True
    found = _recorded_class(recorded)
    return found is not None and issubclass(found, wanted)


def unqualified_hint(recorded: str | None, wanted: type[BaseException] | str) -> str | None:
    """Why a type recorded under a bare name did not match a class of a module, and what would."""
    if not recorded or "." in recorded or isinstance(wanted, str):
        return None
    full = error_type_name(wanted)
    if "." not in full or full.rsplit(".", 1)[-1] != recorded:
        return None
    return (f"The step records no module for '{recorded}', so it can't be told from {full}; "
            f"pass the name '{recorded}' to match by name.")
