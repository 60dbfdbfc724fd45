"""The plugin beside the rest of a project's setup: other plugins' options, the project's own ``init()``.

pytest-recording (the common VCR plugin) owns ``--record-mode`` too; both plugins load from their
``pytest11`` entry points in whatever order the installed distributions are found. The scenarios
stand a tiny plugin in for it, loaded before ours (``-p``) and after ours (the project's conftest).
Its option sits in its own group: pytest 8 checks a name only within a group (argparse then crashes
every run on the duplicate), so these are also what catches a clash missed on pytest 8.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import agentops_otel

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
"""Plugins the scenarios never use: hypothesis alone takes seconds to import in every run."""


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with pytest-asyncio's loop scope set, as the other plugin tests' (it warns otherwise)."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester

VCR_OPTION = '''
def pytest_addoption(parser):
    parser.getgroup("recording").addoption(
        "--record-mode", action="store", default=None,
        choices=["once", "new_episodes", "none", "all", "rewrite"], help="VCR.py record mode")
'''

REPLAY_TEST = '''
import pytest

def test_vcr_mode(request):
    assert request.config.getoption("record_mode") == "new_episodes"

@pytest.mark.agent_replay("cassettes/missing.json")
def test_agent(agent_replay):
    pass
'''


@pytest.mark.parametrize("loaded", ["before ours", "after ours"])
def test_loads_beside_a_plugin_that_owns_record_mode(pytester: pytest.Pytester, loaded: str) -> None:
    """With pytest-recording's ``--record-mode`` taken, both plugins load; ours is ``--agent-record-mode``."""
    pytester.makepyfile(test_beside_vcr=REPLAY_TEST)
    if loaded == "before ours":
        pytester.makepyfile(vcr_plugin=VCR_OPTION)
        pytester.syspathinsert()
        args: tuple[str, ...] = ("-p", "vcr_plugin")
    else:
        pytester.makeconftest(VCR_OPTION)
        args = ()
    result = pytester.runpytest_inprocess(*QUIET, *args, "--record-mode=new_episodes",
                                          "--agent-record-mode=replay")
    result.assert_outcomes(passed=1, errors=1)  # replay only: the missing cassette is an error
    result.stdout.fnmatch_lines(["*no cassette at *cassettes/missing.json*"])


def test_record_mode_stays_ours_where_no_other_plugin_has_it(pytester: pytest.Pytester) -> None:
    """Without pytest-recording, ``--record-mode=replay`` still chooses the cassettes' mode."""
    pytester.makepyfile(test_record_mode_alias='''
        import pytest

        @pytest.mark.agent_replay("cassettes/missing.json")
        def test_agent(agent_replay):
            pass
    ''')
    result = pytester.runpytest_inprocess(*QUIET, "--record-mode=replay")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no cassette at *cassettes/missing.json*"])


OURS_FROM_CONFTEST = 'pytest_plugins = ["agentops_otel.pytest_plugin"]\n'
"""How a project loads the plugin when it runs with plugin autoload off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``)."""

MISSING_CASSETTE_TEST = '''
import pytest

@pytest.mark.agent_replay("cassettes/missing.json")
def test_agent(agent_replay):
    pass
'''


def test_record_mode_works_with_the_plugin_loaded_from_the_root_conftest(pytester: pytest.Pytester,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """With autoload off and the plugin in conftest.py's ``pytest_plugins``, ``--record-mode=replay`` still works."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(OURS_FROM_CONFTEST)
    pytester.makepyfile(test_record_mode_alias=MISSING_CASSETTE_TEST)
    result = pytester.runpytest_inprocess(*QUIET, "--record-mode=replay")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no cassette at *cassettes/missing.json*"])


@pytest.mark.parametrize("loaded", ["by the conftest, before ours", "after ours, in the same pytest_plugins"])
def test_loads_beside_a_plugin_that_owns_record_mode_from_the_root_conftest(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, loaded: str) -> None:
    """With autoload off, both load from the root conftest in either order; ours is only ``--agent-record-mode``."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_beside_vcr=REPLAY_TEST)
    if loaded == "by the conftest, before ours":
        pytester.makeconftest(VCR_OPTION + OURS_FROM_CONFTEST)
    else:  # pytest-recording's own module name: it is known to own --record-mode before it loads
        pytester.makepyfile(pytest_recording=VCR_OPTION)
        pytester.syspathinsert()
        pytester.makeconftest('pytest_plugins = ["agentops_otel.pytest_plugin", "pytest_recording"]\n')
    result = pytester.runpytest_inprocess(*QUIET, "--record-mode=new_episodes", "--agent-record-mode=replay")
    result.assert_outcomes(passed=1, errors=1)  # replay only: the missing cassette is an error
    result.stdout.fnmatch_lines(["*no cassette at *cassettes/missing.json*"])


OLD_DEST_TEST = '''
def test_old_dest(request):
    assert request.config.getoption("record_mode") == request.config.mode_at_configure == {mode!r}
'''
READ_AT_CONFIGURE = '''
def pytest_configure(config):
    config.mode_at_configure = config.getoption("record_mode")
'''


@pytest.mark.parametrize(("args", "mode"), [(("--agent-record-mode=record",), "record"),
                                            (("--record-mode=none",), "none"), ((), "auto")])
def test_a_conftest_reading_the_old_dest_record_mode_gets_our_mode(pytester: pytest.Pytester, args: tuple[str, ...],
                                                                   mode: str) -> None:
    """``config.getoption("record_mode")``, the option's name before ``--agent-record-mode``, still reads the mode."""
    pytester.makeconftest(READ_AT_CONFIGURE)
    pytester.makepyfile(test_old_dest=OLD_DEST_TEST.format(mode=mode))
    pytester.runpytest_inprocess(*QUIET, *args).assert_outcomes(passed=1)


@pytest.mark.slow  # the plugin's own init() needs a process of its own
def test_a_service_name_given_after_the_plugin_set_up_is_not_dropped_silently(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """init(service_name=...) in a session fixture, after the first test's init(), warns how to name the service."""
    for var in ("OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "OTEL_TRACES_EXPORTER", "AGENTOPS_OTEL_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(Path(agentops_otel.__file__).parents[1]))  # this checkout
    pytester.makeconftest('''
        import pytest
        import agentops_otel as agentops

        @pytest.fixture(scope="session", autouse=True)
        def telemetry():
            agentops.init(service_name="mysvc")
    ''')
    pytester.makepyfile(test_agent="def test_agent(agent_session):\n    pass\n")
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*RuntimeWarning: agentops_otel: init(service_name='mysvc')*service.name stays "
                                 "'agent'*OTEL_SERVICE_NAME=mysvc*"])


HEAVY = ("opentelemetry.sdk", "opentelemetry.exporter", "httpx", "msgspec", "openai", "anthropic", "genai_prices",
         "agentops_otel.export", "agentops_otel.sessions", "agentops_otel.testing._replayer")
"""What a run that opts in needs (the OTel SDK, readers, model clients, prices, replays); one that never, not."""


@pytest.mark.slow  # what a fresh interpreter imports
def test_a_run_where_no_test_opts_in_imports_none_of_the_heavy_parts(pytester: pytest.Pytester,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin costs a project that never asks for it no import of the SDK, the clients or the replay machinery."""
    monkeypatch.setenv("PYTHONPATH", str(Path(agentops_otel.__file__).parents[1]))  # this checkout
    pytester.makepyfile(test_plain=f"""
        import sys

        def test_first():
            pass

        def test_after_a_whole_test_ran():
            assert sorted(m for m in {HEAVY!r} if m in sys.modules) == []
    """)
    pytester.runpytest_subprocess(*QUIET).assert_outcomes(passed=2)
