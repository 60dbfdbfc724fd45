"""The support agent with one deliberately planted bug, to show which behavioural test catches what.

Each bug is the kind a real change introduces: the code still runs, most answers still look right,
and only a test of the agent's *behaviour* notices. ``SUPPORT_AGENT_BUG`` (or the ``bug`` argument)
picks one:

``routing``
    A keyword guard, added to stop false billing routes, overrides the classifier: billing messages
    that don't say "charge" or "refund" ("Double billing issue on account 4417") get the general
    reply. The main billing test still passes; the phrasing variations catch it.
``tool_order``
    Invoices are looked up with the id taken from the message *before* the customer is fetched and
    validated, so an unidentified customer's billing data is read anyway.
``cost``
    The classifier runs three times with a long few-shot prompt (a "self-consistency" vote): same
    answers, five LLM calls instead of three and thirty times the tokens.

``install(bug)`` swaps this agent in for :func:`examples.support_agent.agent.run_support_agent`, so a
suite that imports the real one runs against the broken one unchanged.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter

import openai

import agentops_otel as agentops
from agentops_otel import ActionEvent, record_action

from . import agent
from .agent import (
    CLASSIFY_PROMPT,
    MODEL,
    extract_customer_id,
    fetch_customer,
    generate_billing_response,
    generate_general_response,
    lookup_invoices,
)

ENV_VAR = "SUPPORT_AGENT_BUG"
BUGS = ("routing", "tool_order", "cost")

_MONEY_WORDS = re.compile(r"charg|refund", re.I)
_FEW_SHOT = "\n".join(
    f"Example {i}: 'My invoice #{1000 + i} shows a charge I don't recognise' -> billing; "
    f"'The app crashes when I open settings on device {i}' -> technical; "
    f"'What are your opening hours on day {i}?' -> general"
    for i in range(120)
)


@record_action("classify_intent")
def classify_with_examples(message: str) -> str:
    response = openai.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": f"{CLASSIFY_PROMPT}\n{_FEW_SHOT}"},
                  {"role": "user", "content": f"Classify: {message}"}],
        temperature=0,
    )
    return (response.choices[0].message.content or "general").strip().lower().strip(".")


def _intent(message: str, bug: str | None) -> str:
    if bug == "cost":
        votes = Counter(classify_with_examples(message) for _ in range(3))
        return votes.most_common(1)[0][0]
    intent = agent.classify(message)
    if bug == "routing" and intent == "billing" and not _MONEY_WORDS.search(message):
        intent = "general"
    return intent


def run_support_agent(user_message: str, bug: str | None = None) -> str:
    """:func:`examples.support_agent.agent.run_support_agent` with ``bug`` planted."""
    bug = bug if bug is not None else os.environ.get(ENV_VAR) or None
    if bug is not None and bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose one of {', '.join(BUGS)}")
    agentops.start_session(tags=["support", "v2.1"])
    try:
        intent = _intent(user_message, bug)
        if intent == "billing":
            customer_id = extract_customer_id(user_message)
            if bug == "tool_order":
                lookup_invoices(customer_id)  # type: ignore[arg-type]  # read before the id is checked
            customer = fetch_customer(customer_id)
            response = generate_billing_response(customer, user_message)
        else:
            response = generate_general_response(user_message)
        agentops.record(ActionEvent(
            action_type="session_complete",
            params={"intent": intent},
            returns={"response_length": len(response)},
        ))
        agentops.end_session("Success")
        return response
    except Exception as e:
        agentops.end_session("Fail", end_state_reason=str(e))
        raise


def install(bug: str) -> None:
    """Make ``agent.run_support_agent`` the broken one (before test modules import it)."""
    if bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose one of {', '.join(BUGS)}")
    broken = functools.partial(run_support_agent, bug=bug)
    agent.run_support_agent = functools.update_wrapper(broken, run_support_agent)
