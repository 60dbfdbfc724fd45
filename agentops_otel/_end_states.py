"""One rule for the spellings of an end state, shared by the side that writes them and every reader."""

from __future__ import annotations

from typing import Final, cast

from agentops_otel import config, semconv
from agentops_otel._cut import truncate_masked
from agentops_otel._guard import describe, type_name

_BY_NAME: Final = {s.lower(): s for s in semconv.END_STATES}


def canonical_end_state(value: object) -> str | None:
    """``Success``, ``Fail`` or ``Indeterminate`` for any case and surrounding spaces (an enum member by
    its value), else None: a state nobody defined must not be guessed at, least of all as a pass."""
    raw = value if isinstance(value, str) else getattr(value, "value", value)
    return _BY_NAME.get(raw.strip().lower()) if isinstance(raw, str) else None


def reason_text(reason: object) -> str | None:
    """An end reason as the text recorded: an exception as ``"Type: message"`` (masked, as one escaping
    a session is), anything else as ``str()``. Passing the exception or a status code itself is an easy
    slip; read as text here, it can't cost the session's root its summary.

    Masked here, where it becomes text, so the session object and every report that prints it hold what
    the span does: a credential-shaped run anywhere, and a dict's (AgentOps' ``ErrorEvent(details={...})``)
    secret-named values, which its ``str()`` would turn into prose no key rule can read."""
    if reason is None:
        return None
    if isinstance(reason, str):
        return _bounded(reason)
    if isinstance(reason, BaseException):
        return describe(reason)
    if isinstance(reason, _CONTAINERS):
        from agentops_otel._serialize import bounded  # not at import: readers share this module

        return str(bounded(reason, config.max_value_chars()))
    try:
        return _bounded(str(reason))
    except BaseException:  # the user's __str__: whatever it raises, the session still ends (see describe)
        return f"<unprintable {type_name(reason)}>"


def _bounded(text: str) -> str:
    """``text`` cut to the value bound, then masked: an end reason may be any size (an error page's text)."""
    return truncate_masked(text, config.max_value_chars())


_CONTAINERS: Final = (dict, list, tuple, set, frozenset)
"""Reasons read as data (their secret-named keys and pairs masked), not by their ``str()``."""


__all__ = ["canonical_end_state", "reason_text"]


_SUCCESS: Final = object()


def block_end(exc: BaseException | None) -> tuple[str, str | None]:
    """The end state and reason of a session whose block (``with``, a decorated function or generator) is left
    with ``exc`` (None: it finished). Sorted by the class the interpreter holds: ``isinstance()`` reads
    ``__class__`` through the exception's own ``__getattribute__``, outside any guard, and what that raised would
    replace the program's exception."""
    if exc is None:
        return semconv.END_SUCCESS, None
    kind = type(exc)
    if issubclass(kind, GeneratorExit):
        # In a generator (or coroutine) closed before it finished (``close()``, ``break``, a client gone, garbage
        # collection): nothing failed, and the run did not finish either.
        return semconv.END_INDETERMINATE, "stopped early: closed before it finished (GeneratorExit)"
    if issubclass(kind, SystemExit) and _exit_code(cast(SystemExit, exc)) is _SUCCESS:
        # sys.exit(0) inside the session: the program finishing as it meant to, not a failure
        return semconv.END_SUCCESS, "the program exited with status 0"
    if issubclass(kind, KeyboardInterrupt):
        # Ctrl-C: the run was stopped from outside, neither finished nor failed
        return semconv.END_INDETERMINATE, "interrupted (KeyboardInterrupt)"
    return semconv.END_FAIL, describe(exc)


def _exit_code(exc: SystemExit) -> object:
    """:data:`_SUCCESS` when the interpreter would exit with status 0 (``None``, ``0``, ``False``), else the
    status. Read without running any of the program's code (a status object's ``__eq__``, a subclass's
    property): its exit must reach it unchanged."""
    try:
        code = exc.code
    except Exception:
        return None
    if code is None or (isinstance(code, int) and int.__eq__(code, 0) is True):  # an IntEnum too, its == not run
        return _SUCCESS
    return code
