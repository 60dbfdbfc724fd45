"""USD price of one LLM call, from the offline ``genai-prices`` table plus user-registered overrides.

Pricing runs on every instrumented call, and ``genai_prices.calc_price`` walks its unit registry on each
invocation (tens of microseconds). So the table is consulted once per (provider, model, service tier):
the resolved per-token rates are cached and the per-call work is four multiplications. Models whose
rates change with prompt size (tiered prices) keep genai-prices' own arithmetic, from the cached price
object, because a flat rate would be wrong for them.

Unknown models are not an error: :func:`price_call` returns ``None``, the span carries no cost, and the
session is marked incomplete by the processor. Nothing here raises into the caller.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import _guard

__all__ = ["clear_price_cache", "price_call", "register_price"]

_PER_MTOK = 1_000_000
_LRU_SIZE = 1024


@dataclass(frozen=True, slots=True)
class _Rates:
    """USD per token; ``None`` for a cache rate means those tokens cost the plain input rate."""

    input: float
    output: float
    cache_read: float | None
    cache_write: float | None
    cache_write_1h: float | None = None
    """One-hour-TTL cache writes (Anthropic); ``None``: priced as other cache writes."""


@dataclass(frozen=True, slots=True)
class _Tiered:
    """A genai-prices price whose rates depend on the prompt size: priced by genai-prices itself."""

    model_price: Any


_Entry = _Rates | _Tiered | None

_custom: dict[tuple[str, str], _Rates] = {}
_custom_lock = threading.Lock()


def _per_token(per_mtok: float | Decimal | None) -> float | None:
    return None if per_mtok is None else float(per_mtok) / _PER_MTOK


def register_price(
    model: str,
    *,
    input_per_mtok: float,
    output_per_mtok: float,
    cache_read_per_mtok: float | None = None,
    cache_write_per_mtok: float | None = None,
    provider: str = "openai",
) -> None:
    """Price a model genai-prices doesn't know (a fine-tune, a self-hosted model), or override its price.

    Registered prices win over the bundled table. A fine-tuned id (``ft:base:org::id``) that has no
    price of its own falls back to its base model, so registering the base covers its fine-tunes.
    """
    rates = _Rates(
        input=float(input_per_mtok) / _PER_MTOK,
        output=float(output_per_mtok) / _PER_MTOK,
        cache_read=_per_token(cache_read_per_mtok),
        cache_write=_per_token(cache_write_per_mtok),
    )
    with _custom_lock:
        _custom[(provider.lower(), model.lower())] = rates
    _lookup.cache_clear()


def clear_price_cache() -> None:
    """Forget resolved prices (after ``genai_prices.UpdatePrices`` refreshed the table, or in tests)."""
    _lookup.cache_clear()


def _unregister_all() -> None:
    """Drop every registered price (tests)."""
    with _custom_lock:
        _custom.clear()
    _lookup.cache_clear()


def _from_genai_prices(model: str, provider: str, service_tier: str | None) -> _Entry:
    from genai_prices import Usage, calc_price

    context = {"service_tier": service_tier} if service_tier else None
    try:
        # One throwaway calculation resolves the model, its dated price and the service-tier variant.
        calc = calc_price(Usage(input_tokens=1, output_tokens=1), model, provider_id=provider,
                          price_context=context)
    except LookupError:
        return None
    price = calc.model_price
    values = {key: getattr(price, key, None) for key in
              ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok")}
    if values["input_mtok"] is None and values["output_mtok"] is None:
        return None  # priced per image, per second...: not a token model we can price
    if not all(v is None or isinstance(v, Decimal) for v in values.values()):
        return _Tiered(price)
    return _Rates(
        input=_per_token(values["input_mtok"]) or 0.0,
        output=_per_token(values["output_mtok"]) or 0.0,
        cache_read=_per_token(values["cache_read_mtok"]),
        cache_write=_per_token(values["cache_write_mtok"]),
        cache_write_1h=_per_token(values["cache_write_1h_mtok"]),
    )


@functools.lru_cache(maxsize=_LRU_SIZE)
def _lookup(provider: str, model: str, service_tier: str | None) -> _Entry:
    key = model.lower()
    custom = _custom.get((provider, key))
    if custom is not None:
        return custom
    entry = _from_genai_prices(model, provider, service_tier)
    if entry is None and key.startswith("ft:"):
        base = key.split(":", 2)[1]
        if base:
            return _lookup(provider, base, service_tier)
    return entry


def price_call(
    model: str | None,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_write_1h_tokens: int = 0,
    provider: str = "openai",
    service_tier: str | None = None,
) -> float | None:
    """USD cost of one call, or ``None`` when the model has no known price (never raises).

    ``input_tokens`` is the whole prompt *including* cache reads and writes (OpenAI's and genai-prices'
    convention); the cached share is charged at its own rate when the model has one.
    ``cache_write_1h_tokens`` is the part of ``cache_write_tokens`` written with a one-hour TTL.
    """
    return price_tokens(model, provider.lower(), service_tier, input_tokens, output_tokens, cache_read_tokens,
                        cache_write_tokens, cache_write_1h_tokens)


def price_tokens(model: str | None, provider: str, service_tier: str | None, input_tokens: int,
                 output_tokens: int, cache_read_tokens: int, cache_write_tokens: int,
                 cache_write_1h_tokens: int) -> float | None:
    """:func:`price_call` with positional arguments, for the per-call path (keywords cost a little more);
    ``provider`` already in lower case (the instrumentations pass the ``semconv.PROVIDER_*`` names)."""
    try:
        if _guard.ARMED:
            _guard.fault_point("cost.price_call")
        if not model:
            return None
        entry = _lookup(provider, model, service_tier or None)
        if entry is None:
            return None
        if isinstance(entry, _Tiered):
            return _tiered_price(entry, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                                 cache_write_1h_tokens)
        uncached = input_tokens
        cost = output_tokens * entry.output
        if entry.cache_read is not None:
            uncached -= cache_read_tokens
            cost += cache_read_tokens * entry.cache_read
        if entry.cache_write is not None:
            uncached -= cache_write_tokens
            hour = min(cache_write_1h_tokens, cache_write_tokens) if entry.cache_write_1h is not None else 0
            cost += (cache_write_tokens - hour) * entry.cache_write + hour * (entry.cache_write_1h or 0.0)
        if uncached < 0 or output_tokens < 0:
            return None  # inconsistent usage (cached share larger than the prompt): don't guess
        return cost + uncached * entry.input
    except Exception as exc:
        _guard.report("cost.price_call", exc)
        return None


def _tiered_price(entry: _Tiered, input_tokens: int, output_tokens: int, cache_read: int,
                  cache_write: int, cache_write_1h: int = 0) -> float | None:
    from genai_prices import Usage

    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens,
                  cache_read_tokens=cache_read or None, cache_write_tokens=cache_write or None,
                  cache_write_1h_tokens=cache_write_1h or None)
    try:
        result = entry.model_price.calc_price(usage)
    except ValueError:
        return None  # genai-prices rejects inconsistent usage
    return float(result["total_price"])
