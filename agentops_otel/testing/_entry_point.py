"""What kind of callable an exported test's ``--call`` names: the test must call it the way it runs.

A coroutine function called like a plain one returns an unawaited coroutine: the agent never runs, and
the test fails on "expected calls ... never called" with the cause hidden in a warning. A generator
function does nothing until it is consumed. So the exporter looks before it writes.

The entry point is imported in a child interpreter, with this process's import path and the current
directory first (where pytest, run from the project's root, finds it too): importing runs the user's
module code (clients built, ``init()`` called), which must not happen inside the CLI process, leave its
module cached there, or export anything (the child runs with telemetry off).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

from ._cassette import CassetteError

__all__ = ["Kind", "entry_point_kind"]

Kind = Literal["function", "coroutine"]

_TIMEOUT_S = 60.0

_PROBE = """
import importlib, inspect, json, sys
module, function, answer, path = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
sys.path[:] = path
def kind():
    try:
        fn = getattr(importlib.import_module(module), function)
    except BaseException as exc:
        return "error", f"{type(exc).__name__}: {exc}"
    if inspect.iscoroutinefunction(fn):
        return "coroutine", ""
    if inspect.isasyncgenfunction(fn):
        return "async generator", ""
    if inspect.isgeneratorfunction(fn):
        return "generator", ""
    return ("function", "") if callable(fn) else ("error", f"{type(fn).__name__} is not callable")
with open(answer, "w", encoding="utf-8") as fh:
    json.dump(kind(), fh)
"""


def _import_path() -> list[str]:
    cwd = os.getcwd()
    return [cwd, *(p for p in sys.path if p and os.path.abspath(p) != cwd)]


def entry_point_kind(module: str, function: str) -> Kind:
    """``coroutine`` for an ``async def`` (the test runs it with ``asyncio.run``), else ``function``; a
    generator, something not callable or a module that does not import is a :class:`CassetteError`."""
    call = f"{module}:{function}"
    env = {**os.environ, "OTEL_SDK_DISABLED": "true", "AGENTOPS_OTEL_DISABLED": "true"}
    with tempfile.TemporaryDirectory(prefix="agentops-otel-probe-") as tmp:
        answer = Path(tmp) / "kind.json"
        try:
            subprocess.run([sys.executable, "-c", _PROBE, module, function, str(answer), json.dumps(_import_path())],
                           env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=_TIMEOUT_S, check=False)
            kind, detail = json.loads(answer.read_text(encoding="utf-8"))
        except subprocess.TimeoutExpired:
            raise CassetteError(f"importing {module} to see how to call {call} took over {_TIMEOUT_S:.0f}s; "
                                "nothing written") from None
        except (OSError, ValueError):
            raise CassetteError(f"importing {module} to see how to call {call} ended its interpreter "
                                "(sys.exit or a crash at import?); nothing written") from None
    if kind == "error":
        raise CassetteError(f"cannot import {call} to see how the test must call it ({detail}): run export-test "
                            "from the directory the tests run from, with the agent importable there")
    if kind in ("generator", "async generator"):
        raise CassetteError(f"{call} is {'an' if kind[0] == 'a' else 'a'} {kind} function: calling it runs "
                            "nothing until it is consumed; export a function that runs the agent to the end")
    return "coroutine" if kind == "coroutine" else "function"
