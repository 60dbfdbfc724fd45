"""A recorded session as a regression test: a pytest file plus its cassette, written in one step.

The test replays the session through the agent's own entry point and pins the behaviour the session
showed: the order of its tool and action calls, its end state (and the exception a failed session
raised), and its cost with some headroom. Tools are answered from the recording by default, because
a production session's tools (databases, payment APIs) rarely run in CI; ``run_tools=True`` lets
them run for real. The marker names the tools it answers rather than saying ``answer_tools=True``:
a step that made model calls inside (an action wrapping the LLM call) is left out, so it runs and its
calls are replayed — answered, they would be skipped, and the test would pass whatever that LLM call
became, with a $0 cost bound. Once the agent is changed on purpose, ``--agent-record-mode=record``
re-records it.

The generated file is plain code using the public API, meant to be read, committed and edited. The agent
is not imported to write it: its module may import only where the tests run (a src layout on pytest's
``pythonpath``), need credentials at import, or make calls there. So the test learns at run time how to
run the entry point: a returned coroutine (an ``async def`` agent) is run to its end.
"""

from __future__ import annotations

import ast
import builtins
import json
import keyword
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentops_otel.render import _format as fmt

from ._answering import answerable
from ._cassette import Cassette, CassetteError

__all__ = ["ExportedTest", "export_test"]

_COST_HEADROOM = 1.5
"""The exported cost bound: the recorded cost times this (prices and token counts wobble a little)."""


@dataclass(frozen=True)
class ExportedTest:
    test_path: Path
    cassette_path: Path
    test_name: str


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower() or "session"


def _input_unknown(cassette: Cassette, call: str) -> CassetteError:
    """A trace holds no record of what the entry point was called with (a session records no arguments), and
    the first step's argument is that step's input, not the agent's (``fetch_customer("5")`` inside
    ``run_agent("hello 5")``): a test replaying it would diverge at its first model call. So ask, never guess."""
    calls = cassette.tools()
    seen = (f" (the first recorded step, {calls[0].name}, took {json.dumps(calls[0].arguments, ensure_ascii=False)}"
            ": that step's input, not necessarily the agent's)") if calls else ""
    return CassetteError(f"--args is needed: the session does not record what {call} was called with{seen}; "
                         "pass its arguments as a JSON list, e.g. --args '[\"I was charged twice\"]'")


def _raised(cassette: Cassette) -> str | None:
    """The exception that left the agent of a failed session, as the test can name it (a builtin, else
    ``Exception``: the agent's own classes are not imported to write the test); None when the recording does
    not say (the agent ended the session itself: ``end_session("Fail")``, then it may or may not have raised)."""
    name = cassette.session.raised
    if not name:
        return None
    cls = getattr(builtins, name, None)
    return name if isinstance(cls, type) and issubclass(cls, BaseException) else "Exception"


def _names(cassette: Cassette) -> list[str]:
    return [s.name for s in cassette.tools()]


def _code(value: object) -> str:
    """Recorded data as a literal in the generated source: JSON (a Python literal too, for the strings
    and lists written here) with control, invisible and bidi characters as escapes. Raw, a right-to-left
    override in a tool's name would make the committed test read otherwise than it runs (Trojan Source)."""
    return fmt.escape(json.dumps(value, ensure_ascii=False))


def _doc(text: object) -> str:
    """Recorded text as it may stand inside the generated docstrings: it ends none, and escapes nothing."""
    return _code(str(text))[1:-1]


def _marker(cassette: Cassette, cassette_ref: str, run_tools: bool) -> list[str]:
    """The ``agent_replay`` line, and a comment naming the steps left to run because they call the model."""
    if run_tools:
        return [f"@pytest.mark.agent_replay({cassette_ref!r}, answer_tools=False)"]
    quiet, calling = answerable(cassette)
    if not calling:
        return [f"@pytest.mark.agent_replay({cassette_ref!r}, answer_tools=True)"]
    they = "it makes" if len(calling) == 1 else "they make"
    answer = f", answer_tools={_code(quiet)}" if quiet else ""
    named = ", ".join(name if name.replace(".", "_").isidentifier() else json.dumps(name)  # data: one line
                      for name in calling)
    return [f"# {named} run{'s' if len(calling) == 1 else ''} for real: {they} the model calls "
            "this test checks (answered, they would be skipped).",
            f"@pytest.mark.agent_replay({cassette_ref!r}{answer})"]


def _run_to_end(call: str) -> list[str]:
    """The generated file's helper. A coroutine is run with ``asyncio.run`` inside a plain test: an
    ``async def`` test needs an async plugin configured to run it (pytest-asyncio's default strict mode
    does not run an unmarked one), and a plain test runs in any project. A generator runs nothing until
    consumed: calling it would pass a test whose agent never ran, so the test fails naming why."""
    return [
        "def run_to_end(result: object) -> object:",
        '    """What the agent returned, once it ran: an async def agent runs here, no async plugin needed."""',
        "    if inspect.isgenerator(result) or inspect.isasyncgen(result):",
        f'        raise TypeError("{call} returned a generator, which runs nothing until consumed: "',
        '                        "call a function that runs the agent to the end")',
        "    return asyncio.run(result) if inspect.iscoroutine(result) else result",
    ]


def render_test(cassette: Cassette, *, call: str, args: list[Any], cassette_ref: str, test_name: str,
                source: str, run_tools: bool, overlapping: Sequence[str] = ()) -> str:
    """The pytest module's text."""
    module, function = _check_call(call)
    info = cassette.session
    state = info.end_state
    checks = "assert_tool_called" if overlapping else "assert_called_in_order"
    lines = [
        f'"""Regression test exported from session {_doc(info.id)} ({_doc(info.name or "unnamed")}, '
        f'{_doc(state or "unknown")}).',
        "",
        f"Read from {_doc(source)}.",
        f"The cassette {cassette_ref} holds its steps; the test replays them through",
        f"{call} and asserts what the session did. Re-record after an intended change:",
        "    pytest THIS_FILE --agent-record-mode=record",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import asyncio",
        "import inspect",
        "",
        "import pytest",
        "",
        "from agentops_otel import Session",
        f"from agentops_otel.testing import {checks}, assert_cost_below, assert_ended_with, sessions_in",
        f"from {module} import {function}",
        "",
        f"ARGS = {_literal(args)}",
        f"CALLS = {_code(_names(cassette))}",
        "",
        "",
        *_run_to_end(call),
        "",
        "",
        *_marker(cassette, cassette_ref, run_tools),
        f"def {test_name}(agent_session: Session) -> None:",
        f'    """Session {_doc(info.id)}: the same calls in the same order, ending {_doc(state or "as recorded")}."""',
    ]
    run = f"run_to_end({function}(*ARGS))"
    raised = _raised(cassette)
    if state == "Fail" and raised is not None:
        lines += [f"    with pytest.raises({raised}):", f"        {run}"]
    elif state == "Fail":  # the agent ended it Fail itself: raising then, or not, is not recorded
        lines += ["    try:", f"        {run}",
                  "    except Exception:  # it ended its session Fail itself: whether it raised then is not recorded",
                  "        pass"]
    else:
        lines += [f"    {run}"]
    if overlapping:  # no order to pin: how often each ran, in the order they first appear
        named = ", ".join(_code(name) for name in overlapping)  # data: one line
        lines += ["", f"    # {named} overlapped in the recording (they ran concurrently): "
                      "their order", "    # may differ from run to run, so how often each ran is asserted."]
        lines += [f"    assert_tool_called(agent_session, {_code(name)}, times={n})"
                  for name, n in Counter(_names(cassette)).items()]
    else:
        lines += ["", "    assert_called_in_order(agent_session, CALLS)"]
    if state:
        lines += ["    [agent] = sessions_in(agent_session)", f"    assert_ended_with(agent, {state!r})"]
    if info.cost_usd:
        bound = float(f"{info.cost_usd * _COST_HEADROOM:.3g}")
        lines += [f"    assert_cost_below(agent_session, {bound!r})  # recorded: ${info.cost_usd:.8f}"]
    text = "\n".join(lines) + "\n"
    try:
        compile(text, "<exported test>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise CassetteError(f"the generated test would not compile ({exc}); nothing written") from None
    return text


_FILE_NAMES = frozenset({"annotations", "asyncio", "inspect", "pytest", "Session", "assert_called_in_order",
                         "assert_tool_called", "assert_cost_below", "assert_ended_with", "sessions_in", "ARGS",
                         "CALLS", "run_to_end"})
"""What the generated file imports or defines beside the entry point (the test's own name starts ``test_``)."""


def _check_call(call: str) -> tuple[str, str]:
    """``--call`` as (module, function), or the usage error naming it."""
    module, _, function = call.partition(":")
    if not all(map(_name, (*module.split("."), function))):
        raise CassetteError("--call must be module:function, a dotted module name and a function name as "
                            f"Python imports them, e.g. agents.support:run (got {call!r})")
    if function in _FILE_NAMES:
        raise CassetteError(f"--call's function {function!r} is a name the test file uses for its own, so one "
                            "would hide the other: export a function of another name (a wrapper calling it)")
    return module, function


def _name(part: str) -> bool:
    """One name of an import: what ``from a.b import c`` takes (a keyword there is a SyntaxError)."""
    return part.isidentifier() and not keyword.iskeyword(part)


def _literal(args: list[Any]) -> str:
    """``--args`` (parsed JSON) as Python source, which must read back as the same values: JSON's null,
    true and false are no Python names, and NaN, infinities or a list nested past the parser's limit have no
    literal at all (the test would fail to collect)."""
    try:
        text = repr(args)
        same = ast.literal_eval(text) == args
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        same = False
    if not same:
        raise CassetteError("--args holds values the test file cannot write as Python literals (NaN, an "
                            "infinite number, or lists and objects nested too deep)")
    return text


def export_test(cassette: Cassette, out: str | Path, *, call: str, args: list[Any] | None = None,
                source: str = "", run_tools: bool = False, force: bool = False,
                overlapping: Sequence[str] = ()) -> ExportedTest:
    """Write ``out`` (a test module) and its cassette in ``cassettes/`` beside it.

    Raises ``FileExistsError`` when either exists, unless ``force``: a hand-written test or a cassette
    edited by hand must not be lost to a reused ``--out``.
    """
    _check_call(call)
    if args is None:
        raise _input_unknown(cassette, call)
    _literal(args)
    test_path = Path(out)
    short = _slug(cassette.session.id or "session")[:8]
    cassette_ref = f"cassettes/{test_path.stem}.json"
    if not force:
        for path in (test_path, test_path.parent / cassette_ref):
            if path.exists() or path.is_symlink():
                raise FileExistsError(f"{path} exists already (pass --force to replace it)")
    name = f"test_{_slug(cassette.session.name or 'session')}_{short}"
    text = render_test(cassette, call=call, args=args, cassette_ref=cassette_ref, test_name=name, source=source,
                       run_tools=run_tools, overlapping=overlapping)
    cassette_path = cassette.save(test_path.parent / cassette_ref)
    test_path.parent.mkdir(parents=True, exist_ok=True)
    test_path.write_text(text, encoding="utf-8")
    return ExportedTest(test_path, cassette_path, name)
