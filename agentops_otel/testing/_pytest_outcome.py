"""The pytest plugin's reading of a test's outcome, and how it reaches the test's session.

The outcome becomes the session's end state and a ``pytest`` verdict. When the code under test already
ended the test's session (ported AgentOps code calls ``end_session("Success")`` at the end of its agent
run), the root span is frozen: a failure is then recorded as a verdict span marked to end the session
``Fail`` after all (``semconv.VERDICT_END_STATE``), which is what the gate, ``sessions`` and ``replay``
read. A failing test must never count as a passing session.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import pytest

from agentops_otel import semconv
from agentops_otel._guard import guard
from agentops_otel.sessions import Session

__all__ = ["REASON_CHARS", "crash", "end_with_outcome", "outcome", "subtest_failure", "verdict_after_end"]

REASON_CHARS: Final = 300
_QUALIFIED: Final = re.compile(r"^(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*: )")
"""``agentops_otel.testing._assertions.AgentAssertionError: ...``: the class name is enough in a reason."""
_VERDICTS: Final = {semconv.END_SUCCESS: True, semconv.END_FAIL: False, semconv.END_INDETERMINATE: None}


def outcome(reports: dict[str, pytest.TestReport], teardown_error: str | None,
            failed_subtests: Sequence[str] = ()) -> tuple[str, str | None]:
    """The end state and reason the phases' reports (and the failed subtests, see :func:`subtest_failure`)
    give the test's session.

    A failing ``unittest`` ``subTest`` leaves the test's own call report passed (pytest fails the run on
    the subtest's report alone), so the subtests count on their own; the first one failed before the
    body ended, so it names the failure.
    """
    setup, call = reports.get("setup"), reports.get("call")
    if setup is not None and setup.failed:
        return semconv.END_FAIL, f"error in setup: {crash(setup)}"
    if failed_subtests:
        more = len(failed_subtests) - 1
        reason = f"test failed: {failed_subtests[0]}"
        suffix = f" (and {more} more failed subtest{'s' if more > 1 else ''})" if more else ""
        return semconv.END_FAIL, reason[:REASON_CHARS - len(suffix)] + suffix
    if call is not None and call.failed:
        return semconv.END_FAIL, f"test failed: {crash(call)}"
    if teardown_error is not None:
        return semconv.END_FAIL, teardown_error
    skipped = call if call is not None and call.skipped else setup if setup is not None and setup.skipped \
        else None
    if skipped is not None:
        xfail = getattr(skipped, "wasxfail", None)
        if xfail is not None:
            return semconv.END_INDETERMINATE, "expected failure (xfail)" + (f": {xfail}" if xfail else "")
        return semconv.END_INDETERMINATE, f"test skipped: {crash(skipped)}"
    return semconv.END_SUCCESS, None


def subtest_failure(report: pytest.TestReport) -> str | None:
    """``subtest (prompt='invoice') failed: AssertionError: ...`` for a failed subtest's report, else None.

    pytest (9's ``subtests`` fixture and ``unittest`` ``subTest``, as the ``pytest-subtests`` plugin
    before it) reports each subtest as a ``when == "call"`` report carrying a ``context`` with the
    subtest's ``msg`` and ``kwargs``; the test's own call report has none.
    """
    context = getattr(report, "context", None)
    if context is None or report.when != "call" or not report.failed:
        return None
    msg, kwargs = getattr(context, "msg", None), getattr(context, "kwargs", None) or {}
    parts = ([f"[{msg}]"] if msg is not None else []) + (
        [f"({', '.join(f'{k}={v}' for k, v in dict(kwargs).items())})"] if kwargs else [])
    return f"subtest {' '.join(parts) or '(<subtest>)'} failed: {crash(report)}"


def crash(report: pytest.TestReport) -> str:
    """The one line pytest itself would summarise the outcome with."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # skips: (path, line, "Skipped: reason")
        text = str(longrepr[2]).removeprefix("Skipped: ")
    else:
        found = getattr(longrepr, "reprcrash", None)
        # A missing fixture has no crash line, only its error string.
        text = str(getattr(found, "message", "") or getattr(longrepr, "errorstring", "") or longrepr
                   or report.outcome)
    first = text.strip().splitlines()[0] if text.strip() else report.outcome
    return _QUALIFIED.sub(r"\1", first)[:REASON_CHARS]


def end_with_outcome(session: Session, state: str, reason: str | None) -> None:
    """End the test's session with the outcome, its verdict on the root while it can still take events;
    a session the code under test already ended gets the verdict after its end."""
    from agentops_otel.testing._verdicts import record_verdict

    if session.ended:
        verdict_after_end(session, _VERDICTS[state], reason or "test passed", ended_by_test=True)
        return
    record_verdict(session, semconv.EVAL_NAME_PYTEST, _VERDICTS[state], reason or "test passed")
    with guard("pytest_plugin.end_session"):
        session.end(state, reason)


def verdict_after_end(session: Session, passed: bool | None, reason: str, *, ended_by_test: bool) -> None:
    """The ``pytest`` verdict on an ended session; a failure of one that ended otherwise ends it Fail for
    readers, ``reason`` for its end reason (saying what it had ended as when the test ended it)."""
    from agentops_otel.testing._verdicts import record_failure_after_end, record_verdict

    ended_as = session.end_state
    if passed is False and ended_as != semconv.END_FAIL:
        why = f"{reason} (the session had been ended {ended_as} by the code under test)" if ended_by_test else reason
        record_failure_after_end(session, semconv.EVAL_NAME_PYTEST, reason, why)
    else:
        record_verdict(session, semconv.EVAL_NAME_PYTEST, passed, reason)
