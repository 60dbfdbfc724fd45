"""Which file holds the test function pytest is running, as our pytest plugin says test by test: the session
fields a test's own code reads may refuse to back a verdict on nothing (``sessions._judged``), while the agent's
code reads them as in production. Its own module, importing nothing: a pytest run that never uses agentops_otel
pays no import of the SDK for it."""

from __future__ import annotations

import os

__all__ = ["current", "entering_test", "left_test"]

_test_file: str | None = None


def _path(name: str) -> str:
    return os.path.normcase(os.path.realpath(name))


def entering_test(test_file: str | None) -> str | None:
    """The running test's file from now on (None: no test function runs, e.g. a doctest); returns the one
    before, to put back when the test is over (a test that runs pytest inside, as ``pytester`` does)."""
    global _test_file
    before, _test_file = _test_file, None if test_file is None else _path(test_file)
    return before


def left_test(before: str | None) -> None:
    global _test_file
    _test_file = before


def current() -> str | None:
    """The running test function's file (normalised like :func:`same_file`'s argument), or None."""
    return _test_file


def same_file(code_file: str, test_file: str) -> bool:
    return _path(code_file) == test_file
