"""Which recorded step a live call is: the step a :class:`~._replayer.Fork` names, the request as the
replay compares it, and whether a recorded LLM or tool step is this call's.

A call may be answered by a later step it ran alongside in the recording (``_replay_walk``), so the
replayer asks these of every candidate. Functions of the cassette, the ``ignore`` list and the fork's
step only; kept apart from :mod:`._replayer`, which holds the replay's state and decides what a call
that arrives is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._cassette import Cassette, CassetteError, LLMStep, ToolStep
from ._divergence import compare, with_extra
from ._masking import mask
from ._providers import content_fields, plain_endpoint, request_extra, request_headers
from ._replay_checks import caller_change, without_stream_false
from ._seam import Exchange, current_parent

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._replayer import Fork

__all__ = ["fork_index", "json_args", "llm_differs", "llm_views", "tool_fits"]


def fork_index(cassette: Cassette, fork: Fork | None, name: str) -> int | None:
    """The index of the step ``fork`` is at (a step index, or a tool name's first call), or None without one."""
    if fork is None:
        return None
    steps = cassette.steps
    if isinstance(fork.at, int):
        if not 0 <= fork.at < len(steps):
            raise CassetteError(f"fork at step {fork.at}: {name} has steps 0-{len(steps) - 1}")
        return fork.at
    for step in steps:
        if isinstance(step, ToolStep) and step.name == fork.at:
            return step.index
    names = sorted({s.name for s in steps if isinstance(s, ToolStep)})
    raise CassetteError(f"fork at {fork.at!r}: {name} has no such tool (tools: {', '.join(names)})")


def llm_views(cassette: Cassette, ignore: Sequence[str], expected: LLMStep, ex: Exchange,
              view: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The recorded request and this one, as compared."""
    recorded, actual = without_stream_false(expected.request), without_stream_false(view)
    if expected.extra is not None:  # the whole request was recorded: its other fields must match too
        recorded, actual = with_extra(recorded, expected.extra, actual,
                                      mask(request_extra(ex.provider, ex.endpoint, ex.body)), ignore,
                                      content_fields(ex.endpoint, ex.body))
    if cassette.beta_headers:  # the features it turned on (betas=[...]) are part of the request
        recorded = {**recorded, "headers": expected.headers or {}}
        actual = {**actual, "headers": request_headers(ex.request)}
    return recorded, actual


def llm_differs(cassette: Cassette, ignore: Sequence[str], fork_at: int | None, step: LLMStep | ToolStep,
                ex: Exchange, view: dict[str, Any]) -> str | None:
    """Why this request is not ``step``'s (None: it is, caller included); the fork's step never matches
    out of its turn."""
    if not isinstance(step, LLMStep) or step.index == fork_at:
        return "another step"
    if plain_endpoint(step.endpoint) != ex.endpoint:
        return "another endpoint"
    if caller_change(cassette, step, current_parent()) is not None:
        return "another caller"
    return compare(*llm_views(cassette, ignore, step, ex, view), ignore)


def tool_fits(cassette: Cassette, ignore: Sequence[str], fork_at: int | None, step: LLMStep | ToolStep,
              kind: str, name: str, args: Any) -> bool:
    """Whether this call is ``step``'s: same tool, caller and arguments (the fork's step only in its turn)."""
    return (isinstance(step, ToolStep) and step.name == name and step.tool_type == kind
            and step.index != fork_at
            and caller_change(cassette, step, current_parent()) is None
            and compare(step.arguments, args, ignore) is None)


def json_args(arguments: dict[str, Any]) -> Any:
    """A call's arguments as the recorder writes them, so that both sides compare alike."""
    from ._recorder import _plain

    return _plain(arguments)
