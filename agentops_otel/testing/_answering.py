"""What answering a recorded tool from the recording costs the test: the model calls made inside it.

An action that wraps the LLM call (the article's ``classify_intent``) is a recorded step like any
other, and ``answer_tools=True`` answers it, as documented: the user chose that so that tools with
side effects do not run in CI. But its model calls are then never sent, so their requests are never
compared and their cost is never counted — a test that passes whatever that LLM call becomes. The
replay says so with a :class:`ReplayWarning` (a pass stays a pass: suites that relied on the
documented meaning keep running, and pytest's warnings summary names the steps); ``export-test``
avoids it by naming the tools to answer, leaving the steps that hold model calls to run.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._cassette import Cassette, LLMStep, ToolStep, step_label

__all__ = ["ReplayWarning", "answerable", "holding_llm", "unchecked_note"]


class ReplayWarning(UserWarning):
    """A replay passed without checking part of the recording (model calls inside an answered tool)."""


ReplayWarning.__module__ = "agentops_otel.testing"


def holding_llm(steps: Sequence[LLMStep | ToolStep]) -> dict[int, int]:
    """Each step with model calls somewhere inside it, and how many (parents are earlier steps)."""
    found: dict[int, int] = {}
    for step in steps:
        if isinstance(step, LLMStep):
            parent = step.parent
            while parent is not None and 0 <= parent < len(steps):
                found[parent] = found.get(parent, 0) + 1
                parent = steps[parent].parent
    return found


def answerable(cassette: Cassette) -> tuple[list[str], list[str]]:
    """(tool names safe to answer, names that made model calls inside), in the order first called.

    A name is left to run if any of its calls made a model call: answering it by name would skip those.
    """
    held = holding_llm(cassette.steps)
    tools = cassette.tools()
    calling = list(dict.fromkeys(s.name for s in tools if s.index in held))
    quiet = list(dict.fromkeys(s.name for s in tools if s.name not in calling))
    return quiet, calling


def unchecked_note(name: str, cassette: Cassette, answered: Sequence[ToolStep]) -> str:
    """The warning's text: which answered steps held model calls, and the ``answer_tools`` that checks them."""
    held = holding_llm(cassette.steps)
    quiet, calling = answerable(cassette)
    every = list(dict.fromkeys(s.name for s in cassette.tools()))
    steps = "; ".join(f"{step_label(s)} (step {s.index}), which held {held[s.index]} model "
                      f"call{'s' if held[s.index] != 1 else ''}" for s in answered)
    check = f"answer_tools={quiet!r}" if quiet else "no answer_tools"
    return (f"{name}: answer_tools=True answered from the recording {steps}; those calls were never compared "
            f"or counted, so a change to them would still pass. To check them, replay with {check} (letting "
            f"{', '.join(calling)} run); to answer them on purpose, name them: answer_tools={every!r}.")
