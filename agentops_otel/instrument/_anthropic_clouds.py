"""Which cloud an ``anthropic`` client sends to: Anthropic's API, AWS Bedrock or Google Vertex AI.

The same Messages API is billed at each cloud's own prices (Bedrock's regional profiles 10% above Anthropic's, a
Vertex region other than global too), and the GenAI conventions name each cloud as its own provider. So a call's
``gen_ai.provider.name`` and its price table come from the client that sent it, never from the model's name
(``claude-...`` reads the same on all three).

The client's class says which cloud it is, as it tells the SDK's own tracing (``_otel_platform``): a subclass of
``AnthropicBedrock`` counts, and so does a client of it pointed at another URL (a proxy in front of Bedrock is
still billed as Bedrock). The class is asked once: this runs on every call.
"""

from __future__ import annotations

from typing import Any, Final

from .. import semconv

__all__ = ["client_provider", "vertex_region"]

_PLATFORMS: Final = {"bedrock": semconv.PROVIDER_AWS_BEDROCK, "vertex": semconv.PROVIDER_GCP_VERTEX_AI}
"""The SDK's ``_otel_platform`` of a client class → the provider its calls go to. The others (``aws``,
``google_cloud``, ``foundry``: Claude Platform clients the SDK itself names ``anthropic``) stay Anthropic's."""
_MODULES: Final = (("anthropic.lib.bedrock", semconv.PROVIDER_AWS_BEDROCK),
                   ("anthropic.lib.vertex", semconv.PROVIDER_GCP_VERTEX_AI))
"""Where an SDK without ``_otel_platform`` defines the cloud clients: the class's bases are looked up there."""

_by_class: dict[type, str] = {}
_BY_CLASS_MAX: Final = 64


def client_provider(client: Any) -> str:
    """``gen_ai.provider.name`` of the calls ``client`` sends, decided once per client class."""
    klass = type(client)
    provider = _by_class.get(klass)
    if provider is None:
        provider = _decide(klass)
        if len(_by_class) >= _BY_CLASS_MAX:
            _by_class.clear()  # classes made on the fly (mocks): the cache stays small
        _by_class[klass] = provider
    return provider


def _decide(klass: type) -> str:
    platform = getattr(klass, "_otel_platform", None)
    if isinstance(platform, str):
        return _PLATFORMS.get(platform, semconv.PROVIDER_ANTHROPIC)
    for base in klass.__mro__:
        module = getattr(base, "__module__", "") or ""
        for prefix, provider in _MODULES:
            if module == prefix or module.startswith(prefix + "."):
                return provider
    return semconv.PROVIDER_ANTHROPIC


def vertex_region(client: Any) -> str | None:
    """The region a Google Vertex AI client sends to (``global``, ``us``, ``us-east5``...); ``None`` for any other
    client or when it does not say."""
    if client_provider(client) != semconv.PROVIDER_GCP_VERTEX_AI:
        return None
    region = getattr(client, "region", None)
    return region if isinstance(region, str) and region else None
