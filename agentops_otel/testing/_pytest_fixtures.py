"""Sessions a module-, class-, package- or session-scoped fixture starts are the fixture's, not the test's.

The plugin ends the sessions a test left open before the next test starts, so a crashed agent cannot
swallow the next test's sessions. A wider fixture's session is open on purpose across tests (one
conversation over a module's turns): ending it after the first test would lose every later step and the
fixture's own ``end_session()``. So the sessions started while such a fixture sets up are noted with it;
the plugin leaves them alone while the fixture lives, and ends one only if it is still open once the
fixture has been torn down.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Final

import pytest

from agentops_otel import semconv
from agentops_otel._guard import guard

if TYPE_CHECKING:
    from agentops_otel.processor import _LiveSession
    from agentops_otel.sessions import Session

__all__ = ["NAME", "FixtureSessions", "clear_last_session", "end_left_open", "live_sessions"]

NAME: Final = "agentops_otel.fixture_sessions"
"""The plugin's name in pytest's plugin manager."""


def live_sessions() -> list[_LiveSession]:
    """Every session open in the process: none while the module that registers them was never imported.

    Asked around every test and wider fixture, opted in or not: importing the sessions for that would
    load the OpenTelemetry SDK into every run of a project that never asks for the plugin.
    """
    if "agentops_otel.processor" not in sys.modules:
        return []
    from agentops_otel.processor import live_sessions as registered

    return registered()


def end_left_open(nodeid: str, before: frozenset[str], own: Session | None, fixtures: object) -> None:
    """End, innermost first, the sessions test ``nodeid`` started and left open, so the next test's are
    not nested; ``before`` are the ids open when its setup began, ``own`` the plugin's session of it.

    A fixture whose teardown broke, or an agent that crashed before ``end_session()``, leaves its
    session open in the context the next test runs in; every later session would become its child.
    A session a wider-scoped fixture started (its setup ran during this test's) is that fixture's while
    it lives (:class:`FixtureSessions`). Under a runner that runs tests at once in threads, another
    running test's session, and the sessions nested in it, are that test's.
    """
    for s in reversed(live_sessions()):
        if isinstance(fixtures, FixtureSessions) and fixtures.owned_by_live_fixture(s.id):
            continue
        if _another_tests(s, own):
            continue
        if s.id not in before and s is not own and not s.ended:
            with guard("pytest_plugin.end_left_open"):
                s.end(semconv.END_INDETERMINATE, f"{semconv.NEVER_ENDED}: left open by test {nodeid}, "
                                                 "ended by the pytest plugin")


def clear_last_session() -> None:
    """``get_session()`` must not find the previous test's session (none if sessions were never imported)."""
    if "agentops_otel.sessions" in sys.modules:
        from agentops_otel.sessions import clear_last_session as clear

        clear()


def _another_tests(session: object, own: Session | None) -> bool:
    """Whether ``session`` runs in the plugin's session of a test other than this one (a test running at
    the same time, in another thread)."""
    from agentops_otel.sessions import Session
    from agentops_otel.sessions._lifecycle import harness_session

    if not isinstance(session, Session):
        return False
    test = harness_session(session)
    return test is not None and test is not own and not test.ended


class FixtureSessions:
    """Which open sessions belong to a fixture wider than one test."""

    def __init__(self) -> None:
        self._owned: dict[str, tuple[Any, Session]] = {}
        """Session id -> (the ``FixtureDef`` whose setup started it, the session)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: pytest.FixtureRequest) -> Generator[None, Any, Any]:
        if fixturedef.scope == "function":  # the test's: ended with it, as before
            return (yield)
        before = {s.id for s in live_sessions()}
        result = yield  # a setup that raised owns nothing alive: what it started stays the test's, ended with it
        with guard("pytest_plugin.fixture_sessions"):
            for s in live_sessions():
                from agentops_otel.sessions import Session  # loaded, since a session is open

                # The fixtures it depends on set up before this hook; one it pulls in dynamically
                # claimed its own sessions first.
                if s.id not in before and s.id not in self._owned and isinstance(s, Session):
                    self._owned[s.id] = (fixturedef, s)
        return result

    def pytest_fixture_post_finalizer(self, fixturedef: Any, request: pytest.FixtureRequest) -> None:
        """The fixture was torn down: a session it started and never ended is left open, ended here."""
        mine = [sid for sid, (owner, _) in self._owned.items() if owner is fixturedef]
        for sid in reversed(mine):  # innermost first
            _, session = self._owned.pop(sid)
            if not session.ended:
                with guard("pytest_plugin.end_left_open"):
                    session.end(semconv.END_INDETERMINATE,
                                f"{semconv.NEVER_ENDED}: left open by fixture {fixturedef.argname!r} "
                                f"({fixturedef.scope} scope), ended by the pytest plugin")

    def owned_by_live_fixture(self, session_id: str) -> bool:
        """Whether a fixture still set up (not yet torn down) started this session."""
        entry = self._owned.get(session_id)
        cached = None if entry is None else entry[0].cached_result
        return cached is not None and (len(cached) < 3 or cached[2] is None)  # (value, key, exception info)
