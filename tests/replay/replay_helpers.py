"""The small agent the replay tests record and replay (shared by the modules of this folder)."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
from openai import AsyncOpenAI, OpenAI

from agentops_otel import tool
from agentops_otel.testing import AnthropicServer


class Agent:
    """A two-step agent: an LLM call picks a customer, a tool reads it, a second (streamed) call answers."""

    def __init__(self) -> None:
        self.tool_runs: list[str] = []

        @tool
        def lookup_customer(customer_id: str, api_key: str = "") -> dict[str, Any]:
            self.tool_runs.append(customer_id)
            if customer_id == "0":
                raise LookupError("no customer 0")
            return {"id": customer_id, "plan": "pro"}

        self.lookup_customer = lookup_customer

    def run(self, client: OpenAI, question: str = "who is 4417?", *, temperature: float = 0.0,
            stream: bool = True) -> str:
        first = client.chat.completions.create(
            model="gpt-4o-mini", temperature=temperature,
            messages=[{"role": "user", "content": question}])
        customer = self.lookup_customer("4417", api_key="sk-live-abcdefghijklmnopqrstuvwx")
        messages: Any = [{"role": "user", "content": f"answer with {json.dumps(customer)}"}]
        if not stream:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            return f"{first.choices[0].message.content}|{reply.choices[0].message.content}"
        chunks = client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True,
                                                stream_options={"include_usage": True})
        return f"{first.choices[0].message.content}|" + "".join(
            c.choices[0].delta.content or "" for c in chunks if c.choices)

    async def arun(self, client: AsyncOpenAI) -> str:
        first = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "who is 4417?"}])
        customer = self.lookup_customer("4417")
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": json.dumps(customer)}], stream=True)
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return f"{first.choices[0].message.content}|" + "".join(parts)


def claude_client(server: AnthropicServer) -> anthropic.Anthropic:
    """An Anthropic client with its own HTTP client (the case the SDK's default send does not cover)."""
    return anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-local", max_retries=0,
                               http_client=httpx2.Client(timeout=30))
