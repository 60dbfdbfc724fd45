"""The support agent with one deliberately planted bug, to show which behavioural test catches what.

Each bug is the kind a real change introduces: the code still runs, most answers still look right,
and only a test of the agent's *behaviour* notices. ``SUPPORT_AGENT_BUG`` (or the ``bug`` argument)
picks one; each replaces one function of :mod:`examples.support_agent.agent`, so the bug is exactly
the function below and the rest of the agent is the real one:

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

``install(bug)`` plants the bug in the agent module for good (the behavioural suite's ``conftest.py``
does it when ``SUPPORT_AGENT_BUG`` is set, so the suite runs unchanged against the broken agent);
``run_support_agent(message, bug)`` plants it for one call.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import openai

from agentops_otel import record_action

from . import agent

ENV_VAR = "SUPPORT_AGENT_BUG"

_classify = agent.classify
_fetch_customer = agent.fetch_customer
_MONEY_WORDS = re.compile(r"charg|refund", re.I)
_FEW_SHOT = "\n".join(
    f"Example {i}: 'My invoice #{1000 + i} shows a charge I don't recognise' -> billing; "
    f"'The app crashes when I open settings on device {i}' -> technical; "
    f"'What are your opening hours on day {i}?' -> general"
    for i in range(120)
)


def classify_with_keyword_guard(message: str) -> str:
    """routing: the classifier's "billing" only counts when the message names a charge or a refund."""
    intent = _classify(message)
    if intent == "billing" and not _MONEY_WORDS.search(message):
        return "general"
    return intent


def fetch_customer_after_reading_invoices(customer_id: str | None) -> dict[str, Any]:
    """tool_order: the invoices are read before the customer id is checked."""
    agent.lookup_invoices(customer_id)  # type: ignore[arg-type]
    return _fetch_customer(customer_id)


@record_action("classify_intent")
def _classify_with_examples(message: str) -> str:
    if agent.provider() == "anthropic":
        return agent.claude_classify(f"{agent.CLASSIFY_PROMPT}\n{_FEW_SHOT}", message)
    response = openai.chat.completions.create(
        model=agent.MODEL,
        messages=[{"role": "system", "content": f"{agent.CLASSIFY_PROMPT}\n{_FEW_SHOT}"},
                  {"role": "user", "content": f"Classify: {message}"}],
        temperature=0,
    )
    return (response.choices[0].message.content or "general").strip().lower().strip(".")


def classify_by_vote(message: str) -> str:
    """cost: three classifications with a long few-shot prompt, majority wins."""
    votes = Counter(_classify_with_examples(message) for _ in range(3))
    return votes.most_common(1)[0][0]


BUGS: dict[str, dict[str, Callable[..., Any]]] = {
    "routing": {"classify": classify_with_keyword_guard},
    "tool_order": {"fetch_customer": fetch_customer_after_reading_invoices},
    "cost": {"classify": classify_by_vote},
}
"""Per bug, the agent functions it replaces."""


def _replacements(bug: str) -> dict[str, Callable[..., Any]]:
    if bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose one of {', '.join(BUGS)}")
    return BUGS[bug]


def install(bug: str) -> None:
    """Plant ``bug`` in the agent module for the rest of the process."""
    for name, fn in _replacements(bug).items():
        setattr(agent, name, fn)


@contextmanager
def planted(bug: str) -> Iterator[None]:
    """Plant ``bug`` for the duration of the block (not thread-safe: the agent module is shared)."""
    saved = {name: getattr(agent, name) for name in _replacements(bug)}
    install(bug)
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(agent, name, fn)


def run_support_agent(user_message: str, bug: str | None = None) -> str:
    """The agent with ``bug`` (default: ``$SUPPORT_AGENT_BUG``) planted for this one call."""
    bug = bug if bug is not None else os.environ.get(ENV_VAR) or None
    if bug is None:
        return agent.run_support_agent(user_message)
    with planted(bug):
        return agent.run_support_agent(user_message)
