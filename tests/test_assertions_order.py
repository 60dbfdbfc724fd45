"""Order assertions judge when the steps ran, not where they sit in the call tree.

With ``asyncio.gather``, threads or parallel tool calls a step in one branch can run before a step the
tree lists first; a safety check such as "verify before charge" must fail when the charge came first.
"""

from __future__ import annotations

import asyncio
import re

import msgspec
import pytest

import agentops_otel as agentops
from agentops_otel import record_action, tool
from agentops_otel.testing import AgentAssertionError, assert_called_before, assert_called_in_order
from agentops_otel.timeline import FLAG_CLOCK_SKEW, SessionSummary, Step, Timeline


@tool
async def verify_card(card: str, wait_for: asyncio.Event | None = None) -> bool:
    if wait_for is not None:
        await wait_for.wait()
    return True


@tool
async def charge_card(card: str, then: asyncio.Event | None = None) -> str:
    if then is not None:
        then.set()
        await asyncio.sleep(0.002)
    return "charged"


@record_action("checks")
async def checks(card: str, charged: asyncio.Event) -> bool:
    await charged.wait()
    return await verify_card(card)


async def charge_first(card: str) -> agentops.Session:
    """The checks start first (so the tree lists them first) but verify only once the card is charged."""
    with agentops.session("pay") as s:
        charged = asyncio.Event()

        async def charge() -> None:
            await asyncio.sleep(0.002)
            await charge_card(card)
            charged.set()

        await asyncio.gather(checks(card, charged), charge())
    return s


async def overlapping(card: str) -> agentops.Session:
    """verify_card starts first, and charge_card starts while it is still running."""
    with agentops.session("pay") as s:
        charge_started = asyncio.Event()
        await asyncio.gather(verify_card(card, charge_started), charge_card(card, charge_started))
    return s


def test_called_before_fails_when_a_concurrent_branch_ran_first() -> None:
    """charge_card in one task ran before verify_card in another: the check fails and shows both times."""
    s = asyncio.run(charge_first("4242"))
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_called_before(s, "verify_card", "charge_card")
    first = str(excinfo.value).splitlines()[0]
    assert re.fullmatch(r"expected 'verify_card' to be called before 'charge_card', but 'charge_card' ran first: "
                        r"it started at 00:00\.\d{6}, 'verify_card' only at 00:00\.\d{6}\.", first), first


def test_called_before_with_one_name_on_both_sides_is_a_mistake_named() -> None:
    """A step cannot run before itself: the same name twice is refused as a mistake in the test."""
    s = asyncio.run(charge_first("4242"))
    with pytest.raises(ValueError, match="'charge_card' on both sides"):
        assert_called_before(s, "charge_card", "charge_card")
    assert s.timeline().summary.evaluations == ()  # no verdict on a question never asked


def test_called_in_order_fails_when_a_concurrent_branch_ran_first() -> None:
    """The same run read as a sequence: verify_card → charge_card does not hold."""
    s = asyncio.run(charge_first("4242"))
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_called_in_order(s, ["verify_card", "charge_card"])
    lines = str(excinfo.value).splitlines()
    assert lines[1].startswith("matched 1 of 2: 'charge_card' was called, but not after 'verify_card'"), lines[1]
    assert "Called, in order: checks, charge_card, verify_card" in lines
    assert_called_in_order(s, ["charge_card", "verify_card"])


def test_a_call_that_overlaps_is_not_before() -> None:
    """verify_card started first but was still running when charge_card started: not 'before'."""
    s = asyncio.run(overlapping("4242"))
    with pytest.raises(AgentAssertionError, match=r"'charge_card' started at 00:00\.\d{6} while 'verify_card' "
                                                  r"was still running \(00:00\.\d{6}–00:00\.\d{6}\)"):
        assert_called_before(s, "verify_card", "charge_card")
    with pytest.raises(AgentAssertionError, match="still running"):
        assert_called_in_order(s, ["verify_card", "charge_card"])


def test_a_call_made_inside_another_comes_after_it() -> None:
    """Sequential code keeps its verdicts: an action is called before the tools it calls."""

    @record_action("checkout")
    async def checkout(card: str) -> str:
        await verify_card(card)
        return await charge_card(card)

    async def run() -> agentops.Session:
        with agentops.session("pay") as s:
            await checkout("4242")
        return s

    s = asyncio.run(run())
    assert_called_in_order(s, ["checkout", "verify_card", "charge_card"])
    assert_called_before(s, "checkout", "charge_card")
    with pytest.raises(AgentAssertionError):
        assert_called_before(s, "charge_card", "checkout")


def _skewed() -> Timeline:
    """call_pricing (0–1s) ran a remote tool `price` on a clock shifted into it; `audit` ran meanwhile."""
    def step(i: int, name: str, start: float, end: float, parent: str = "a" * 16) -> Step:
        return Step.build(kind="tool", name=name, span_id=f"{i:016x}", parent_span_id=parent,
                          offset_s=start, duration_s=end - start, status="ok")

    price = msgspec.structs.replace(step(2, "price", 0.4, 0.5, parent=f"{1:016x}"), skew_ns=5_000_000_000,
                                    flags=(FLAG_CLOCK_SKEW,), service_name="pricing")
    steps = (step(1, "call_pricing", 0.0, 1.0), price, step(3, "audit", 0.6, 0.7), step(4, "reply", 1.2, 1.3))
    summary = SessionSummary(
        session_id="s_1", name="agent", tags=(), end_state="Success", end_reason=None, service_name="agent",
        trace_ids=("0" * 31 + "1",), root_span_id="a" * 16, parent_session_id=None, start_ns=1, duration_s=1.5,
        cost_usd=0.0, cost_complete=True, input_tokens=0, output_tokens=0, llm_calls=0, tool_calls=4,
        actions=0, errors=0, failed_step=None, complete=True, issues=())
    return Timeline(summary=summary, steps=steps)


def test_a_time_estimated_for_clock_skew_does_not_prove_an_order() -> None:
    """A step shifted for clock skew ran somewhere in its caller: before `audit` in it is only a guess."""
    tl = _skewed()
    with pytest.raises(AgentAssertionError, match="clock skew"):
        assert_called_before(tl, "price", "audit")
    assert_called_before(tl, "price", "reply")  # its caller ended before `reply` started
    assert_called_in_order(tl, ["call_pricing", "price", "reply"])
