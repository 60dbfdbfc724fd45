"""``@pytest.mark.agent_replay("cassettes/x.json")``: a test that records its agent once and replays it after.

The modes are the ones VCR users know, chosen per run with ``--agent-record-mode`` (or ``--record-mode``
where no other plugin has that name):

``auto`` (default; VCR's ``once``)
    replay when the cassette exists, else run live and record it.
``replay`` (VCR's ``none``)
    replay only; a missing cassette is an error — what CI should run, no key, no network.
``record`` (VCR's ``all``)
    run live and rewrite the cassette (after an intended behaviour change).

The cassette path is relative to the test file. A recording is saved only when the test passes, so a
broken run never becomes the reference. The marker takes the replay's options as keywords:
``answer_tools=[...]`` (or ``True``), ``ignore=[...]``, ``agent_version="..."``, ``fork=Fork(...)``.
The ``agent_replay`` fixture gives the test the running :class:`Replayer` (or :class:`Recorder`).
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:  # imported by a test with the marker: every pytest run of the project loads this module
    from ._recorder import Recorder
    from ._replayer import Replayer

__all__ = ["MARKER", "MODES", "ReplayPlugin", "add_alias", "add_options", "keep_old_dest"]

MARKER: Final = "agent_replay"
OPTION: Final = "--agent-record-mode"
ALIAS: Final = "--record-mode"
"""Ours only where no other plugin has it: pytest-recording's VCR option has the same name."""
DEST: Final = "agentops_record_mode"
OLD_DEST: Final = "record_mode"
"""The dest before the rename to ``--agent-record-mode``: conftests read ``config.getoption("record_mode")``."""
_VCR_MODULE: Final = "pytest_recording"
MODES: Final = {"auto": "auto", "once": "auto", "replay": "replay", "none": "replay", "record": "record",
                "all": "record", "rewrite": "record"}
_KEYWORDS: Final = frozenset({"answer_tools", "ignore", "agent_version", "fork"})
_ACTIVE = pytest.StashKey["Replayer | Recorder"]()


def add_options(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """The option, and ``--record-mode`` at once when the plugin is loaded too late for ``add_alias``'s turn.

    A root conftest's ``pytest_plugins`` loads the plugin (the way with plugin autoload off) while
    pytest loads the initial conftests: the hook wrapper that would add the alias after them is not
    called, and an option added later is not parsed. The alias is then added here, unless another
    plugin has that name already or pytest-recording can still be loaded after this plugin (its
    registration would fail on ours).
    """
    parser.addoption(OPTION, dest=DEST, default="auto", choices=sorted(MODES),
                     help="agent_replay cassettes: auto (replay if present, else record; VCR 'once'), "
                          f"replay (never record; VCR 'none'), record (always re-record; VCR 'all'). Also {ALIAS} "
                          "where no other plugin (pytest-recording) has that option")
    if _conftests_loading(pluginmanager) and importlib.util.find_spec(_VCR_MODULE) is None:
        add_alias(parser)


def _conftests_loading(pluginmanager: pytest.PytestPluginManager) -> bool:
    """A conftest is registered: pytest is loading the initial conftests (or past them), no longer plugins."""
    return any(Path(pluginmanager.get_name(p) or "").name == "conftest.py" for p in pluginmanager.get_plugins())


def add_alias(parser: pytest.Parser) -> bool:
    """Offer ``--record-mode`` too, unless another plugin registered it; returns whether it is ours.

    Called once every plugin and the initial conftests have added their options, whatever order the
    entry points loaded in: registered earlier, it broke pytest-recording's own registration (pytest
    refuses a second option of that name or destination), and refusing theirs broke ours.
    """
    if _taken(parser):
        return False
    try:
        parser.addoption(ALIAS, dest=DEST, default="auto", choices=sorted(MODES), help=f"same as {OPTION}")
    except (ValueError, argparse.ArgumentError):  # pytest's check of names and dests, then argparse's
        return False
    return True


def _taken(parser: pytest.Parser) -> bool:
    """Whether any option group has ``--record-mode`` already, the other plugin's own group included.

    pytest 8 checks a new option's name only against its own group and leaves the clash to argparse
    at every parse, so our alias beside pytest-recording's crashed each run. The groups are pytest's
    private attributes (the anonymous one is not in ``_groups`` before pytest 9): read defensively,
    and an unknown shape leaves the check to ``addoption`` as before.
    """
    try:
        groups = [*(getattr(parser, "_groups", None) or ()), getattr(parser, "_anonymous", None)]
        return any(ALIAS in option.names() for group in groups for option in getattr(group, "options", ()))
    except (AttributeError, TypeError):
        return False


def keep_old_dest(config: pytest.Config) -> None:
    """``config.getoption("record_mode")`` reads the mode too, unless another plugin's option has that dest.

    Given the value once the command line is parsed, before any plugin or conftest is configured:
    registering the dest with the option would refuse pytest-recording's ``--record-mode`` (pytest
    allows one option a dest unless each passes it explicitly).
    """
    if not hasattr(config.option, OLD_DEST):
        setattr(config.option, OLD_DEST, getattr(config.option, DEST))


def marker_help() -> str:
    return (f"{MARKER}(path, answer_tools=(), ignore=(), agent_version=None, fork=None): run the test's agent "
            f"against the recorded cassette at path (relative to the test file); {OPTION} records it")


def _cassette_path(item: pytest.Item, mark: pytest.Mark) -> Path:
    if len(mark.args) != 1 or not isinstance(mark.args[0], (str, Path)) or set(mark.kwargs) - _KEYWORDS:
        pytest.fail(f"@pytest.mark.{MARKER} takes one cassette path and keywords {sorted(_KEYWORDS)} "
                    f"(got args {mark.args!r}, kwargs {sorted(mark.kwargs)})", pytrace=False)
    path = Path(mark.args[0])
    return path if path.is_absolute() else Path(str(item.path)).parent / path


class ReplayPlugin:
    """Registered by the agentops_otel pytest plugin; inert for tests without the marker."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Build the replayer (or recorder) early, so the fixture can hand it to the test."""
        mark = item.get_closest_marker(MARKER)
        if mark is None:
            return
        path = _cassette_path(item, mark)
        mode = MODES[str(item.config.getoption(DEST))]
        if mode == "auto":
            mode = "replay" if path.exists() else "record"
        kwargs: dict[str, Any] = dict(mark.kwargs)
        from ._cassette import CassetteError
        from ._recorder import Recorder
        from ._replayer import replay

        if mode == "record":
            item.stash[_ACTIVE] = Recorder(agent_version=kwargs.get("agent_version"))
            return
        problem = None
        try:
            item.stash[_ACTIVE] = replay(path, answer_tools=kwargs.get("answer_tools", ()),
                                         ignore=kwargs.get("ignore", ()), fork=kwargs.get("fork"),
                                         agent_version=kwargs.get("agent_version"))
        except CassetteError as exc:
            problem = str(exc)
        if problem is not None:
            pytest.fail(problem, pytrace=False)  # a setup error: the test cannot run without its cassette

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        active = item.stash.get(_ACTIVE, None)
        if active is None:
            return (yield)
        with active:
            result = yield
        from ._recorder import Recorder

        if isinstance(active, Recorder):
            mark = item.get_closest_marker(MARKER)
            assert mark is not None
            active.save(_cassette_path(item, mark))  # only reached when the test passed
        return result

    @pytest.fixture
    def agent_replay(self, request: pytest.FixtureRequest) -> Replayer | Recorder:
        """The replayer (or, while recording, the recorder) of this ``agent_replay`` test."""
        active: Replayer | Recorder | None = request.node.stash.get(_ACTIVE, None)
        if active is None:
            pytest.fail(f"the agent_replay fixture needs @pytest.mark.{MARKER}(path) on the test", pytrace=False)
        return active
