"""The embedded default sink keeps traces private: its folder is 0700 with a ``.gitignore``, its file 0600,
so ``git status`` in the user's repository stays clean and no other user reads the traces."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from _exit_helpers import READY, SINK, run

ONE_SESSION = f"""
    import os
    os.umask(0)  # the most permissive umask: privacy must not depend on the user's
    import agentops_otel as agentops
    agentops.init()
    with agentops.session("private"):
        pass
    print("{READY}", flush=True)
"""

pytestmark = pytest.mark.slow  # each test runs a child interpreter


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repository with one committed file, as a user's project would be."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "agent.py").write_text("print('hi')\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "agent.py"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "-m", "init"], check=True)
    return tmp_path


def test_default_sink_leaves_git_status_clean(git_repo: Path) -> None:
    """After a run in a git repository, `git status` shows nothing new: the sink folder ignores itself."""
    outcome = run(ONE_SESSION, git_repo)
    assert (git_repo / SINK).exists(), outcome.stderr
    status = subprocess.run(["git", "-C", str(git_repo), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True)
    assert status.stdout == ""
    assert (git_repo / SINK.parent / ".gitignore").read_text().splitlines()[-1] == "*"


def test_default_sink_folder_and_file_are_private(tmp_path: Path) -> None:
    """The folder is created 0700 and the traces file 0600, whatever the umask."""
    outcome = run(ONE_SESSION, tmp_path)
    assert (tmp_path / SINK).exists(), outcome.stderr
    assert _mode(tmp_path / SINK.parent) == 0o700
    assert _mode(tmp_path / SINK) == 0o600


def test_existing_default_folder_is_made_private_and_ignored(git_repo: Path) -> None:
    """A sink folder left by an older version (0755, no .gitignore) is tightened and ignored on next use."""
    (git_repo / SINK.parent).mkdir(mode=0o755)
    (git_repo / SINK.parent).chmod(0o755)
    run(ONE_SESSION, git_repo)
    assert _mode(git_repo / SINK.parent) == 0o700
    assert (git_repo / SINK.parent / ".gitignore").exists()


def test_folder_the_user_chose_is_left_as_it_is(tmp_path: Path) -> None:
    """AGENTOPS_OTEL_FILE in an existing folder of the user's: no .gitignore, no mode change; file still 0600."""
    logs = tmp_path / "logs"
    logs.mkdir()
    logs.chmod(0o755)
    outcome = run(ONE_SESSION, tmp_path, {"AGENTOPS_OTEL_FILE": "logs/traces.jsonl"})
    assert (logs / "traces.jsonl").exists(), outcome.stderr
    assert sorted(p.name for p in logs.iterdir()) == ["traces.jsonl"]
    assert _mode(logs) == 0o755
    assert _mode(logs / "traces.jsonl") == 0o600


def test_folders_created_for_a_chosen_path_are_private_and_ignored(tmp_path: Path) -> None:
    """Folders we create for AGENTOPS_OTEL_FILE are ours: each 0700, the topmost git-ignored."""
    run(ONE_SESSION, tmp_path, {"AGENTOPS_OTEL_FILE": "out/traces/run.jsonl"})
    assert (_mode(tmp_path / "out"), _mode(tmp_path / "out" / "traces")) == (0o700, 0o700)
    assert (tmp_path / "out" / ".gitignore").exists()
