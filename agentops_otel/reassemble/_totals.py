"""A session's cost and token totals read back: the root's, checked against what its model calls report.

The root carries the totals its process summed while the session ran: what a backend search, a tail
sampler or a listing reads without the other spans. Read back beside the calls, they are checked. A total
below what the session's own calls add up to (each call once: a span wrapping another is the same call
seen twice; the calls of nested sessions are among its steps and in its root's totals alike, as they roll
up into every enclosing session) is no total: another writer's, a hand edit's, a rollup that missed calls.
A cost bound judged on it would pass a session that spent more, so the calls' figure is used and the
timeline says so. The root's cost is a float sum rounded to 12 places, made in another order: it is
compared with a tolerance.

A root cost that is not a price (NaN, infinite, negative) is not believed either: the calls' sum stands in,
never as the whole cost. A call whose own cost is not a price is unknown (``_cost_gaps.step_gap``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from agentops_otel import genai_spans
from agentops_otel import semconv as sc
from agentops_otel._cost_gaps import summary_gaps, unknown_counts
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.reassemble._classify import _as_float, _as_int
from agentops_otel.timeline import FLAG_FOREIGN, Step

__all__ = ["Totals", "session_totals"]

_OTHER_SPELLINGS: Final = frozenset(genai_spans.TOKEN_KEYS) - {
    sc.GEN_AI_USAGE_INPUT_TOKENS, sc.GEN_AI_USAGE_OUTPUT_TOKENS, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS}
"""Counts spelt as another instrumentation (or an older version) writes them: read by the general reader, which
knows every spelling (``own_totals`` reads what this version writes)."""
_TOLERANCE = 1e-9
"""Relative and absolute (USD): far below a cent, far above a float sum's rounding."""


class Totals(NamedTuple):
    cost: float
    cost_complete: bool
    cost_gaps: tuple[str, ...]
    input_tokens: int
    output_tokens: int
    input_unknown: bool
    """A call's input count is unknown: ``input_tokens`` is a lower bound."""
    output_unknown: bool
    below_calls: str | None
    """Which of the root's totals were below its calls' (the figures used instead), else None."""


def _calls(steps: Sequence[Step], wrapping: set[str]) -> tuple[float, int, int, bool, bool, bool, list[Step]]:
    """(cost, input tokens, output tokens, every call priced, an input count unknown, an output count
    unknown, the calls that may lack a cost) over the calls, each once: one read of each call's usage for all
    of them. A call whose cost is known has no cost gap (``step_gap`` reads the same cost): ``summary_gaps``
    need not read it again."""
    cost = 0.0
    tin = tout = 0
    priced = True
    in_unknown = out_unknown = False
    unpriced: list[Step] = []
    for st in steps:
        if st.kind != "llm":
            continue
        if st.span_id in wrapping:
            unpriced.append(st)  # not counted again, yet its cost gap is one of the session's
            continue
        attrs = st.attributes
        if isinstance(attrs, LazyAttributes):
            attrs = attrs.read_once()  # a plain dict for the look-ups below, not kept (the memory of a million calls)
        own = FLAG_FOREIGN not in st.flags
        if own and _OTHER_SPELLINGS.isdisjoint(attrs):
            c, n_in, n_out = genai_spans.own_totals(attrs)
        else:
            usage = genai_spans.llm_usage(attrs, own=own)
            c, n_in, n_out = usage.cost_usd, usage.input_tokens, usage.output_tokens
        if c is None:
            priced = False
            unpriced.append(st)
        else:
            cost += c
        if n_in is None or n_out is None:
            # A count no call reported is no 0: the totals are then a lower bound (its gap says whether).
            no_in, no_out = unknown_counts(st)
            in_unknown, out_unknown = in_unknown or no_in, out_unknown or no_out
        tin += n_in or 0
        tout += n_out or 0
    return cost, tin, tout, priced, in_unknown, out_unknown, unpriced


def _above(calls: float, total: float) -> bool:
    return calls > total and not math.isclose(calls, total, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)


def session_totals(attrs: Mapping[str, Any], *, has_root: bool, pseudo: bool, steps: Sequence[Step],
                   wrapping: set[str], llm_calls: int, trace_cut: bool) -> Totals:
    """The session's totals from its root's ``attrs`` (empty without a root) and its ``steps``."""
    raw_cost = attrs.get(sc.SESSION_COST_USD) if has_root else None
    cost = _as_float(raw_cost)
    not_a_price = cost is None and raw_cost is not None and _as_float(raw_cost, finite=False) is not None
    if cost is not None and cost < 0:
        cost, not_a_price = None, True
    complete_attr = attrs.get(sc.SESSION_COST_COMPLETE) if has_root else None
    tin = _as_int(attrs.get(sc.GEN_AI_USAGE_INPUT_TOKENS)) if has_root else None
    tout = _as_int(attrs.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS)) if has_root else None
    cost_complete = bool(complete_attr) if isinstance(complete_attr, bool) else cost is not None
    # More calls in the trace than the root counted: its totals leave them out (a call that ended after
    # the session, one recorded by another process), so they are no whole cost, only a lower bound.
    declared = _as_int(attrs.get(sc.SESSION_LLM_CALLS)) if has_root else None
    uncounted = llm_calls - declared if declared is not None and llm_calls > declared else 0
    s_cost, s_in, s_out, priced, in_unknown, out_unknown, unpriced = _calls(steps, wrapping)
    below: list[str] = []
    if cost is None:
        cost = s_cost
        cost_complete = priced and (has_root or pseudo)
    elif _above(s_cost, cost):
        below.append(f"cost ${cost:.6g} < ${s_cost:.6g}")
        cost = s_cost
    for label, total, found in (("input tokens", tin, s_in), ("output tokens", tout, s_out)):
        if total is not None and found > total:
            below.append(f"{label} {total} < {found}")
    tin = s_in if tin is None else max(tin, s_in)
    tout = s_out if tout is None else max(tout, s_out)
    gaps = summary_gaps(unpriced, root_lost=not has_root and not pseudo, root_incomplete=not cost_complete,
                        trace_cut=trace_cut, root_not_a_price=not_a_price, uncounted=uncounted,
                        root_reason=attrs.get(sc.SESSION_COST_INCOMPLETE_REASON))
    # Calls the root did not count explain totals below the calls' (the gap above says so).
    why = "; ".join(below) if below and not uncounted and has_root else None
    return Totals(cost, cost_complete and not gaps, gaps, tin, tout, in_unknown, out_unknown, why)
