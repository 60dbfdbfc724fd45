"""An exception thrown into a decorated generator (``throw()``, ``athrow()``, a task's cancellation) that escapes the
body ends its traceback where it would undecorated: at the body's ``yield``, not inside our wrapper."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import agentops_otel as agentops

_DECORATORS: dict[str, Callable[[Any], Any]] = {
    "session": agentops.session("producer"), "tool": agentops.tool, "action": agentops.record_action}


def _innermost(exc: BaseException) -> str:
    return traceback.extract_tb(exc.__traceback__)[-1].name


def _body() -> Iterator[int]:
    yield 1


async def _abody() -> AsyncIterator[int]:
    yield 1


@pytest.mark.parametrize("decorator", _DECORATORS)
def test_an_error_thrown_into_a_decorated_generator_is_raised_at_the_bodys_yield(decorator: str) -> None:
    """``throw(exc)`` escaping the body: the traceback's innermost frame is the body's, as undecorated."""
    with agentops.session("outer"):
        gen = _DECORATORS[decorator](_body)()
        next(gen)
        with pytest.raises(KeyError) as caught:
            gen.throw(KeyError("k"))
    assert _innermost(caught.value) == "_body"


@pytest.mark.parametrize("decorator", _DECORATORS)
async def test_an_error_thrown_into_a_decorated_async_generator_is_raised_at_the_bodys_yield(decorator: str) -> None:
    """The same for ``athrow(exc)`` into an async generator."""
    with agentops.session("outer"):
        agen = _DECORATORS[decorator](_abody)()
        await agen.__anext__()
        with pytest.raises(KeyError) as caught:
            await agen.athrow(KeyError("k"))
    assert _innermost(caught.value) == "_abody"
