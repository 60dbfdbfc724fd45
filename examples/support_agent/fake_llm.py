"""Makes the local OpenAI-compatible server answer the support agent like a plausible model.

Deterministic on purpose: the same message always takes the same path, so behavioural tests can
assert on tool order and cost, and the demo always shows one failing session.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agentops_otel.testing import Reply, Request

from .agent import CLASSIFY_PROMPT

BILLING_WORDS = re.compile(r"charg|bill|invoice|refund|twice|double|duplicate|paid|payment", re.I)
TECH_WORDS = re.compile(r"error|crash|login|password|bug|broken|reset", re.I)


def _system(messages: list[dict[str, Any]]) -> str:
    return " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")


def support_llm_responder(request: Request) -> Reply | None:
    """Answer classify, billing (with a lookup_invoices tool call) and general requests."""
    messages = request.messages
    text = request.last_user_text
    if CLASSIFY_PROMPT in _system(messages):
        if BILLING_WORDS.search(text):
            return Reply.text("billing")
        return Reply.text("technical" if TECH_WORDS.search(text) else "general")
    wants_tools = bool(request.json.get("tools"))
    if wants_tools:
        tool_results = [m for m in messages if m.get("role") == "tool"]
        if not tool_results:
            found = re.search(r"\(id (\w+)\)", text)
            return Reply.tool_calls(("lookup_invoices", {"customer_id": found.group(1) if found else ""}))
        invoices = json.loads(str(tool_results[-1].get("content") or "[]"))
        if len(invoices) > 1 and invoices[0] == invoices[1]:
            return Reply.text("I can see a duplicate charge on your account; I have refunded the second "
                              f"charge of ${invoices[1]['usd']:.2f}. Sorry for the trouble with your billing!")
        return Reply.text("I checked your billing history and found a single charge this month; "
                          "could you send the date of the second charge?")
    return Reply.text("Thanks for reaching out! You can reset your password from the sign-in page; "
                      "write back if the email does not arrive within five minutes.", chunk_size=12)
