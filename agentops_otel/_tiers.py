"""Service tiers and speeds: which of them a call is billed at, and what genai-prices is asked for them.

A tier billed at rates of its own (OpenAI's ``flex`` and ``priority``, Anthropic's ``priority``, a batch) must be
priced at those rates or not at all: the standard ones would be short of the bill and let a cost bound pass.
"""

from __future__ import annotations

from typing import Final

from .semconv import CLAUDE_PROVIDERS, PROVIDER_ANTHROPIC, PROVIDER_AZURE_OPENAI, PROVIDER_OPENAI

__all__ = ["TIER_UNCONFIRMED", "billed_tier", "price_context"]


def price_context(provider: str | None, service_tier: str | None, speed: str | None) -> tuple[dict[str, str], bool]:
    """genai-prices' price context for a call, and whether it changes the bill (then a model without a
    variant for it is unpriced, not priced at its standard rates)."""
    context: dict[str, str] = {}
    billed = False
    if service_tier:
        if service_tier == "batch" and provider in (PROVIDER_ANTHROPIC, *_OPENAI_APIS):
            context["processing"] = "batch"
            billed = True
        else:
            context["service_tier"] = service_tier
            billed = (service_tier == TIER_UNCONFIRMED
                      or (provider in _OPENAI_APIS and service_tier not in _STANDARD_TIERS)
                      or (provider in CLAUDE_PROVIDERS and service_tier != _ANTHROPIC_STANDARD_TIER))
    if speed and speed != "standard":
        context["speed"] = speed
        billed = True
    return context, billed


_OPENAI_APIS: Final = (PROVIDER_OPENAI, PROVIDER_AZURE_OPENAI)
"""Providers serving OpenAI's API, with its service tiers (Azure OpenAI's ``priority`` among them)."""

_STANDARD_TIERS = frozenset({"default", "auto"})
"""OpenAI service tiers billed at the standard rates. Every other one a response names (``flex``,
``priority``, ``fast``, ``ultrafast``, ``scale``, one added after this was written) is billed at rates of
its own, or by a commitment (``scale``): priced only where the table has a variant for it."""

_ANTHROPIC_STANDARD_TIER: Final = "standard"
"""The one Anthropic ``usage.service_tier`` billed at the standard rates (``batch`` has genai-prices' batch variant).
``priority`` (Priority Tier) is billed through a capacity commitment, and a tier added after this was written may
have rates of its own: priced only where the table has a variant for it."""

TIER_UNCONFIRMED: Final = "<unconfirmed>"
"""The tier of a call that asked for one billed at its own rates and whose response named none: no table has
rates for it, so only a registered price (the model's whatever the tier) prices such a call."""


def billed_tier(served: object, requested: object) -> str | None:
    """The tier to price an OpenAI call at: the one its response says served it. A response naming none, or
    only ``auto`` (a request setting, not a tier that serves), to a request that asked for a tier billed at its
    own rates leaves the tier unknown (:data:`TIER_UNCONFIRMED`): the request's may not be the one served (a
    priority request over its limit is served at default), and the standard rates may be short of the bill."""
    if isinstance(served, str) and served and served != "auto":
        return served
    if isinstance(requested, str) and requested and requested not in _STANDARD_TIERS:
        return TIER_UNCONFIRMED
    return served if isinstance(served, str) and served else None
