"""The span attributes of events passed to ``agentops.record``: the model call's usage, cost and content,
and the identifiers and logs every event may carry.

Apart from :mod:`.compat` so that the event API stays under the module size the house keeps.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from . import semconv
from ._end_states import reason_text
from ._serialize import content_json
from .cost import price_tokens
from .events import LLMEvent

logger = logging.getLogger("agentops_otel")

__all__ = ["identifier", "llm_attributes", "logs"]


def _price(cost: object) -> float | None:
    """``LLMEvent.cost`` as dollars, or ``None`` (logged, naming it) when it is not a price: a NaN, infinite
    or negative cost counted as given would make every bound on the session meaningless. Logged, not a
    ``warnings.warn``: under ``-W error`` that would raise here and lose the whole call."""
    value = float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None
    if value is None or not math.isfinite(value) or value < 0:
        logger.warning("agentops_otel: LLMEvent(cost=%r) is not a price in dollars; the call is recorded "
                       "with its cost unknown", cost)
        return None
    return value


def _count(value: object, name: str) -> int | None:
    """An ``LLMEvent`` token count as an int, or ``None`` (logged, naming it) when it is not a count: a
    negative, fractional or non-number count summed as given would make every token bound meaningless.
    A whole float (``1000.0``, from JSON) is that count."""
    if type(value) is int and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    logger.warning("agentops_otel: LLMEvent(%s=%r) is not a token count; the call is recorded with its "
                   "usage unknown", name, value)
    return None


def llm_attributes(event: LLMEvent, content: dict[str, Any] | None, limit: int) -> dict[str, Any]:
    """The span attributes of a recorded model call: always a call whatever its ``operation`` label (an
    unknown one is recorded as chat, so the session counts it), tokens never summed unless they are
    counts, and the reason when its cost or usage is unknown; its content goes to ``content`` (None: capture
    is off), which the caller puts on the span or its details event as capture says."""
    named = reason_text(event.model) or None  # a model given as a number (an id) is named by its text
    model = named or "unknown"
    op = event.operation or semconv.OP_CHAT
    if op not in semconv.LLM_OPERATIONS:
        logger.info("agentops_otel: LLMEvent(operation=%r) is recorded as %r, a model call like any other",
                    op, semconv.OP_CHAT)
        op = semconv.OP_CHAT
    attrs: dict[str, Any] = {semconv.GEN_AI_OPERATION_NAME: op, semconv.GEN_AI_REQUEST_MODEL: model,
                             semconv.LLM_RECORDED_BY_HAND: True}  # a replay from the trace awaits no SDK call
    given = (event.prompt_tokens, event.completion_tokens)
    tin = None if given[0] is None else _count(given[0], "prompt_tokens")
    tout = None if given[1] is None else _count(given[1], "completion_tokens")
    if tin is not None:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = tin
    if tout is not None:
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = tout
    invalid = (tin is None and given[0] is not None) or (tout is None and given[1] is not None)
    usage_known = tin is not None and (tout is not None or op == semconv.OP_EMBEDDINGS)
    if not usage_known:
        attrs[semconv.USAGE_MISSING] = True  # what the token bound refuses to count as zero
    cost = None if event.cost is None else _price(event.cost)
    if cost is not None:
        attrs[semconv.COST_USD] = cost
    elif event.cost is not None:
        attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_INVALID_COST
    elif invalid:
        attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_INVALID_TOKENS
    elif not usage_known:
        attrs[semconv.COST_INCOMPLETE_REASON] = (semconv.GAP_USAGE_PARTIAL if tin is not None or tout is not None
                                                 else semconv.GAP_USAGE_MISSING)
    else:
        _price_event(attrs, named, tin or 0, tout or 0)
    for key, value in ((semconv.GEN_AI_AGENT_ID, event.agent_id), (semconv.GEN_AI_CONVERSATION_ID, event.thread_id)):
        if (text := identifier(value)) is not None:
            attrs[key] = text
    if content is not None:
        for key, value in ((semconv.GEN_AI_INPUT_MESSAGES, event.prompt),
                           (semconv.GEN_AI_OUTPUT_MESSAGES, event.completion),
                           (semconv.LLM_PARAMS, event.params), (semconv.LLM_RETURNS, event.returns)):
            if value is not None:
                content[key] = content_json(key, value, limit)
    return attrs


def _price_event(attrs: dict[str, Any], model: str | None, tin: int, tout: int) -> None:
    """An event recorded with tokens and no cost is priced as an instrumented call is (AgentOps priced
    them): the bundled table, or a price registered for the model. An event names no provider, so a
    price registered for any provider applies, and the table finds the provider by the model's name."""
    if not model:
        attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_MODEL_MISSING  # no name to register a price for
        return
    cost = price_tokens(model, None, None, tin, tout, 0, 0, 0)
    if cost is None:
        attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_MODEL_UNPRICED
    else:
        attrs[semconv.COST_USD] = cost


def logs(attrs: dict[str, Any], logs: Any, limit: int) -> None:
    """An event's ``logs=``: content like its payload (masked, bounded), so it reads back on the event."""
    if logs is not None:
        attrs[semconv.LOGS] = content_json(semconv.LOGS, logs, limit)


def identifier(value: object) -> str | None:
    """An error's code, a tool call's or an agent's id as text; none when not given. Only ``None`` and
    ``""`` are "not given" (a code of 0 is a code), and the value is never compared (its ``__eq__`` is
    the user's) nor printed outside a guard."""
    if value is None or (isinstance(value, str) and not value):
        return None
    return reason_text(value)
