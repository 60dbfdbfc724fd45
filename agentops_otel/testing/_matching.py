"""How the assertions match a step: by name, by a subset of its recorded arguments (compared as JSON, so
``true`` is not ``1``) or a predicate, and by error type.

A dict of expected arguments goes through the same walk the recorded ones went through
(:func:`.bounded_arguments`), so the objects the tool was called with (a date, a dataclass, an enum)
match their recorded JSON form, and a failure shows both sides in that form.

Pure functions of the recorded steps, shared by every assertion in :mod:`._assertions`.
"""

from __future__ import annotations

import json
import operator
import re
import reprlib
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, SupportsIndex, TypeAlias

from agentops_otel import config, semconv
from agentops_otel._cut import MORE_KEY, TRUNCATED_MARKER, cut_marker
from agentops_otel._json_equal import same_json
from agentops_otel._redact import REDACTED
from agentops_otel._serialize import bounded_arguments
from agentops_otel.testing._unread import Unread
from agentops_otel.timeline import Step, Timeline

__all__ = ["CALL_KINDS", "ArgsMatcher", "ErrorType", "ErrorTypes", "args_match", "calls_in", "check_times",
           "describe_args", "error_type_name", "error_types", "expected_args", "matches_name", "same_error_type",
           "unjudged_lines", "unqualified_hint"]

NOT_RECORDED: Final = "arguments not recorded"
_NAMED = 10
"""How many calls that with_args could not judge a failure names; the rest are counted."""
_TRUNCATED_TAIL: Final = re.compile(re.escape(TRUNCATED_MARKER.split("{", 1)[0]) + r"\d+ chars\]$")

ArgsMatcher: TypeAlias = Mapping[str, Any] | Callable[[Any], bool]
"""A subset of the recorded arguments (``{"customer_id": None}``) or a predicate over them."""

ErrorType: TypeAlias = type[BaseException] | str
"""An exception class (it or a subclass matches) or a recorded type's name."""
ErrorTypes: TypeAlias = ErrorType | tuple[ErrorType, ...]
"""One error type, or a tuple of them of which any matches (as ``except`` and ``pytest.raises`` take)."""

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


def check_times(name: str, times: object) -> None:
    """Raise naming ``name`` unless ``times`` is a count: ``True`` (an int to Python) or ``"1"`` is a
    mistake in the test, and a verdict on it would judge a count nobody meant."""
    wanted = f"{name}={reprlib.repr(times)} is not a count: give an int of 0 or more (or None: at least once)"
    if isinstance(times, bool) or not isinstance(times, SupportsIndex):  # an int (numpy's too), not 1.0
        raise TypeError(wanted)
    if operator.index(times) < 0:
        raise ValueError(wanted)


def expected_args(name: str, with_args: object) -> ArgsMatcher:
    """A dict of expected arguments in the form the recorded ones take (walked as they were, not cut),
    or the predicate as given (it is handed the recorded arguments); raise naming ``name`` for anything else."""
    if callable(with_args):
        return with_args
    if isinstance(with_args, Mapping):
        plain: Mapping[str, Any] = bounded_arguments(dict(with_args), sys.maxsize)
        return plain
    raise TypeError(f"{name}={reprlib.repr(with_args)} is not a dict or a predicate: give a dict of the arguments "
                    "to match (a subset of the recorded ones) or a function of them returning a bool")


def error_types(name: str, error_type: object) -> tuple[ErrorType, ...]:
    """``error_type`` as the tuple of types of which any matches; raise naming ``name`` for anything that
    is not an exception class, a type name, or a non-empty tuple of them."""
    given = error_type if isinstance(error_type, tuple) else (error_type,)
    wanted = "give an exception class, a type name, or a tuple of them"
    if not given:
        raise ValueError(f"{name}=() names no error type: {wanted}")
    for one in given:
        if not (isinstance(one, str) or (isinstance(one, type) and issubclass(one, BaseException))):
            raise TypeError(f"{name}={reprlib.repr(error_type)} is not an exception class: {wanted}")
    return given


def _masked(value: Any) -> bool:
    """Whether plain data holds a masked value (a secret-named field, a credential-shaped run of text)."""
    if isinstance(value, str):
        return REDACTED in value
    if isinstance(value, Mapping):
        return any(_masked(k) or _masked(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_masked(v) for v in value)
    return False


def _subset(expected: Any, actual: Any) -> bool | None:
    """Dicts match when every expected key matches recursively; anything else by equality. None when
    it cannot be told: what the expected value would be compared with was cut, or is past a cut, or was
    masked (masked alike on both sides, two different secrets look the same)."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return None if actual == REDACTED or cut_marker(actual) is not None else False
        unknown = False
        for key, value in expected.items():
            found = _subset(value, actual[key]) if key in actual else None if MORE_KEY in actual else False
            if found and isinstance(key, str) and REDACTED in key:
                found = None  # a credential used as a key, masked alike on both sides: two keys look the same
            if found is False:
                return False
            unknown = unknown or found is None
        return None if unknown else True
    if actual == REDACTED or cut_marker(actual) is not None:
        return None  # masked or cut: neither "different" nor the same
    if same_json(expected, actual):
        return None if _masked(expected) else True
    return False


def args_match(step: Step, with_args: ArgsMatcher) -> bool | str:
    """Whether the step's recorded arguments match, or why that cannot be told (a predicate is never
    called on arguments that were not recorded, or not whole: it would judge what the agent never passed)."""
    if step.input is None:
        return NOT_RECORDED
    args = _named_arguments(step, _parse(step.input))
    if callable(with_args):
        return _predicate_match(args, with_args)
    if args is None and not with_args:
        return True  # an event recorded without params: a call with no arguments, which {} describes
    found = _subset(with_args, args)
    if found is None:
        return (_masked_argument(args, with_args) or _cut_argument(args, with_args.keys())
                or _cut_argument(args) or "arguments not recorded whole")
    return found


def _named_arguments(step: Step, args: Any) -> Any:
    """OpenLLMetry's ``@tool`` records a call as ``{"args": [...], "kwargs": {...}}``: a call made with
    keywords only is judged by its arguments' names, as the tool's signature gives them (positional ones
    have no name to judge by: the record stays as written)."""
    attrs = step.attributes
    if semconv.TL_ENTITY_INPUT not in attrs or semconv.GEN_AI_TOOL_CALL_ARGUMENTS in attrs:
        return args
    keywords = args.get("kwargs") if isinstance(args, Mapping) and len(args) == 2 and args.get("args") == [] else None
    if isinstance(keywords, Mapping):
        return keywords
    return args


def _masked_argument(args: Any, expected: Mapping[str, Any]) -> str | None:
    """Which expected argument was recorded masked (a secret-named argument), or has a masked part that
    could not be compared: no value can be compared with what was masked."""
    if isinstance(args, Mapping):
        for key, value in expected.items():
            if args.get(key) == REDACTED:
                return (f"argument {key!r} is masked in the recording (a secret-named argument, or a "
                        "credential-shaped value): leave it out of with_args")
            if key in args and _masked(args[key]) and _subset(value, args[key]) is None:
                return (f"argument {key!r} is masked in part in the recording (a secret-named field, or a "
                        "credential-shaped run of text): leave it out of with_args, or match an object's other "
                        "fields with a dict")
    return None


def _predicate_match(recorded: Any, predicate: Callable[[Any], bool]) -> bool | str:
    """The predicate's verdict on the arguments with each cut value a stand-in (:class:`Unread`): judged
    when it never used one; refused, naming the argument, when it used one (even if it caught the error)
    or raised with one among them (a use Python makes without asking the object, such as
    ``x in "text"``, raises without being seen)."""
    reads: list[str] = []
    if not isinstance(recorded, Mapping) or MORE_KEY in recorded:
        # Cut whole, or past the first arguments: which argument a predicate reads can't be told apart
        # from one that was dropped.
        cut = _cut_argument(recorded)
        if cut is not None:
            return cut
        cut_keys: list[str] = []
        args = recorded
    else:
        cut_keys = [key for key, value in recorded.items() if cut_marker(value) is not None]
        args = {key: Unread(key, reads) if key in cut_keys else value for key, value in recorded.items()}
    try:
        verdict = bool(predicate(args))
    except Exception:
        verdict = None
    if cut_keys and (reads or verdict is None):
        return _cut_argument(recorded, reads[:1] or cut_keys[:1]) or "arguments not recorded whole"
    return bool(verdict)


def _cut_argument(args: Any, keys: Iterable[str] | None = None) -> str | None:
    """Which argument (of ``keys``, or any) was not recorded whole, and the marker standing for the cut."""
    if isinstance(args, Mapping):
        for key in args if keys is None else keys:
            if key == MORE_KEY or key not in args:
                continue
            marker = cut_marker(args[key])
            if marker is not None:
                return f"argument {key!r} was cut ({_marker_text(marker)})"
        if MORE_KEY in args:
            return f"arguments past the first {len(args) - 1} were cut ({_marker_text(str(args[MORE_KEY]))})"
        return None
    marker = cut_marker(args)
    return None if marker is None else f"the arguments were cut ({_marker_text(marker)})"


def _marker_text(marker: str) -> str:
    tail = _TRUNCATED_TAIL.search(marker)
    return tail.group() if tail else marker if len(marker) <= 80 else marker[:79] + "…"


def unjudged_lines(name: str, unjudged: Sequence[str]) -> list[str]:
    """Why ``with_args`` could not judge some calls of ``name``, and how to record what it needs."""
    lines = [f"{len(unjudged)} call(s) of '{name}' cannot be judged by with_args: their arguments were not "
             "recorded whole:", *(f"  - {why}" for why in unjudged[:_NAMED])]
    if len(unjudged) > _NAMED:
        lines.append(f"  - and {len(unjudged) - _NAMED} more")
    if NOT_RECORDED in unjudged:
        lines.append(f"Arguments are recorded only with content capture on "
                     f"({semconv.ENV_CAPTURE_CONTENT}=span_only, event_only or span_and_event).")
    if len(unjudged) > unjudged.count(NOT_RECORDED):
        lines.append(f"Each value is recorded up to {semconv.ENV_MAX_VALUE_CHARS} = {config.max_value_chars()} "
                     "characters (raise it to record longer ones whole); a dict with_args matches the "
                     "arguments that were recorded whole.")
    return lines


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
