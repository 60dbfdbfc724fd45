"""Variation runs: one agent over many phrasings of the same intent, one session each.

An agent that handles "I was charged twice" may route "double billing issue" elsewhere. Running every
phrasing in a session of its own makes each run inspectable; comparing a failing run with a passing
one (:func:`agentops_otel.diff.diff_timelines`) names the step where the agent's decisions parted,
which is usually all a developer needs to see what the classifier made of the failing wording.

Two ways to use it::

    report = run_variations(run_support_agent, BILLING_VARIANTS, check=uses_customer_fetch)
    report.assert_all_passed()        # one test, fails with the table of every variant

    @pytest.mark.parametrize("message", BILLING_VARIANTS)
    def test_billing_phrasing(message, variation_report):   # one test per variant
        variation_report.run(run_support_agent, message, check=uses_customer_fetch).assert_passed()

With the fixture, the table of all variants (with the divergence of each failing one from a passing
one) is printed in pytest's terminal summary.

A model is not deterministic, so one run per phrasing cannot tell a variant the agent gets wrong from
one it gets wrong sometimes. ``run_variations(..., repeat=5)`` (or the same variant run several times
through the fixture) reports FLAKY variants (passed and failed across repetitions) apart from those
that FAIL every time: the first call for a retry budget or a sharper prompt, the second for a fix.
Each session carries its variant (``agentops.variant``), so ``agentops-otel gate`` tells them apart too.
How the runs are compared and tabulated is in ``_variation_table``.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from agentops_otel import config, semconv
from agentops_otel._error_text import scrub
from agentops_otel.compat import init
from agentops_otel.sessions import Session, start_session
from agentops_otel.testing._assertions import AgentAssertionError, as_timeline, replay_text
from agentops_otel.testing._nested import failed_inside
from agentops_otel.testing._variation_table import VariantOutcome, decisions, divergences, outcomes, table_text
from agentops_otel.timeline import Timeline

from .. import _forksafe

Check: TypeAlias = Callable[[Session, Any], "bool | str | None"]
"""``check(session, result)``: True, None or "" pass; False or a reason string fail. An
``AssertionError`` raised inside (e.g. by ``assert_tool_called``) fails the variant with its message; any
other value (a ``re.Match``, a number) fails it as no verdict."""

DEFAULT_TAGS = ("variation",)
_LABEL_CHARS = 60


def _label(variant: Any) -> str:
    text = repr(variant) if not isinstance(variant, str) else f'"{variant}"'
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _digest(name: str, variant: Any) -> str:
    """Which input this is, whole: repetitions of one variant share it, different inputs never do."""
    text = variant if isinstance(variant, str) else repr(variant)
    return hashlib.sha256(f"{name}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _exc_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


@dataclass
class VariantResult:
    """How one variant went; ``reason`` says why it failed (None when it passed)."""

    variant: Any
    passed: bool
    session: Session
    reason: str | None = None
    result: Any = None
    error: BaseException | None = None
    diverged: str | None = None
    """Where this failing run parted from a passing one (filled in by the report)."""

    @property
    def url(self) -> str:
        return self.session.url

    @property
    def label(self) -> str:
        return _label(self.variant)

    @property
    def key(self) -> str:
        """What tells this variant's runs from another variant's."""
        return _key(self.variant)

    @property
    def session_name(self) -> str:
        return self.session.name

    def timeline(self) -> Timeline:
        return as_timeline(self.session)

    def decisions(self) -> Timeline:
        """The timeline reduced to what the agent decided (see :func:`._variation_table.decisions`)."""
        return decisions(self.timeline())

    def assert_passed(self) -> None:
        """Fail the calling test with this variant's reason, its session URL and its replay."""
        __tracebackhide__ = True
        if self.passed:
            return
        raise AgentAssertionError(f"variant {self.label} failed: {self.reason}", self.timeline(),
                                  replay_text(self.session))


def _key(variant: Any) -> str:
    return repr(variant)


class VariationReport:
    """Results of one agent over many variants: who passed, who failed, and where the failures diverged."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.results: list[VariantResult] = []
        self._lock = _forksafe.lock()
        self._diverged_for = 0
        """How many results the divergences were computed over (recomputed when more arrive)."""

    @property
    def passed(self) -> list[VariantResult]:
        return [r for r in self.results if r.passed]

    def by_variant(self) -> list[VariantOutcome]:
        """Every variant once, in first-run order, with how many of its runs failed."""
        with self._lock:
            results = list(self.results)
        return outcomes(results)

    @property
    def flaky(self) -> list[VariantOutcome]:
        """Variants that passed in some runs and failed in others."""
        return [v for v in self.by_variant() if v.verdict == "FLAKY"]

    @property
    def consistently_failing(self) -> list[VariantOutcome]:
        """Variants that failed in every run."""
        return [v for v in self.by_variant() if v.verdict == "FAIL"]

    @property
    def failed(self) -> list[VariantResult]:
        return [r for r in self.results if not r.passed]

    def run(self, agent_fn: Callable[..., Any], variant: Any, check: Check | None = None, *,
            tags: Iterable[str] = DEFAULT_TAGS) -> VariantResult:
        """Run one variant in a session of its own and record how it went."""
        name = self.name or getattr(agent_fn, "__name__", "agent")
        init()  # idempotent: a variant's session must record, and replay needs the arguments
        key = _digest(str(name), variant)
        if config.content_capture() is config.ContentCapture.NO_CONTENT:
            label = f"input #{key[:8]}"  # no prompt reaches the trace with capture off; runs still group
        else:
            label = scrub(semconv.VARIANT, _label(variant))  # the user's input: masked, and their hook sees it
        session = start_session(f"{name} variant", tags=list(tags), attributes={
            semconv.VARIANT: label, semconv.VARIANT_KEY: key})
        result: Any = None
        error: BaseException | None = None
        reason: str | None = None
        try:
            result = _call(agent_fn, variant)
            if inspect.isgenerator(result):  # a streaming agent: its body runs as it is read
                result = list(result)
        except Exception as exc:
            error, reason = exc, f"raised {_exc_text(exc)}"
        if inspect.isasyncgen(result):
            session.end(semconv.END_INDETERMINATE, "async generator agent: not run")
            raise TypeError("run_variations runs synchronous agents; read an async generator one to its end, "
                            "e.g. lambda m: asyncio.run(collect(agent(m))) with "
                            "async def collect(g): return [c async for c in g]")
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            session.end(semconv.END_INDETERMINATE, "async agent: not run")
            raise TypeError("run_variations runs synchronous agents; wrap an async one, e.g. "
                            "lambda m: asyncio.run(agent(m))")
        if error is None:
            reason = _judge(check, session, result) if check is not None else failed_inside(session)
        passed = reason is None
        session.end(semconv.END_SUCCESS if passed else semconv.END_FAIL,
                    None if passed else _first_line(reason or ""))
        outcome = VariantResult(variant, passed, session, reason, result, error)
        with self._lock:
            self.results.append(outcome)
        return outcome

    def _diverge(self) -> None:
        """Diff each failing run against the first passing one: the step where their decisions split."""
        with self._lock:
            if self._diverged_for == len(self.results):
                return
            self._diverged_for = len(self.results)
            results = list(self.results)
        for r, where in zip(results, divergences(results), strict=True):
            r.diverged = where

    def table(self) -> str:
        """Every variant with its verdict and session URL; failing ones with their reason and divergence."""
        self._diverge()
        return table_text(self.name, self.results, [r.diverged for r in self.results])

    def assert_all_passed(self) -> None:
        """Fail with the table when any variant failed."""
        __tracebackhide__ = True
        if not self.results:
            raise AgentAssertionError("no variants were run")
        if self.failed:
            variants = self.by_variant()
            if len(variants) == len(self.results):
                what = f"{len(self.failed)}/{len(self.results)} variants"
            else:
                what = (f"{len(self.failed)}/{len(self.results)} runs: {len(self.flaky)} flaky and "
                        f"{len(self.consistently_failing)} consistently failing of {len(variants)} variants")
            raise AgentAssertionError(f"agent failed on {what}", details=self.table())

    def __str__(self) -> str:
        return self.table()


def _call(agent_fn: Callable[..., Any], variant: Any) -> Any:
    """A dict is keyword arguments, a tuple positional ones, anything else the single argument."""
    if isinstance(variant, Mapping):
        return agent_fn(**variant)
    if isinstance(variant, tuple):
        return agent_fn(*variant)
    return agent_fn(variant)


def _judge(check: Check, session: Session, result: Any) -> str | None:
    """The check's verdict as a failure reason, or None when the variant passed."""
    try:
        verdict = check(session, result)
    except AgentAssertionError as exc:
        return exc.summary  # the replay is shown once, by whoever reports the variant
    except AssertionError as exc:
        return str(exc) or "check failed"
    except Exception as exc:
        return f"check raised {_exc_text(exc)}"
    if verdict is False:
        return "check returned False"
    if verdict is None or verdict is True or verdict == "":
        return None
    if isinstance(verdict, str):
        return verdict
    # A truthy re.Match or a count read as a reason would fail exactly the runs the check meant to pass.
    kind = type(verdict)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    try:
        shown = repr(verdict)[:80]
    except Exception:
        shown = "an object whose repr fails"
    return (f"check returned {name}, which is no verdict: return True or None to pass, False or a reason "
            f"string to fail (got {shown})")


def run_variations(agent_fn: Callable[..., Any], variants: Iterable[Any], check: Check | None = None, *,
                   tags: Iterable[str] = DEFAULT_TAGS, name: str | None = None, repeat: int = 1) -> VariationReport:
    """Run ``agent_fn`` ``repeat`` times per variant, each run in its own session, and report who passed.

    A run fails when the agent raises or when ``check(session, result)`` says so; with no check, also when
    the agent ended a session of its own ``Fail`` (its own verdict). ``session`` is the
    run's session, with the agent's own session (if it starts one) nested inside. With ``repeat`` > 1
    the report separates flaky variants from consistently failing ones (:meth:`VariationReport.flaky`).
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat!r}")
    report = VariationReport(name)
    tag_list = list(tags)
    for variant in list(variants):
        for _ in range(repeat):
            report.run(agent_fn, variant, check, tags=tag_list)
    return report


__all__ = ["Check", "VariantOutcome", "VariantResult", "VariationReport", "run_variations"]
