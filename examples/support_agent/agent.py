"""The support agent of the product story, instrumented with agentops_otel.

It classifies the user's message with an LLM, and for billing questions extracts the customer id,
fetches the customer (a tool that raises ``ValueError`` when the id is missing), looks up invoices
through an LLM tool call and writes a reply; anything else gets a streamed general reply.

The code is written against the AgentOps-style API (``import agentops_otel as agentops``) exactly as
the article shows it, so the same file shows how an existing agent ports with one import.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import openai
from openai import OpenAI

import agentops_otel as agentops
from agentops_otel import ActionEvent, record_action, tool

MODEL = os.environ.get("SUPPORT_AGENT_MODEL", "gpt-4o-mini")
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

_client: OpenAI | None = None


def client() -> OpenAI:
    """One explicit client (reads OPENAI_BASE_URL / OPENAI_API_KEY, like the module-level one)."""
    global _client
    if _client is None:
        _client = OpenAI(max_retries=0)
    return _client


@record_action("classify_intent")
def classify(message: str) -> str:
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


def generate_billing_response(customer: dict[str, Any], message: str) -> str:
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
