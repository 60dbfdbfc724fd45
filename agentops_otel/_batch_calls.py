"""How many model calls a batch submit stands for, wherever calls are counted: the live session, the summary
read back from a trace, the call bounds.

A batch is one request to the API but as many model calls as it holds, each run and billed later. Counted as
one call (or as none, before batches were instrumented), a batch of 500 passed "at most 5 model calls". So a
submit counts as its requests (``BATCH_REQUESTS``). Where that number is unknown (an openai batch reads its
requests from a file the API counts only after the submit; an anthropic submit given a generator and answered
with a raw response) it counts as one, the least it can be, and the count is only a lower bound: a call bound
refuses it, as it refuses steps the session never saw end. A submit the API refused with an error status
queued nothing (its span says so with a cost of 0): it is one call, like any refused call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from . import genai_spans
from . import semconv as sc
from .timeline import Step

__all__ = ["BATCH_SUFFIX", "batch_calls", "is_batch", "step_calls", "unsized_batches"]

BATCH_SUFFIX: Final = " " + sc.BATCH_SPAN_TARGET
"""How a batch submit's span name ends (``_maybe_batch``): a step named otherwise is no batch."""


def _refused(attrs: Mapping[str, Any]) -> bool:
    cost = attrs.get(sc.COST_USD)
    return (attrs.get(sc.ERROR_TYPE) is not None and isinstance(cost, (int, float)) and not isinstance(cost, bool)
            and cost == 0)


def batch_calls(attrs: Mapping[str, Any]) -> tuple[int, bool]:
    """``(model calls, whether that is only a lower bound)`` of an LLM span: ``(1, False)`` for all but a batch."""
    if attrs.get(sc.BATCH_ENDPOINT) is None or _refused(attrs):
        return 1, False
    requests = genai_spans.whole(attrs.get(sc.BATCH_REQUESTS))
    return (requests, False) if requests else (1, True)


def _maybe_batch(step: Step) -> bool:
    """Only our batch spans are named so: any other step is settled without decoding its attributes."""
    return step.kind == "llm" and step.span_name.endswith(BATCH_SUFFIX)


def is_batch(step: Step) -> bool:
    """Whether the step is a batch submit's span."""
    return _maybe_batch(step) and step.attributes.get(sc.BATCH_ENDPOINT) is not None


def step_calls(step: Step) -> int:
    """The model calls an LLM step stands for (see :func:`batch_calls`)."""
    return batch_calls(step.attributes)[0] if _maybe_batch(step) else 1


def unsized_batches(steps: Iterable[Step]) -> list[Step]:
    """The batch submits among ``steps`` whose number of requests is unknown (each counted as one call)."""
    return [s for s in steps if _maybe_batch(s) and batch_calls(s.attributes)[1]]
