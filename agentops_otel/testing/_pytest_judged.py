"""Tells :mod:`agentops_otel.sessions._judged` which file holds the test pytest is running, so the session
fields a test's own code reads can refuse to back a verdict on nothing, while the agent's code reads them as
in production. Only a test function counts: a doctest runs the agent's own module."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from agentops_otel._test_file import entering_test, left_test

__all__ = ["NAME", "TestFiles"]

NAME = "agentops_otel.judged"


class TestFiles:
    """Registered by the plugin at configure time."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        before = entering_test(str(item.path) if isinstance(item, pytest.Function) else None)
        try:
            return (yield)
        finally:
            left_test(before)
