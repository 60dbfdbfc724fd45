"""Fixtures wider than one test (module-, class-, package- or session-scoped) are not that test's.

The plugin ends the sessions a test left open before the next test starts, so a crashed agent cannot
swallow the next test's sessions. A wider fixture's session is open on purpose across tests (one
conversation over a module's turns): ending it after the first test would lose every later step and the
fixture's own ``end_session()``. So the sessions started while such a fixture sets up are noted with it;
the plugin leaves them alone while the fixture lives, and ends one only if it is still open once the
fixture has been torn down.

With a session per test, the wider fixture sets up during the first test that asks for it and is torn
down during the last one. Run in that test's context, its session would be nested in the first test's
(and ended with it: "parent session ended first"), and its teardown's ``end_session()`` would end the
last test's. So its setup runs in the context the test's session started in (the test's session and
what the test layered on it detached), its teardown in the context its setup left (its own session
current), and the ``agent_cost_limit`` marker of either test does not count what it spends there. The
test's own context is back for the test afterwards: its body is in its session, as documented.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Final

import pytest
from opentelemetry import context as otel_context

from agentops_otel import semconv
from agentops_otel._guard import guard
from agentops_otel.processor import SESSION_CONTEXT_KEY, live_sessions
from agentops_otel.sessions import Session
from agentops_otel.sessions._context import returning_context

if TYPE_CHECKING:
    from agentops_otel.pytest_plugin import _TestRun

__all__ = ["NAME", "FixtureSessions"]

NAME: Final = "agentops_otel.fixture_sessions"
"""The plugin's name in pytest's plugin manager."""


class _Outside:
    """A stretch a wider fixture runs outside the current test: its context swapped in, the test's spend paused."""

    def __init__(self, run: _TestRun | None, ctx: otel_context.Context | None) -> None:
        self._token = otel_context.attach(ctx) if ctx is not None else None
        self._spend = run.spend if run is not None else None
        self._open_at_pause = self._spend.pause() if self._spend is not None else set()

    def leave(self) -> None:
        if self._token is not None:
            otel_context.detach(self._token)
        if self._spend is not None:
            self._spend.resume(self._open_at_pause)


class _Teardown:
    """Runs a wider fixture's teardown, when a test with its own session tears it down, in the context its
    setup left. pytest runs a fixture's finalizers last-added first: :meth:`enter` is added after the
    fixture's own, :meth:`leave` before them."""

    def __init__(self, fixtures: FixtureSessions) -> None:
        self._fixtures = fixtures
        self.ctx: otel_context.Context | None = None
        self._outside: _Outside | None = None

    def enter(self) -> None:
        run = self._fixtures._run()
        if run is not None:
            self._outside = _Outside(run, self.ctx)

    def leave(self) -> None:
        if self._outside is not None:
            self._outside.leave()
            self._outside = None


class FixtureSessions:
    """Which open sessions belong to a fixture wider than one test, and the context such a fixture runs in."""

    def __init__(self) -> None:
        self._owned: dict[str, tuple[Any, Session]] = {}
        """Session id -> (the ``FixtureDef`` whose setup started it, the session)."""
        self._item: pytest.Item | None = None
        """The test running now: its fixtures set up and torn down within its protocol."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self._item = item
        try:
            return (yield)
        finally:
            self._item = None

    def _run(self) -> _TestRun | None:
        """The opted-in test running now (its session may have started late, with ``agent_session``)."""
        from agentops_otel.pytest_plugin import _RUN

        return self._item.stash.get(_RUN, None) if self._item is not None else None

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: pytest.FixtureRequest) -> Generator[None, Any, Any]:
        if fixturedef.scope == "function":  # the test's: nested in its session and ended with it, as documented
            return (yield)
        run = self._run()
        teardown = _Teardown(self)
        fixturedef.addfinalizer(teardown.leave)  # before the fixture adds its own: run after it
        outside = _Outside(run, _outside_of(run))
        before = {s.id for s in live_sessions()}
        try:
            return (yield)
        finally:
            after = otel_context.get_current()
            outside.leave()
            with guard("pytest_plugin.fixture_sessions"):
                for s in live_sessions():
                    # The fixtures it depends on set up before this hook; one it pulls in dynamically
                    # claimed its own sessions first.
                    if s.id not in before and s.id not in self._owned and isinstance(s, Session):
                        self._owned[s.id] = (fixturedef, s)
            teardown.ctx = after
            fixturedef.addfinalizer(teardown.enter)  # after the fixture's own: run before it

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
        return entry is not None and entry[0].cached_result is not None


def _outside_of(run: _TestRun | None) -> otel_context.Context | None:
    """The context the test's session started in, if that session is current here (or encloses the current one)."""
    if run is None:
        return None
    current = otel_context.get_value(SESSION_CONTEXT_KEY)
    while isinstance(current, Session):
        if current is run.session:
            return returning_context(run.session)
        current = current.parent
    return None
