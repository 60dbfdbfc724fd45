"""Which hosts serve Azure OpenAI: read by the openai instrumentation (a plain ``OpenAI`` client sent to one) and
by the reader of other instrumentations' spans (which name such a call "openai" but record its host)."""

from __future__ import annotations

from typing import Final

__all__ = ["is_azure_openai_host"]

_AZURE_HOSTS: Final = tuple(f".{service}.azure.{tld}" for service in ("openai", "cognitiveservices")
                            for tld in ("com", "us", "cn"))
"""Hosts of Azure OpenAI resources (public cloud, US Government, China)."""
_AZURE_FOUNDRY: Final = ".services.ai.azure.com"
"""An Azure AI Foundry resource: Azure OpenAI under its ``/openai`` paths (its ``/models`` are another API)."""


def is_azure_openai_host(host: str, path: str | None = None) -> bool:
    """Whether ``host`` serves Azure OpenAI. A Foundry host does under ``/openai`` only, so it counts when
    ``path`` (the request's, if known) says so; without a path it does not."""
    host = host.lower()
    return host.endswith(_AZURE_HOSTS) or (host.endswith(_AZURE_FOUNDRY) and path is not None and "/openai" in path)
