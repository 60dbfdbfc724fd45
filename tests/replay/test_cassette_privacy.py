"""Cassettes hold whole prompts and tool values: the default folder is private (0700) and git-ignored,
like the trace sink's, and every cassette file is 0600, wherever the user puts it."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai import OpenAI
from replay_helpers import Agent

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import Recorder, record


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: privacy must not depend on the user's."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.fixture
def recorded(agent: Agent, client: OpenAI, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """A session recorded with content capture off, so the trace can't replay it and a cassette is due."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "no_content")
    with agentops.session("private"), record() as rec:
        agent.run(client)
    return rec


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's project: a git repository, and the working directory."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_save_beside_makes_the_default_folder_private(recorded: Recorder, git_repo: Path, open_umask: None) -> None:
    """save_beside() creates .agentops-otel and its cassettes folder 0700 and the cassette 0600."""
    path = recorded.save_beside()
    assert path is not None and path.parent == Path(".agentops-otel/cassettes")
    assert [_mode(p) for p in (git_repo / ".agentops-otel", git_repo / path.parent, git_repo / path)] == \
        [0o700, 0o700, 0o600]


def test_save_beside_leaves_git_status_clean(recorded: Recorder, git_repo: Path) -> None:
    """After save_beside() in a git repository, `git status` shows nothing new: the folder ignores itself."""
    assert recorded.save_beside() is not None
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True)
    assert status.stdout == ""


def test_save_beside_tightens_a_default_folder_left_open(recorded: Recorder, git_repo: Path) -> None:
    """A .agentops-otel/cassettes left 0755 by an older version is made private and ignored on next save."""
    (git_repo / ".agentops-otel" / "cassettes").mkdir(parents=True)
    (git_repo / ".agentops-otel").chmod(0o755)
    assert recorded.save_beside() is not None
    assert _mode(git_repo / ".agentops-otel") == 0o700
    assert (git_repo / ".agentops-otel" / ".gitignore").exists()


def test_a_cassette_path_the_user_names_keeps_its_folder_but_not_its_readers(
        recorded: Recorder, tmp_path: Path, open_umask: None) -> None:
    """save("cassettes/x.json"): the folder is made as usual (no .gitignore: it may be committed); the file is 0600."""
    path = recorded.save(tmp_path / "cassettes" / "x.json")
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.json"]
    assert _mode(path.parent) == 0o777
    assert _mode(path) == 0o600
