"""pytest plugin: each opted-in test runs inside an agent session, and a failing test shows its replay.

Opt in per test by asking for the ``agent_session`` fixture or by marking it
``@pytest.mark.agent_cost_limit(...)``, or for every test with ``agentops_session_per_test = true`` in
the ini file. The plugin is installed with the package (``pytest11``), so in a project that does none
of this it must stay invisible: no session, no ``init()``, no change to any report, and no import of
the OpenTelemetry SDK, the exporters, the readers or the replay machinery until a test opts in (they
cost a run ~0.2-0.5 s): every hook that runs for each test imports only this module's light neighbours.

A test's session is named after the test and tagged ``test`` and its node id. It starts before the
test's fixtures are set up and ends after they are torn down, so an agent started by a fixture or by
the test is nested in it: its spans, cost and errors count for the test, and the failure report can
show the whole story. The end state mirrors the outcome (``Fail`` for a failure or an error,
``Indeterminate`` for a skip, ``Success`` otherwise), which is what a CI gate on the session failure
rate then reads from the backend. The outcome (and the ``agent_cost_limit`` marker's verdict) is also
recorded on the session as a ``gen_ai.evaluation.result`` event (see ``testing._verdicts``).

The marker bounds everything the test's session records, so it is judged last, on the ended
session's totals: a model call made in a fixture's teardown, or a stream the test left open, counts.
A thread does not inherit the test's session, so the marker also counts a session started during the
test outside it and model calls made outside any session (``testing._cost_limit``).
A bound the test body already broke fails the test there; one broken only afterwards fails its
teardown (pytest's "ERROR at teardown"), with the same message.
The marker's side of the plugin is ``testing._pytest_cost_limit``; the replay section under a failure,
``testing._pytest_section``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from agentops_otel import semconv
from agentops_otel._guard import describe
from agentops_otel.testing._pytest_cost_limit import MARKER, end_judged, fail_if_broken, limits, marker_help, spend
from agentops_otel.testing._pytest_fixtures import clear_last_session, live_sessions
from agentops_otel.testing._pytest_section import section

if TYPE_CHECKING:
    from agentops_otel.sessions import Session
    from agentops_otel.testing._cost_limit import Spend
    from agentops_otel.testing._variations import VariationReport

INI_PER_TEST = "agentops_session_per_test"
FIXTURE = "agent_session"
SECTION = "agentops session replay"
"""Shown as ``Captured agentops session replay teardown`` under the failure (``setup`` for errors there)."""
TEST_TAG = "test"


@dataclass
class _TestRun:
    """What the plugin keeps about one opted-in test between its phases."""

    session: Session
    reports: dict[str, pytest.TestReport] = field(default_factory=dict)
    spend: Spend | None = None
    """What a marked test spent (its session, and what a thread its context missed spent), watched from the start."""
    replay_shown: bool = False
    """The section went on the setup report already."""
    replay_in_message: bool = False
    """The test failed on an agent assertion, whose message carries a replay: the section stays short."""
    outcome_recorded: bool = False
    """The plugin ended the session with the outcome already (a setup error ends it at once)."""
    failed_subtests: list[str] = field(default_factory=list)
    """What each failed subtest said (its report passes the test's own call report by)."""


_RUN = pytest.StashKey[_TestRun]()
_BY_NODEID: dict[str, _TestRun] = {}
"""The opted-in tests running now: a subtest's report names its test by node id only."""
_LIVE_BEFORE = pytest.StashKey[frozenset[str]]()
"""Ids of the sessions already open when the test's setup began (not the test's to end)."""
_initialised = False


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    from agentops_otel.testing import _pytest_replay

    _pytest_replay.add_options(parser, pluginmanager)
    parser.addini(INI_PER_TEST, type="bool", default=False,
                  help="agentops_otel: run every test inside its own agent session "
                       "(Fail/Success/Indeterminate from the outcome, replay in failure reports)")


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(parser: pytest.Parser) -> Generator[None, None, None]:
    """``--record-mode`` once every plugin's and the root conftest's options are in (see ``add_alias``)."""
    result = yield
    from agentops_otel.testing import _pytest_replay

    _pytest_replay.add_alias(parser)
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    from agentops_otel.testing import _pytest_replay

    _pytest_replay.keep_old_dest(config)


def pytest_configure(config: pytest.Config) -> None:
    from agentops_otel.testing import _pytest_replay

    config.addinivalue_line("markers", _pytest_replay.marker_help())
    config.pluginmanager.register(_pytest_replay.ReplayPlugin(), "agentops_otel.replay")
    from agentops_otel.testing import _pytest_fixtures

    config.pluginmanager.register(_pytest_fixtures.FixtureSessions(), _pytest_fixtures.NAME)
    from agentops_otel.testing import _pytest_variations

    config.pluginmanager.register(_pytest_variations.VariationsSummary(), "agentops_otel.variations")
    from agentops_otel.testing import _pytest_judged

    config.pluginmanager.register(_pytest_judged.TestFiles(), _pytest_judged.NAME)
    config.addinivalue_line("markers", marker_help())


def pytest_unconfigure(config: pytest.Config) -> None:
    if _initialised:  # bounded by AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS; the rest goes to the local file
        from agentops_otel.export import drain

        drain()


def _wanted(item: pytest.Item) -> bool:
    return bool(
        item.config.getini(INI_PER_TEST)
        or FIXTURE in getattr(item, "fixturenames", ())
        or item.get_closest_marker(MARKER) is not None
    )


def _start(item: pytest.Item) -> _TestRun:
    """Set up once, then open the test's session in the context the test and its fixtures run in."""
    global _initialised
    if not _initialised:
        import agentops_otel

        agentops_otel.init()
        _initialised = True
    from agentops_otel.sessions._lifecycle import start_harness_session

    run = _TestRun(start_harness_session(item.name, [TEST_TAG, item.nodeid]))
    item.stash[_RUN] = _BY_NODEID[item.nodeid] = run
    if item.get_closest_marker(MARKER) is not None:
        spend(run).start()  # stopped by _finish, after the last judgement
    return run


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    item.stash[_LIVE_BEFORE] = frozenset(s.id for s in live_sessions())
    if _wanted(item) and _RUN not in item.stash:
        _start(item)
    result = yield
    limits(item)  # a misspelt or NaN limit fails here, before the test spends anything
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """A bound the body broke fails the test here (totals only grow); the final judgement is
    :func:`~agentops_otel.testing._pytest_cost_limit.end_judged`."""
    result = yield
    run = item.stash.get(_RUN, None)
    bounds = limits(item)
    if run is not None and bounds is not None:
        fail_if_broken(run, bounds)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
        None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # pytest's documented recipe, done for every test: fixtures read request.node.rep_call.failed.
    setattr(item, f"rep_{report.when}", report)
    run = item.stash.get(_RUN, None)
    if run is None:
        return report
    run.reports[report.when] = report
    if report.when == "call" and call.excinfo is not None:
        from agentops_otel.testing._assertions import AgentAssertionError

        run.replay_in_message = isinstance(call.excinfo.value, AgentAssertionError)
    if report.when == "setup" and report.failed:
        # The test will not run and pytest prints setup errors without their teardown sections:
        # end the session now and put the replay on this report.
        from agentops_otel.testing._pytest_outcome import crash

        _end(run, semconv.END_FAIL, f"error in setup: {crash(report)}")
        report.sections.append((f"Captured {SECTION} setup", section(run.session, run.replay_in_message)))
        run.replay_shown = True
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A failed subtest fails its test's session (see ``_pytest_outcome.subtest_failure``)."""
    run = _BY_NODEID.get(report.nodeid)
    if run is not None and report.failed:
        from agentops_otel.testing._pytest_outcome import subtest_failure

        failure = subtest_failure(report)
        if failure is not None:
            run.failed_subtests.append(failure)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[
        None, None, None]:
    try:
        result = yield
    except BaseException as exc:
        _end_left_open(item)
        _finish(item, f"error in teardown: {describe(exc)}")
        raise
    _end_left_open(item)
    _finish(item, None)
    return result


def _end_left_open(item: pytest.Item) -> None:
    """End the sessions this test started and left open (see ``_pytest_fixtures.end_left_open``)."""
    from agentops_otel.testing._pytest_fixtures import NAME, end_left_open

    run = item.stash.get(_RUN, None)
    own = run.session if run is not None else None
    end_left_open(item.nodeid, item.stash.get(_LIVE_BEFORE, frozenset()), own,
                  item.config.pluginmanager.get_plugin(NAME))
    if own is None:
        clear_last_session()


def _finish(item: pytest.Item, teardown_error: str | None) -> None:
    """End the test's session from the phases' reports; on failure, attach the replay."""
    run = item.stash.get(_RUN, None)
    if run is None:
        return
    del item.stash[_RUN]
    _BY_NODEID.pop(item.nodeid, None)
    from agentops_otel.testing._pytest_outcome import outcome

    state, reason = outcome(run.reports, teardown_error, run.failed_subtests)
    bounds = limits(item) if state == semconv.END_SUCCESS else None
    problems = None
    try:
        if bounds is None:
            _end(run, state, reason)
        else:
            state, problems = end_judged(run, bounds)
    finally:
        if run.spend is not None:
            run.spend.stop()
    if state == semconv.END_FAIL and not run.replay_shown:
        item.add_report_section("teardown", SECTION, section(run.session, run.replay_in_message))
    if problems:
        pytest.fail(problems, pytrace=False)


def _end(run: _TestRun, state: str, reason: str | None) -> None:
    """End the test's session with the outcome (or record it after the end the code under test gave it)."""
    from agentops_otel.testing._pytest_outcome import end_with_outcome

    if run.outcome_recorded:
        return
    run.outcome_recorded = True
    end_with_outcome(run.session, state, reason)
    # get_session() falls back to the last session ended in this context; the next test must not find
    # this test's session there.
    clear_last_session()


@pytest.fixture
def agent_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The session this test runs in; agents the test starts are nested in it."""
    run = request.node.stash.get(_RUN, None)
    if run is None:  # a fixture pulled in dynamically (getfixturevalue) after setup began
        run = _start(request.node)
    yield run.session


@pytest.fixture(scope="session")
def variation_report(request: pytest.FixtureRequest) -> Iterator[VariationReport]:
    """One report shared by a parametrised test's variants; its table is printed at the end of the run."""
    from agentops_otel.testing._pytest_variations import REPORT
    from agentops_otel.testing._variations import VariationReport

    report = VariationReport()
    request.config.stash[REPORT] = report
    yield report


__all__ = ["agent_session", "variation_report"]
