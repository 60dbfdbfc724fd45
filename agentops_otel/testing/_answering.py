"""What answering a recorded tool from the recording costs the test: the model calls made inside it.

An action that wraps the LLM call (the article's ``classify_intent``) is a recorded step like any
other, and answering it skips its model calls: their requests are never compared and their cost is
never counted — a test that passes whatever that LLM call becomes. ``export-test`` avoids that by
naming the tools to answer, leaving the steps that hold model calls to run.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._cassette import Cassette, LLMStep, ToolStep

__all__ = ["answerable", "holding_llm"]


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
