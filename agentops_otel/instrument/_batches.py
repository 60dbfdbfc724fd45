"""Batch submits (anthropic ``messages.batches.create``, plain and beta; openai ``batches.create``): billed work
queued to run outside the session.

A submit returns in a moment; its requests run afterwards, for up to a day, and are billed as they run, long
after the session that queued them has ended and written its totals. Left unwrapped, a session whose agent only
submits batches read $0 with its cost complete, and every budget passed. So the submit is a model-call span of
its own whose cost and usage are unknown for a named reason (``GAP_BATCH_QUEUED``): cost and token bounds refuse
the session. How many requests it holds goes on the span when the submit or its answer says
(``BATCH_REQUESTS``): call bounds count them (see :mod:`.._batch_calls`).

A submit the API refused with an error status queued nothing and is not billed: the base's ``failed`` records it
so, like any refused call. Pure functions of the kwargs and the SDK's objects; the provider modules route their
batch targets here from ``begin`` / ``complete``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import config, semconv
from ..llm import LLMCall, is_count, start_call
from ._openai_attrs import field_of, server_attributes

__all__ = ["ANTHROPIC_ENDPOINT", "FREE_ENDPOINTS", "anthropic_requests", "batch_end", "free", "openai_operation",
           "start_batch"]

ANTHROPIC_ENDPOINT: Final = "/v1/messages"
"""What every request of a message batch runs: a Messages API call."""

FREE_ENDPOINTS: Final = frozenset({"/v1/moderations"})
"""Batch endpoints that bill nothing (moderations are free): such a batch is no model call, and left alone,
as ``moderations.create`` is."""


def free(endpoint: object) -> bool:
    """Whether ``endpoint`` is one of :data:`FREE_ENDPOINTS`; never raises (the SDK takes any value as given)."""
    return type(endpoint) is str and endpoint in FREE_ENDPOINTS

_OPENAI_OPERATIONS: Final = {
    "/v1/chat/completions": semconv.OP_CHAT,
    "/v1/responses": semconv.OP_CHAT,
    "/v1/completions": semconv.OP_TEXT_COMPLETION,
    "/v1/embeddings": semconv.OP_EMBEDDINGS,
}
"""The operation each request of an openai batch performs; any other endpoint (images, videos) generates content."""

_ANTHROPIC_COUNTS: Final = ("processing", "succeeded", "errored", "canceled", "expired")
"""A ``MessageBatch``'s request counts: they always add up to the number of requests it holds."""


def anthropic_requests(kwargs: Mapping[str, Any]) -> int | None:
    """How many requests the submit sends, when it says without being read: only a list or tuple is counted.
    Any other iterable (a generator) would be consumed here, before the SDK could send it."""
    requests = kwargs.get("requests")
    return len(requests) if isinstance(requests, (list, tuple)) else None


def openai_operation(endpoint: object) -> str:
    return _OPENAI_OPERATIONS.get(endpoint, semconv.OP_GENERATE_CONTENT) if isinstance(endpoint, str) \
        else semconv.OP_GENERATE_CONTENT


def start_batch(tracer: trace.Tracer, instance: Any, provider: str, operation: str, endpoint: object,
                requests: int | None, ctx: otel_context.Context | None) -> LLMCall:
    """Open the submit's span: ``{operation} batch``, no model (its requests name their own), no content."""
    attributes: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: operation,
        semconv.GEN_AI_PROVIDER_NAME: provider,
        semconv.BATCH_ENDPOINT: endpoint if isinstance(endpoint, str) and endpoint else "unknown",
    }
    served = server_attributes(attributes, instance)
    if provider == semconv.PROVIDER_OPENAI and served is not semconv.PROVIDER_OPENAI:
        provider = attributes[semconv.GEN_AI_PROVIDER_NAME] = served  # Azure OpenAI
    if requests is not None:
        attributes[semconv.BATCH_REQUESTS] = requests
    settings = config.call_settings()
    name = f"{operation} {semconv.BATCH_SPAN_TARGET}"
    return start_call(tracer, name, attributes, None, provider, settings, None, ctx)


def _response_requests(resp: Any) -> int | None:
    """How many requests the created batch holds, by its answer: an anthropic batch counts every request from
    the start; an openai one reports 0 while it validates its input file (its real number is not known yet)."""
    counts = field_of(resp, "request_counts")
    if counts is None:
        return None
    total = field_of(counts, "total")
    if total is None:
        parts = [field_of(counts, name) for name in _ANTHROPIC_COUNTS]
        total = sum(parts) if all(is_count(p) for p in parts) else None
    return total if is_count(total) and total > 0 else None


def batch_end(call: LLMCall, resp: Any) -> None:
    """End the submit's span from the batch created (or a raw response, which says nothing): its id, its number
    of requests if the request did not say, and its cost and usage unknown, saying why."""
    attrs: dict[str, Any] = {semconv.COST_INCOMPLETE_REASON: semconv.GAP_BATCH_QUEUED, semconv.USAGE_MISSING: True}
    batch_id = field_of(resp, "id")
    if isinstance(batch_id, str) and batch_id:
        attrs[semconv.BATCH_ID] = batch_id
    span_attrs: Any = getattr(call.span, "attributes", None)
    if span_attrs is None or semconv.BATCH_REQUESTS not in span_attrs:
        requests = _response_requests(resp)
        if requests is not None:
            attrs[semconv.BATCH_REQUESTS] = requests
    call.finish(attrs)
