"""Tools for testing agents without a network: a scriptable OpenAI-compatible server and its replies."""

from __future__ import annotations

from ._openai_server import OpenAIServer, Reply, Request, Usage

__all__ = ["OpenAIServer", "Reply", "Request", "Usage"]
