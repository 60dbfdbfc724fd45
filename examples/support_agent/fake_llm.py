"""Makes the local OpenAI- or Anthropic-compatible server answer the support agent like a plausible model.

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


def _system(request: Request) -> str:
    """The system prompt: OpenAI's system messages, or Anthropic's ``system`` field (text or blocks)."""
    system = request.json.get("system")
    if isinstance(system, list):
        system = " ".join(str(block.get("text", "")) for block in system if isinstance(block, dict))
    chat = " ".join(str(m.get("content", "")) for m in request.messages if m.get("role") == "system")
    return f"{system or ''} {chat}"


def _tool_results(messages: list[dict[str, Any]]) -> list[str]:
    """Tool outputs sent back so far: OpenAI ``tool`` messages, Anthropic ``tool_result`` blocks."""
    found = [str(m.get("content") or "") for m in messages if m.get("role") == "tool"]
    for message in messages:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            found += [str(b.get("content") or "") for b in content
                      if isinstance(b, dict) and b.get("type") == "tool_result"]
    return found


def support_llm_responder(request: Request) -> Reply | None:
    """Answer classify, billing (with a lookup_invoices tool call) and general requests, on either API."""
    messages = request.messages
    text = request.last_user_text
    if CLASSIFY_PROMPT in _system(request):
        if BILLING_WORDS.search(text):
            return Reply.text("billing")
        return Reply.text("technical" if TECH_WORDS.search(text) else "general")
    wants_tools = bool(request.json.get("tools"))
    if wants_tools:
        tool_results = _tool_results(messages)
        if not tool_results:
            found = re.search(r"\(id (\w+)\)", text)
            return Reply.tool_calls(("lookup_invoices", {"customer_id": found.group(1) if found else ""}))
        invoices = json.loads(tool_results[-1] or "[]")
        if len(invoices) > 1 and invoices[0] == invoices[1]:
            return Reply.text("I can see a duplicate charge on your account; I have refunded the second "
                              f"charge of ${invoices[1]['usd']:.2f}. Sorry for the trouble with your billing!")
        return Reply.text("I checked your billing history and found a single charge this month; "
                          "could you send the date of the second charge?")
    return Reply.text("Thanks for reaching out! You can reset your password from the sign-in page; "
                      "write back if the email does not arrive within five minutes.", chunk_size=12)
