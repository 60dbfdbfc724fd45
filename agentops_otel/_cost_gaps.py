"""Why a session's cost or token count is not the whole truth, in words a failing test can show.

A bound that reads $0 for a call whose usage never arrived passes a broken agent. So every model
call without a cost carries its reason on the span (``agentops.cost.incomplete_reason``), and
everything that reports a total (the replay, the JSON document, the assertions, the gate) names
those reasons through this module instead of a blanket "unpriced calls". Spans of other
instrumentations, or of older versions, carry no reason: it is inferred from what they do carry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final

from . import genai_spans
from . import semconv as sc
from .timeline import FLAG_FOREIGN, Step, Timeline

__all__ = ["GAP_TEXT", "describe_step", "gap_lines", "step_gap", "summary_gaps", "unknown_counts", "usage_gaps"]

MODELS_UNWATCHED: Final = "no model client was instrumented"
"""How every reason a session's model calls went unseen begins (an issue of its timeline, a verdict's
refusal): see ``sessions._views.unwatched``."""

GAP_TEXT: dict[str, str] = {
    sc.GAP_USAGE_MISSING: "no usage in the response",
    sc.GAP_USAGE_PARTIAL: "usage lacking its input or output token count",
    sc.GAP_STREAM_WITHOUT_USAGE: "stream without usage; request it with stream_options={'include_usage': True}",
    sc.GAP_STREAM_NOT_FINISHED: "stream closed before its usage arrived",
    sc.GAP_RAW_RESPONSE: "with_raw_response/with_streaming_response: the caller read the body",
    sc.GAP_CALL_FAILED: "the call failed before reporting usage",
    sc.GAP_MODEL_UNPRICED: "model without a known price; add one with register_price()",
    sc.GAP_USAGE_UNPRICED: ("billed for audio, web or file searches, hosted tools (code interpreter, image "
                            "generation), a service tier, fast mode, US-only inference or a Vertex AI region the "
                            "price table has no rate for"),
    sc.GAP_TIER_UNCONFIRMED: ("asked for a service tier billed at its own rates, and the response did not say "
                              "which tier served it"),
    sc.GAP_DEPLOYMENT_TYPE_UNKNOWN: ("Azure OpenAI deployment of unknown type (Data Zone and Regional ones cost more "
                                     "than Global, and the response does not say which); set "
                                     f"{sc.ENV_AZURE_DEPLOYMENT}=global if yours are Global, or register_price(..., "
                                     "provider='azure.ai.openai') your deployment's rates"),
    sc.GAP_CACHE_TTL_UNKNOWN: ("cache writes the response did not split by TTL (one-hour ones cost 1.6x "
                               "five-minute ones)"),
    sc.GAP_ENDPOINT_UNPRICED: ("endpoint not priced (billed per image, second or character, or at rates the "
                               "table lacks)"),
    sc.GAP_MODEL_MISSING: "no model named, so no price; record it with LLMEvent(model=...) or LLMEvent(cost=...)",
    sc.GAP_BATCH_QUEUED: ("batch submitted: its requests run, and are billed, later and outside the session; their "
                          "cost and tokens are unknown at submit time"),
    sc.GAP_INVALID_COST: "the cost given was not a price (NaN, infinite, negative or not a number)",
    sc.GAP_INVALID_TOKENS: "the token counts given were not counts (negative, fractional or not numbers)",
    sc.GAP_MODELS_UNWATCHED: ("no model client was instrumented for all of the session's run (no agentops.init() "
                              "before it started, a client uninstrumented before it ended, or one imported while "
                              f"{sc.ENV_DISABLED_INSTRUMENTATIONS} switched it off) and it holds no model call "
                              "recorded another way (by hand or by another instrumentation): the calls of that "
                              "client, if any, were not seen"),
    sc.GAP_STEPS_OUTSIDE: ("steps still running when the session ended, or started after it: model calls they "
                           "made are not in its totals"),
    sc.GAP_TOTALS_INTERRUPTED: ("the process was stopped (SIGTERM) while the session's totals were being updated: "
                                "the step being counted may be in none of them, nor in the trace"),
}
"""One phrase per reason, for replays and failure messages."""

_ROOT_REASONS: Final = frozenset({sc.GAP_STEPS_OUTSIDE, sc.GAP_MODELS_UNWATCHED, sc.GAP_TOTALS_INTERRUPTED})
"""The reasons a root gives for its own cost being incomplete (``SESSION_COST_INCOMPLETE_REASON``) that no
call carries: named as they are."""
_ROOT_LOST = "root span missing: the session's own totals are lost, the cost is summed from the calls found"
_ROOT_CUT = ("root span not in the part of the trace the backend returned: the session's own totals are "
             "lost, the cost is summed from the calls found")
_CULPRIT_LOST = "the root reports unpriced calls that are not among the spans read"
_ROOT_NOT_A_PRICE = ("the session's cost on its root was not a price (NaN, infinite or negative): the cost is "
                     "summed from the calls found")


def step_gap(step: Step) -> str | None:
    """Why this model call has no cost (a ``semconv.GAP_*`` value), or None when it has one."""
    if step.kind != "llm":
        return None
    has_price = getattr(step.attributes, "has_price", None)
    if has_price is not None and FLAG_FOREIGN not in step.flags and has_price(sc.COST_USD):
        return None  # our call, priced as recorded: known without decoding its attributes
    if step.cost_usd is not None:
        return None
    reason = step.attributes.get(sc.COST_INCOMPLETE_REASON)
    if isinstance(reason, str) and reason:
        return reason
    if step.attributes.get(sc.COST_USD) is not None:
        return sc.GAP_INVALID_COST  # recorded, but NaN, infinite, negative or text: no price, not $0
    if genai_spans.tokens_not_counts(step.attributes):
        return sc.GAP_INVALID_TOKENS
    if step.attributes.get(sc.USAGE_MISSING) or (step.input_tokens is None and step.output_tokens is None):
        return sc.GAP_CALL_FAILED if step.status == "error" else sc.GAP_USAGE_MISSING
    return sc.GAP_MODEL_UNPRICED


def usage_gap(step: Step) -> str | None:
    """Why this model call's token counts are unknown, or None. A priced call can lack them too: one
    recorded with ``LLMEvent(cost=...)`` and no counts, or counts that were no counts."""
    gap = step_gap(step)
    if gap is not None:
        if gap == sc.GAP_ENDPOINT_UNPRICED and step.attributes.get(sc.USAGE_MISSING):
            return sc.GAP_USAGE_MISSING  # unpriced, and its response reported no tokens either
        return None if gap in sc.PRICE_GAPS else gap  # its tokens are known: only its price is not
    if step.kind != "llm":
        return None
    # An embeddings call has no output count; others say when theirs is missing (only then read).
    if step.input_tokens is None or (step.output_tokens is None and step.attributes.get(sc.USAGE_MISSING)):
        if genai_spans.tokens_not_counts(step.attributes):
            return sc.GAP_INVALID_TOKENS
        return None if _unbilled_error(step) else sc.GAP_USAGE_MISSING
    return None


def _unbilled_error(step: Step) -> bool:
    """The API answered with an error status (not a timeout's): the call was not billed, its $0 is known,
    and so are its tokens, none. Read here, not written as zero counts: no usage was ever reported."""
    if step.status != "error" or step.cost_usd != 0:
        return False
    status = step.attributes.get(sc.ERROR_TYPE)
    return isinstance(status, str) and status.isdigit() and status not in sc.STOPPED_WAITING_STATUSES


def unknown_counts(step: Step) -> tuple[bool, bool]:
    """Whether this call's input and output token counts are unknown: left out by a usage gap, which is
    not zero tokens (an embeddings call's missing output count is, and reads as known)."""
    if step.kind != "llm" or usage_gap(step) is None:
        return False, False
    return step.input_tokens is None, step.output_tokens is None


def usage_gaps(steps: Iterable[Step]) -> list[tuple[Step, str]]:
    """Model calls whose token counts are unknown, with the reason."""
    return [(s, g) for s in steps if (g := usage_gap(s)) is not None]


def describe_step(step: Step, reason: str) -> str:
    """``chat gpt-4o at 00:01.234: stream without usage; ...`` for one call of a failure message."""
    from .render import _format as fmt

    return f"{step.span_name} at {fmt.offset(step.offset_s)}: {GAP_TEXT.get(reason, reason)}"


def gap_lines(timeline: Timeline, *, usage_only: bool = False) -> list[str]:
    """One line per call without a known cost (or without usage), else the summary's reasons."""
    if usage_only:
        return [describe_step(s, g) for s, g in usage_gaps(timeline.steps)]
    lines = [describe_step(s, g) for s in timeline.steps if (g := step_gap(s)) is not None]
    return lines or list(timeline.summary.cost_gaps)


def _plural(n: int) -> str:
    return f"{n} call{'s' if n != 1 else ''}"


def summary_gaps(steps: Iterable[Step], *, root_lost: bool, root_incomplete: bool,
                 trace_cut: bool = False, root_not_a_price: bool = False, uncounted: int = 0,
                 root_reason: object = None) -> tuple[str, ...]:
    """The reasons a session's cost is incomplete, one line each, most actionable first.

    ``uncounted``: model calls in the trace beyond those the root counted (its totals leave them out);
    ``root_reason``: the root's own ``SESSION_COST_INCOMPLETE_REASON``, named when no call explains it.
    """
    usage: Counter[str] = Counter()
    unpriced: dict[str, int] = {}
    extras: dict[str, dict[str, int]] = {}
    """Calls to a priced model billed for something without a rate, by reason, then by model."""
    unnamed = batches = not_prices = 0
    endpoints: dict[str, int] = {}
    for step in steps:
        reason = step_gap(step)
        if reason == sc.GAP_MODEL_MISSING:
            unnamed += 1
        elif reason == sc.GAP_INVALID_COST:
            not_prices += 1
        elif reason == sc.GAP_BATCH_QUEUED:
            batches += 1
        elif reason == sc.GAP_ENDPOINT_UNPRICED:
            endpoints[step.span_name] = endpoints.get(step.span_name, 0) + 1
        elif reason in sc.PRICE_GAPS:
            counts = unpriced if reason == sc.GAP_MODEL_UNPRICED else extras.setdefault(reason, {})
            model = step.model or "unknown model"
            counts[model] = counts.get(model, 0) + 1
        elif reason is not None:
            usage[reason] += 1
    gaps = [f"{_plural(n)} {'with partial' if reason == sc.GAP_USAGE_PARTIAL else 'without'} usage "
            f"({GAP_TEXT.get(reason, reason)})" for reason, n in usage.most_common()]
    if batches:
        gaps.append(f"{batches} {GAP_TEXT[sc.GAP_BATCH_QUEUED]}" if batches == 1 else
                    f"{batches} batches submitted: their requests run, and are billed, later and outside the "
                    "session; their cost and tokens are unknown at submit time")
    if not_prices:
        gaps.append(f"{_plural(not_prices)} whose cost was not a price (NaN, infinite, negative or not a number)")
    if unnamed:
        gaps.append(f"{_plural(unnamed)} without a model ({GAP_TEXT[sc.GAP_MODEL_MISSING]})")
    if unpriced:
        gaps.append(f"{_plural(sum(unpriced.values()))} to an unpriced model ({', '.join(sorted(unpriced))})")
    for reason, models in sorted(extras.items()):
        gaps.append(f"{_plural(sum(models.values()))} {GAP_TEXT.get(reason, reason)} ({', '.join(sorted(models))})")
    if endpoints:
        gaps.append(f"{_plural(sum(endpoints.values()))} to an endpoint not priced ({', '.join(sorted(endpoints))})")
    if uncounted > 0:
        gaps.append(f"{_plural(uncounted)} in the trace the session's totals leave out (ended after the "
                    "session, or recorded elsewhere)")
    if root_lost:
        gaps.append(_ROOT_CUT if trace_cut else _ROOT_LOST)
    elif root_not_a_price:
        gaps.append(_ROOT_NOT_A_PRICE)
    elif root_reason == sc.GAP_TOTALS_INTERRUPTED:  # the step it lost may be none of the calls above
        gaps.append(GAP_TEXT[sc.GAP_TOTALS_INTERRUPTED])
    elif root_incomplete and not gaps:
        gaps.append(GAP_TEXT[root_reason] if root_reason in _ROOT_REASONS else _CULPRIT_LOST)
    return tuple(gaps)
