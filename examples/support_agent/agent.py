"""The support agent of the product story, instrumented with agentops_otel.

It classifies the user's message with an LLM, and for billing questions extracts the customer id,
fetches the customer (a tool that raises ``ValueError`` when the id is missing), looks up invoices
through an LLM tool call and writes a reply; anything else gets a streamed general reply.

The code is written against the AgentOps-style API (``import agentops_otel as agentops``) exactly as
the article shows it, so the same file shows how an existing agent ports with one import.

The same agent runs on Claude with ``SUPPORT_AGENT_PROVIDER=anthropic`` (read at each call): the three
LLM steps then go through the ``anthropic`` client (``messages.create`` with a tool-use round trip, and
the ``messages.stream()`` helper), and ``init()`` traces them just the same.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any

import openai
from openai import OpenAI

import agentops_otel as agentops
from agentops_otel import ActionEvent, record_action, tool

if TYPE_CHECKING:
    from anthropic import Anthropic

MODEL = os.environ.get("SUPPORT_AGENT_MODEL", "gpt-4o-mini")
ANTHROPIC_MODEL = os.environ.get("SUPPORT_AGENT_ANTHROPIC_MODEL", "claude-haiku-4-5")
PROVIDER_ENV = "SUPPORT_AGENT_PROVIDER"
"""``openai`` (default) or ``anthropic``: which client the agent's LLM steps use."""
PROVIDERS = ("openai", "anthropic")
CLASSIFY_PROMPT = "Classify the support message as one word: billing, technical or general."
BILLING_PROMPT = "You are a billing support agent. Use lookup_invoices before answering."
GENERAL_PROMPT = "You are a friendly support agent. Answer in two sentences."

CUSTOMERS: dict[str, dict[str, Any]] = {
    "4417": {"id": "4417", "name": "Ada Lovelace", "plan": "pro", "email": "ada@example.com"},
    "2093": {"id": "2093", "name": "Alan Turing", "plan": "team", "email": "alan@example.com"},
    "7781": {"id": "7781", "name": "Grace Hopper", "plan": "pro", "email": "grace@example.com"},
}
INVOICES: dict[str, list[dict[str, Any]]] = {
    "4417": [{"date": "2026-11-01", "usd": 29.0}, {"date": "2026-11-01", "usd": 29.0}],
    "2093": [{"date": "2026-11-03", "usd": 99.0}, {"date": "2026-11-03", "usd": 99.0}],
    "7781": [{"date": "2026-11-07", "usd": 29.0}],
}
LOOKUP_INVOICES_SCHEMA = {
    "type": "function",
    "function": {
        "name": "lookup_invoices",
        "description": "List the customer's invoices of the last 30 days",
        "parameters": {
            "type": "object",
            "properties": {"customer_id": {"type": "string"}},
            "required": ["customer_id"],
        },
    },
}

LOOKUP_INVOICES_TOOL = {  # the same tool in Anthropic's shape
    "name": "lookup_invoices",
    "description": LOOKUP_INVOICES_SCHEMA["function"]["description"],  # type: ignore[index]
    "input_schema": LOOKUP_INVOICES_SCHEMA["function"]["parameters"],  # type: ignore[index]
}

_client: OpenAI | None = None
_claude: Anthropic | None = None


def provider() -> str:
    name = os.environ.get(PROVIDER_ENV, "openai").strip().lower() or "openai"
    if name not in PROVIDERS:
        raise ValueError(f"{PROVIDER_ENV}={name!r}: choose one of {', '.join(PROVIDERS)}")
    return name


def claude() -> Anthropic:
    """One Anthropic client (reads ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY); imported only when used."""
    global _claude
    if _claude is None:
        from anthropic import Anthropic

        _claude = Anthropic(max_retries=0)
    return _claude


def claude_classify(system: str, message: str) -> str:
    response = claude().messages.create(model=ANTHROPIC_MODEL, max_tokens=16, system=system,
                                        messages=[{"role": "user", "content": f"Classify: {message}"}])
    text = "".join(block.text for block in response.content if block.type == "text")
    return (text or "general").strip().lower().strip(".")


def client() -> OpenAI:
    """One explicit client (reads OPENAI_BASE_URL / OPENAI_API_KEY, like the module-level one)."""
    global _client
    if _client is None:
        _client = OpenAI(max_retries=0)
    return _client


@record_action("classify_intent")
def classify(message: str) -> str:
    if provider() == "anthropic":
        return claude_classify(CLASSIFY_PROMPT, message)
    response = openai.chat.completions.create(  # the module-level client, as in the article
        model=MODEL,
        messages=[{"role": "system", "content": CLASSIFY_PROMPT},
                  {"role": "user", "content": f"Classify: {message}"}],
        temperature=0,
    )
    return (response.choices[0].message.content or "general").strip().lower().strip(".")


def extract_customer_id(message: str) -> str | None:
    match = re.search(r"(?:account|customer|acct)\s*(?:id|number|no\.?)?\s*#?\s*(\d{3,})", message, re.I)
    return match.group(1) if match else None


@record_action("fetch_customer_data")
def fetch_customer(customer_id: str | None) -> dict[str, Any]:
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    customer = CUSTOMERS.get(customer_id)
    if customer is None:
        raise LookupError(f"no customer {customer_id}")
    return customer


@tool
def lookup_invoices(customer_id: str) -> list[dict[str, Any]]:
    return INVOICES.get(customer_id, [])


def _claude_billing_response(customer: dict[str, Any], message: str) -> str:
    messages: list[Any] = [{"role": "user", "content": f"Customer {customer['name']} (id {customer['id']}): {message}"}]
    response = claude().messages.create(model=ANTHROPIC_MODEL, max_tokens=512, system=BILLING_PROMPT,
                                        messages=messages, tools=[LOOKUP_INVOICES_TOOL])  # type: ignore[list-item]
    for _ in range(3):
        calls = [block for block in response.content if block.type == "tool_use"]
        if not calls:
            break
        messages.append({"role": "assistant", "content": response.content})
        results = []
        for call in calls:
            args: Any = call.input if isinstance(call.input, dict) else {}
            invoices = lookup_invoices(args.get("customer_id", customer["id"]))
            results.append({"type": "tool_result", "tool_use_id": call.id, "content": json.dumps(invoices)})
        messages.append({"role": "user", "content": results})
        response = claude().messages.create(model=ANTHROPIC_MODEL, max_tokens=512, system=BILLING_PROMPT,
                                            messages=messages, tools=[LOOKUP_INVOICES_TOOL])  # type: ignore[list-item]
    return "".join(block.text for block in response.content if block.type == "text")


def generate_billing_response(customer: dict[str, Any], message: str) -> str:
    if provider() == "anthropic":
        return _claude_billing_response(customer, message)
    messages: list[Any] = [
        {"role": "system", "content": BILLING_PROMPT},
        {"role": "user", "content": f"Customer {customer['name']} (id {customer['id']}): {message}"},
    ]
    response = client().chat.completions.create(model=MODEL, messages=messages,
                                                 tools=[LOOKUP_INVOICES_SCHEMA])  # type: ignore[list-item]
    choice = response.choices[0].message
    for _ in range(3):
        if not choice.tool_calls:
            break
        messages.append(choice.model_dump(exclude_none=True))
        for call in choice.tool_calls:
            args = json.loads(call.function.arguments or "{}")  # type: ignore[union-attr]
            result = lookup_invoices(args.get("customer_id", customer["id"]))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
        response = client().chat.completions.create(model=MODEL, messages=messages,
                                                     tools=[LOOKUP_INVOICES_SCHEMA])  # type: ignore[list-item]
        choice = response.choices[0].message
    return choice.content or ""


def generate_general_response(message: str) -> str:
    if provider() == "anthropic":
        with claude().messages.stream(model=ANTHROPIC_MODEL, max_tokens=256, system=GENERAL_PROMPT,
                                      messages=[{"role": "user", "content": message}]) as claude_stream:
            return "".join(claude_stream.text_stream)
    stream = client().chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": GENERAL_PROMPT}, {"role": "user", "content": message}],
        stream=True,
        stream_options={"include_usage": True},
    )
    parts = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    return "".join(parts)


def run_support_agent(user_message: str) -> str:
    agentops.start_session(tags=["support", "v2.1"])
    try:
        intent = classify(user_message)
        if intent == "billing":
            customer = fetch_customer(extract_customer_id(user_message))
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
