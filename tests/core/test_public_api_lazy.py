"""The public API loads its names on first use (so a pytest run that never opts in stays cheap); to the
user it must look and type-check as if everything were imported up front."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import agentops_otel
import agentops_otel.testing

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", [agentops_otel, agentops_otel.testing], ids=["agentops_otel", "testing"])
def test_dir_lists_every_public_name(module: object) -> None:
    """dir() (tab completion, help()) shows the whole API, not only what was used so far."""
    assert set(module.__all__) <= set(dir(module))  # type: ignore[attr-defined]


@pytest.mark.slow  # a child interpreter
def test_first_use_from_two_threads_at_once_works() -> None:
    """Two threads using two testing names for the first time, together, both get them (a half-imported
    module must not leak to the second thread)."""
    code = textwrap.dedent("""
        import threading
        import agentops_otel.testing as t
        errors = []
        barrier = threading.Barrier(2)
        def use(name):
            barrier.wait()
            try:
                getattr(t, name)
            except BaseException as exc:
                errors.append(f"{name}: {exc!r}")
        threads = [threading.Thread(target=use, args=(n,)) for n in ("cassette_from_timeline", "assert_cost_below")]
        [th.start() for th in threads]
        [th.join() for th in threads]
        print("; ".join(errors) or "ok")
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(6):  # the race was lost in most runs: six fresh processes make it near certain
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert (proc.returncode, proc.stdout.strip()) == (0, "ok"), proc.stdout + proc.stderr


@pytest.mark.slow
def test_a_misspelt_import_is_a_type_error(tmp_path: Path) -> None:
    """mypy --strict tells `assert_tool_caled` from the real name, as with eager imports."""
    user = tmp_path / "user.py"
    user.write_text("from agentops_otel.testing import assert_tool_caled\n"
                    "from agentops_otel import start_sesion\n")
    # In a process of its own: mypy raises the interpreter's recursion limit for good, which changes
    # what later tests of deeply nested input see. Incremental, in the repository's cache (`make test` type-checks
    # the package first): the package's modules are read from it, 2 s instead of 15.
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", str(user)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 1 and "assert_tool_caled" in out and "start_sesion" in out, out


@pytest.mark.parametrize(("first_run", "next_run", "server"), [
    ("OpenAIServer", "Reply", "OpenAIServer"),  # names of one module
    ("AnthropicServer", "AnthropicServer, Reply", "AnthropicServer"),  # names of two modules
])
def test_names_used_across_in_process_pytest_runs_belong_together(first_run: str, next_run: str, server: str) -> None:
    """pytester's in-process runs drop the modules a run imported first: a server kept from an earlier run
    must take a ``Reply`` first used in a later one (from its own module or another), or it refuses its
    own reply type."""
    code = textwrap.dedent(f"""
        import sys
        import agentops_otel.testing
        before = set(sys.modules)
        from agentops_otel.testing import {first_run}  # the first run uses the server only
        for name in set(sys.modules) - before:  # what pytester does after an in-process run
            del sys.modules[name]
        from agentops_otel.testing import {next_run}  # the next run queues a reply
        with {server}() as server:
            server.queue(Reply.text("hi"))
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout.strip()) == (0, "ok"), proc.stdout + proc.stderr
