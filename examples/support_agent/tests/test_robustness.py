"""Input robustness: the same intent in many phrasings takes the same route.

Two ways to run the variations: one test over all of them (``run_variations``: the failure lists
every variant with its session URL and the step where it parted from a passing one), or one test per
phrasing with ``pytest.mark.parametrize`` and the ``variation_report`` fixture, which prints the same
table in pytest's terminal summary.
"""

from __future__ import annotations

from typing import Any

import pytest

from agentops_otel import Session
from agentops_otel.testing import VariationReport, assert_called_in_order, run_variations
from examples.support_agent.agent import run_support_agent

BILLING_VARIANTS = [
    "I was charged twice for my subscription, account 4417",
    "There's a duplicate charge on my account 2093",
    "You billed me twice this month, customer 7781",
    "Double billing issue on account 4417",
    "I see two charges from you, acct 2093",
    "Charged me double, account no. 7781",
]


def reaches_billing(session: Session, response: Any) -> None:
    """The behaviour every billing phrasing must show: customer fetched, invoices read."""
    assert_called_in_order(session, ["classify_intent", "fetch_customer_data", "lookup_invoices"])


def test_billing_phrasings_all_reach_billing() -> None:
    """Every phrasing of a double charge reaches the customer fetch and the invoices."""
    report = run_variations(run_support_agent, BILLING_VARIANTS, check=reaches_billing,
                            tags=["robustness-test", "billing"])
    report.assert_all_passed()


@pytest.mark.parametrize("message", BILLING_VARIANTS)
def test_billing_phrasing(message: str, variation_report: VariationReport) -> None:
    """This phrasing of a double charge reaches the customer fetch and the invoices."""
    variation_report.run(run_support_agent, message, check=reaches_billing,
                         tags=["robustness-test", "billing"]).assert_passed()
