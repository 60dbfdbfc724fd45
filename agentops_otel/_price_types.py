"""The rates and extras a call is priced from: shared by :mod:`agentops_otel.cost` and the readers of usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Extras", "_Rates", "_Tiered"]


@dataclass(frozen=True, slots=True)
class _Rates:
    """USD per token; ``None`` for a cache rate means those tokens cost the plain input rate."""

    input: float
    output: float
    cache_read: float | None
    cache_write: float | None
    cache_write_1h: float | None = None
    """One-hour-TTL cache writes (Anthropic); ``None``: priced as other cache writes."""
    source: Any = None
    """The genai-prices price these rates came from (``None`` for a registered price), for :class:`Extras`."""


@dataclass(frozen=True, slots=True)
class Extras:
    """What a call used beyond tokens at the text rates; built only when one of them is there.

    The audio counts are shares of the input / output token totals (as the providers report them).
    """

    input_audio_tokens: int = 0
    output_audio_tokens: int = 0
    web_searches: int = 0
    file_searches: int = 0
    """OpenAI's ``file_search_call`` items, billed per call (genai-prices' ``storage_searches``)."""
    unpriced_tools: int = 0
    """Hosted tool calls billed beside the tokens at rates the table lacks (a code interpreter's container, a
    generated image, the web search of a Chat Completions search model): such a call stays unpriced."""
    speed: str | None = None
    """Anthropic's ``usage.speed`` when not ``"standard"`` (``"fast"`` is billed at its own rates)."""
    geo: str | None = None
    """Anthropic's ``usage.inference_geo`` when not a standard-rate one: ``"us"`` is billed at 1.1x on
    Claude 4.6 and later, a rate genai-prices has no variant for, so such a call stays unpriced."""
    region: str | None = None
    """A cloud region billed above the table's rates: a Google Vertex AI region other than ``global`` (regional and
    multi-region endpoints cost 10% more on Claude Sonnet 4.5 and later); only a registered price prices it."""
    cache_ttl_unknown: bool = False
    """Anthropic cache writes the response did not split by TTL: the table's one-hour and five-minute rates
    differ, so only a registered price (one cache-write rate) prices such a call."""


@dataclass(frozen=True, slots=True)
class _Tiered:
    """A genai-prices price whose rates depend on the prompt size: priced by genai-prices itself."""

    model_price: Any
