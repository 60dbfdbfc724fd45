"""Comparing one agent's runs over many variants: each variant's verdict over its runs, where each failing run
parted from a passing one, and the table that shows both.

Kept apart from :mod:`._variations`, which runs the variants: the table is also made by the pytest plugin's
controller from rows the pytest-xdist workers sent (:class:`VariantRow`), where no run happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

from agentops_otel import genai_content, semconv
from agentops_otel.render import _format as fmt
from agentops_otel.timeline import Step, Timeline

__all__ = ["VariantOutcome", "VariantRow", "decisions", "divergences", "outcomes", "table_text"]


def _side(step: Step | None) -> str:
    """One side of a divergence: the call made there and how it ended."""
    if step is None:
        return "nothing (its session ended)"
    error = fmt.error_text(step)
    return f"{step.kind} {step.name}" + (f" failing with {error}" if error else "")


@dataclass(frozen=True)
class VariantOutcome:
    """One variant over all its runs."""

    label: str
    runs: int
    failed: int

    @property
    def verdict(self) -> str:
        """``PASS`` (never failed), ``FAIL`` (failed every run) or ``FLAKY`` (both)."""
        return "PASS" if not self.failed else "FAIL" if self.failed == self.runs else "FLAKY"


class VariantRow(Protocol):
    """What the table shows of one run: a :class:`._variations.VariantResult`, or one a pytest-xdist worker sent."""

    @property
    def passed(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def label(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def session_name(self) -> str: ...
    def decisions(self) -> Timeline: ...


def outcomes(rows: Sequence[VariantRow]) -> list[VariantOutcome]:
    """Every variant once, in first-run order, with how many of its runs failed."""
    groups: dict[str, VariantOutcome] = {}
    for r in rows:
        known = groups.get(r.key)
        if known is None:
            groups[r.key] = VariantOutcome(r.label, 1, int(not r.passed))
        else:
            groups[r.key] = VariantOutcome(known.label, known.runs + 1, known.failed + (not r.passed))
    return list(groups.values())


def divergences(rows: Sequence[VariantRow]) -> list[str | None]:
    """Per run, where a failing one parted from the first passing one: the step where their decisions split."""
    from agentops_otel.diff import diff_timelines

    reference = next((r for r in rows if r.passed), None)
    found: list[str | None] = []
    for r in rows:
        if r.passed:
            found.append(None)
        elif reference is None:
            found.append("no passing variant to compare with")
        else:
            try:
                diff = diff_timelines(reference.decisions(), r.decisions())
            except Exception as exc:  # a diff bug must not hide which variants failed
                found.append(f"(diff unavailable: {type(exc).__name__})")
                continue
            found.append(f"{diff.reason} as {reference.label}" if diff.diverged_at is None else
                         f"step #{diff.diverged_at}: {_side(diff.b_step)} where {reference.label} had "
                         f"{_side(diff.a_step)}")
    return found


def table_text(name: str | None, rows: Sequence[VariantRow], diverged: Sequence[str | None]) -> str:
    """Every variant with its verdict and session URL; failing ones with their reason and divergence."""
    name = name or (rows[0].session_name.removesuffix(" variant") if rows else "agent")
    lines = [f"Variations of {name}: {sum(r.passed for r in rows)} of {len(rows)} passed"]
    width = max([len(r.label) for r in rows] + [7])
    for i, (r, where) in enumerate(zip(rows, diverged, strict=True), 1):
        lines.append(f"  {i:>2}. {'PASS' if r.passed else 'FAIL'}  {r.label:<{width}}  {r.url}")
        if not r.passed:
            why = (r.reason or "").strip().splitlines() or [""]
            lines.append(f"      why:      {why[0]}")
            lines.extend(f"                {line}" for line in why[1:])
            if where:
                lines.append(f"      diverged: {where}")
    variants = outcomes(rows)
    if any(v.runs > 1 for v in variants):
        lines.append(f"By variant: {sum(v.verdict == 'FLAKY' for v in variants)} flaky (passed and failed "
                     f"across repetitions), {sum(v.verdict == 'FAIL' for v in variants)} failing every time")
        order = {"FLAKY": 0, "FAIL": 1, "PASS": 2}
        for v in sorted(variants, key=lambda v: order[v.verdict]):
            lines.append(f"  {v.verdict:<5}  {v.label:<{width}}  failed {v.failed} of {v.runs}")
    return "\n".join(lines)


_INPUT_KEYS = frozenset({semconv.GEN_AI_TOOL_CALL_ARGUMENTS, semconv.ACTION_PARAMS,
                         semconv.GEN_AI_INPUT_MESSAGES, semconv.OI_INPUT_VALUE, semconv.TL_ENTITY_INPUT})


def decisions(timeline: Timeline) -> Timeline:
    """The timeline reduced to what the agent decided, for comparing variants.

    Inputs go (variants differ in input by design: the phrasing, the customer id), and so do the
    outcomes of nested sessions, which only sum up their steps: compared as they are, every diff
    would stop at the first step. Which calls were made and how each ended is what is left; outputs
    stay too, for the diff's hint. A step's content captured on an event of its span (``event_only``)
    is read as if on the span, so its input goes too and the variants compare the same either way.
    """
    def reduce(step: Step) -> Step:
        content = genai_content.with_event_content(step.attributes, step.events)
        attrs = {k: v for k, v in content.items() if k not in _INPUT_KEYS}
        if step.kind == "session":
            return msgspec.structs.replace(step, attributes=attrs, status="unset", events=())
        events = tuple(ev for ev in step.events if ev.name not in semconv.CONTENT_EVENTS)
        return msgspec.structs.replace(step, attributes=attrs, events=events)

    return msgspec.structs.replace(timeline, steps=tuple(reduce(s) for s in timeline.steps))
