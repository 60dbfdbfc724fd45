"""USD price of one LLM call, from the offline ``genai-prices`` table plus user-registered overrides.

Pricing runs on every instrumented call, and ``genai_prices.calc_price`` walks its unit registry on each
invocation (tens of microseconds). So the table is consulted once per (provider, model, service tier):
the resolved per-token rates are cached and the per-call work is four multiplications. Models whose
rates change with prompt size (tiered prices) keep genai-prices' own arithmetic, from the cached price
object, because a flat rate would be wrong for them.

Unknown models are not an error: :func:`price_call` returns ``None``, the span carries no cost, and the
session is marked incomplete by the processor. Nothing here raises into the caller.

What a call is billed for beyond its tokens at the text rates (audio tokens, server-side web and file searches,
hosted tools, Anthropic's fast mode) arrives as :class:`Extras`, rare enough to be priced by genai-prices itself on
each call; the per-call path only tests it for ``None``. A charge the table has no rate for leaves the
call unpriced rather than priced without it: a cost that is known must be the whole bill.

Azure OpenAI calls are priced from genai-prices' Azure table, by the model the *response* names: the request
names a deployment, a label the user chose (a deployment called ``gpt-4o`` may serve another model). Its rates are
those of Global deployments; Data Zone and Regional ones cost about 10% more and nothing in a response says which
served it, so they are used only when the program says its deployments are Global
(``AGENTOPS_OTEL_AZURE_DEPLOYMENT=global``): otherwise the call is unpriced (``deployment_type_unknown``) and a cost
bound refuses it, rather than pass a bill up to a tenth short. A price registered for the deployment's name or the
model (for Azure) prices it whatever the deployment type.

Claude through AWS Bedrock (``aws.bedrock``) is priced from genai-prices' Bedrock table by the model id *requested*:
its inference profile (``global.`` or a regional one such as ``us.``) sets the rates, and the response names only
Anthropic's model id. Through Google Vertex AI (``gcp.vertex_ai``) it is priced from the table's Google entries, at
the global endpoint's rates (another region is unpriced, see ``Extras.region``). A model the cloud's table does not
list is unpriced, never priced at Anthropic's own rates.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Final

from . import _forksafe, _guard, config
from ._price_types import Extras, _Rates, _Tiered
from ._tiers import TIER_UNCONFIRMED, billed_tier, price_context
from .semconv import (
    AZURE_GLOBAL,
    AZURE_OPENAI_ALIASES,
    GAP_CACHE_TTL_UNKNOWN,
    GAP_DEPLOYMENT_TYPE_UNKNOWN,
    GAP_MODEL_UNPRICED,
    GAP_TIER_UNCONFIRMED,
    GAP_USAGE_UNPRICED,
    PROVIDER_AWS_BEDROCK,
    PROVIDER_AZURE_OPENAI,
    PROVIDER_GCP_VERTEX_AI,
)

__all__ = ["TIER_UNCONFIRMED", "Extras", "billed_tier", "canonical_provider", "clear_price_cache", "price_call",
           "register_price"]

_PER_MTOK = 1_000_000
_LRU_SIZE = 1024


_Entry = _Rates | _Tiered | None

_custom: dict[tuple[str | None, str], _Rates] = {}
"""Registered prices by (provider, model), both in lower case; provider ``None``: any provider."""
_custom_lock = _forksafe.lock()
_TokenRates = tuple[float, float, float | None, float | None, float | None]
"""A :class:`_Rates`' input, output, cache-read, cache-write and one-hour cache-write rates, as one tuple."""
_token_rates: dict[tuple[str | None, str | None, str | None, str | None], _TokenRates] = {}
"""Plain token rates :func:`price_tokens` found, by (model, provider, service tier, fallback): its common case
(no extras, no one-hour cache writes, not Azure, whose deployment type is read per call) looks them up here in one
dict read, skipping the checks before ``_lookup``, its LRU bookkeeping and the rate object's slot descriptors. On
the per-call path this runs with cold caches, where each object touched costs a memory read."""
_TOKEN_RATES_MAX: Final = 256
_generation = 0
"""Bumped each time prices are forgotten: rates looked up across such a moment are not kept."""


def _per_token(per_mtok: float | Decimal | None) -> float | None:
    return None if per_mtok is None else float(per_mtok) / _PER_MTOK


def register_price(
    model: str,
    *,
    input_per_mtok: float,
    output_per_mtok: float,
    cache_read_per_mtok: float | None = None,
    cache_write_per_mtok: float | None = None,
    provider: str | None = None,
) -> None:
    """Price a model genai-prices doesn't know (a fine-tune, a self-hosted model), or override its price.

    Without ``provider`` the price is the model's whichever provider the call goes to (``"openai"``,
    ``"azure.ai.openai"`` (or ``"azure"``),
    ``"anthropic"``, ``"aws.bedrock"``, ``"gcp.vertex_ai"``, a recorded ``LLMEvent`` that names none): a model name
    is what users know, and a
    price silently ignored because the call went through another client would let a bound pass on the
    bundled price. With ``provider`` it is that provider's price of the model, and wins over one
    registered for any provider on that provider's calls (a gateway billing the same model differently).

    Registered prices win over the bundled table. A call names two models, the one requested and the one
    the response names (often a dated one, ``gpt-4o`` answered as ``gpt-4o-2024-08-06``); the first of
    these prices is used: registered for the call's provider (the response's model, then the requested
    one), registered for any provider (the same two), bundled for the response's model, bundled for the
    requested model (not when the response names a dated snapshot of it the table does not list: snapshots
    are billed differently). So registering the name you request covers every dated name it is answered with.

    A fine-tuned model (``ft:base:org::id``) the table doesn't know is unpriced, not priced as its base:
    fine-tuned inference is billed at other rates. Register the fine-tuned id itself.

    An Azure OpenAI call names a deployment, not a model: a price registered with ``provider="azure.ai.openai"``
    for the deployment's name prices its calls (your deployment's rates: Data Zone, Regional, provisioned), and one
    for the model its response names too; a price registered for any provider applies to the response's model
    only, never to a deployment's name.

    A registered price is the price of the model's tokens whatever the service tier or speed; a call
    that also used audio tokens or web or file searches, which it has no rate for, stays unpriced.
    """
    if not isinstance(model, str) or not model:
        raise TypeError(f"register_price(model) takes the model's name, got {model!r}")
    if provider is not None and not isinstance(provider, str):
        raise TypeError(f"register_price(provider=...) takes a provider name such as 'openai' or None (any "
                        f"provider), got {type(provider).__name__}")
    rates = _Rates(
        input=float(input_per_mtok) / _PER_MTOK,
        output=float(output_per_mtok) / _PER_MTOK,
        cache_read=_per_token(cache_read_per_mtok),
        cache_write=_per_token(cache_write_per_mtok),
    )
    with _custom_lock:
        _custom[(canonical_provider(provider.lower()) if provider else None, model.lower())] = rates
    _forget_resolved()


_PRICES_IDS: Final = {PROVIDER_AZURE_OPENAI: "azure", PROVIDER_AWS_BEDROCK: "aws", PROVIDER_GCP_VERTEX_AI: "google"}
"""genai-prices' provider id where it differs from ``gen_ai.provider.name``: its ``azure`` table holds Azure
OpenAI's Global rates (and falls back to OpenAI's for models it does not list), ``aws`` is Bedrock's, ``google``
lists Claude on Vertex AI at its global rates."""
_BORROWED_OK: Final = frozenset({PROVIDER_AZURE_OPENAI})
"""Providers whose calls may be priced from the table genai-prices falls back to for a model their own does not list
(Azure OpenAI bills OpenAI's models at OpenAI's rates). For any other, such a price is refused: the ``google`` table
falls back to Anthropic's, and a Claude model it does not list for Vertex AI is unpriced, not Anthropic's."""


def canonical_provider(provider: str) -> str:
    """One name per provider (lower case given): the spellings of Azure OpenAI (``azure``, ``az.ai.openai``) are
    ``azure.ai.openai``, so a price registered under one applies to spans that say another."""
    return PROVIDER_AZURE_OPENAI if provider in AZURE_OPENAI_ALIASES else provider


def clear_price_cache() -> None:
    """Forget resolved prices (after ``genai_prices.UpdatePrices`` refreshed the table, or in tests)."""
    _forget_resolved()


def _unregister_all() -> None:
    """Drop every registered price (tests)."""
    with _custom_lock:
        _custom.clear()
    _forget_resolved()


def _forget_resolved() -> None:
    global _generation
    _generation += 1  # before the clears: a lookup that began before them keeps nothing (see _resolve)
    _lookup.cache_clear()
    _token_rates.clear()


def _from_genai_prices(model: str, provider: str | None, service_tier: str | None, speed: str | None) -> _Entry:
    from genai_prices import Usage, calc_price

    context, billed = price_context(provider, service_tier, speed)
    try:
        # One throwaway calculation resolves the model, its dated price and the service-tier variant.
        prices_id = _PRICES_IDS.get(provider, provider) if provider else None
        calc = calc_price(Usage(input_tokens=1, output_tokens=1), model, provider_id=prices_id,
                          price_context=context or None)
        if (prices_id is not None and provider not in _BORROWED_OK
                and not any(listed is calc.model for listed in calc.provider.models)):
            return None  # the model found in the table the provider's falls back to: not this provider's price
        if billed and calc.model_price == calc_price(Usage(input_tokens=1, output_tokens=1), model,
                                                     provider_id=prices_id).model_price:
            return None  # the table has no rates for this tier / speed: the standard ones would be wrong
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
        source=price,
    )


@functools.lru_cache(maxsize=_LRU_SIZE)
def _lookup(provider: str | None, model: str | None, fallback: str | None, service_tier: str | None,
            speed: str | None = None, deployment: str | None = None) -> _Entry:
    """The price of a call to ``model`` (the response's) requested as ``fallback``, in the order
    :func:`register_price` documents. An Azure OpenAI call's ``fallback`` is its deployment: a label, priced only
    by a price registered for Azure under it; ``model`` (``None``: the response named none) at Azure's table only
    for ``deployment="global"``."""
    azure = provider == PROVIDER_AZURE_OPENAI
    if _custom:
        for owner in (provider, None) if provider else (None,):
            for name in (model, fallback) if owner is not None or not azure else (model,):
                custom = _custom.get((owner, name.lower())) if name else None
                if custom is not None:
                    return custom
    if not model:
        return None
    if azure:
        return _from_genai_prices(model, provider, service_tier, speed) if deployment == AZURE_GLOBAL else None
    if provider == PROVIDER_AWS_BEDROCK:
        # The model id requested names the inference profile that sets the rates (``global.`` or regional); the
        # response's names only the model, which Bedrock's table prices at its regional rates whichever served it.
        return _from_genai_prices(fallback, provider, service_tier, speed) if fallback else None
    entry = _from_genai_prices(model, provider, service_tier, speed)
    if entry is None and fallback and fallback != model and not _snapshot_of(model, fallback):
        entry = _from_genai_prices(fallback, provider, service_tier, speed)
    return entry


def _snapshot_of(model: str, requested: str) -> bool:
    """``model`` is a dated snapshot of ``requested`` (``gpt-4o-2099-01-01`` of ``gpt-4o``, ``-0613``,
    ``-20250929``). The table lists the snapshots of a name whose prices differ (``gpt-4o-2024-05-13`` costs
    twice ``gpt-4o-2024-08-06``): one it does not list is unpriced, not priced as the name it answered."""
    prefix = requested.lower() + "-"
    return model.lower().startswith(prefix) and model[len(prefix):len(prefix) + 4].isdigit()


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
    return price_tokens(model, canonical_provider(provider.lower()), service_tier, input_tokens, output_tokens,
                        cache_read_tokens, cache_write_tokens, cache_write_1h_tokens)


def price_tokens(model: str | None, provider: str | None, service_tier: str | None, input_tokens: int,
                 output_tokens: int, cache_read_tokens: int, cache_write_tokens: int,
                 cache_write_1h_tokens: int, fallback_model: str | None = None,
                 extras: Extras | None = None) -> float | None:
    """:func:`price_call` with positional arguments, for the per-call path (keywords cost a little more);
    ``provider`` already in lower case and canonical (the instrumentations pass the ``semconv.PROVIDER_*`` names);
    ``None`` when the call names none (a recorded ``LLMEvent``): only prices registered for any provider
    apply, and genai-prices finds the provider by the model's name.
    ``fallback_model`` is the requested model when ``model`` is the response's (see :func:`register_price`); for
    Azure OpenAI, the deployment, and ``model`` is the response's only (``None`` when it named none)."""
    try:
        rates = (_token_rates.get((model, provider, service_tier, fallback_model))
                 if extras is None and not cache_write_1h_tokens and not _guard.ARMED else None)
        if rates is None:
            resolved = _resolve(model, provider, service_tier, input_tokens, output_tokens, cache_read_tokens,
                                cache_write_tokens, cache_write_1h_tokens, fallback_model, extras)
            if not isinstance(resolved, tuple):
                return resolved  # a cost already worked out (extras, a size-tiered price), or None
            rates = resolved
        rate_in, rate_out, rate_read, rate_write, rate_write_1h = rates
        uncached = input_tokens
        cost = output_tokens * rate_out
        if rate_read is not None:
            uncached -= cache_read_tokens
            cost += cache_read_tokens * rate_read
        if rate_write is not None:
            uncached -= cache_write_tokens
            hour = min(cache_write_1h_tokens, cache_write_tokens) if rate_write_1h is not None else 0
            cost += (cache_write_tokens - hour) * rate_write + hour * (rate_write_1h or 0.0)
        if uncached < 0 or output_tokens < 0:
            return None  # inconsistent usage (cached share larger than the prompt): don't guess
        return cost + uncached * rate_in
    except Exception as exc:
        _guard.report("cost.price_call", exc)
        return None


def _resolve(model: str | None, provider: str | None, service_tier: str | None, input_tokens: int,
             output_tokens: int, cache_read_tokens: int, cache_write_tokens: int, cache_write_1h_tokens: int,
             fallback_model: str | None, extras: Extras | None) -> _TokenRates | float | None:
    """:func:`price_tokens` past its memo: the plain rates to apply (kept in :data:`_token_rates` when the
    call's case allows), or the cost itself when genai-prices works it out, or ``None``: unpriced."""
    if _guard.ARMED:
        _guard.fault_point("cost.price_call")
    generation = _generation
    deployment = None
    if provider == PROVIDER_AZURE_OPENAI:
        deployment = config.azure_deployment()
        if not model and not fallback_model:
            return None
    elif not model and (provider != PROVIDER_AWS_BEDROCK or not fallback_model):
        return None
    if extras is not None:
        return _price_extras(model, provider, service_tier or None, input_tokens, output_tokens,
                             cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, fallback_model, extras,
                             deployment)
    entry = _lookup(provider, model, fallback_model, service_tier or None, None, deployment)
    if entry is None:
        return None
    if cache_write_1h_tokens > 0 and _no_hour_rate(entry):
        return None
    if isinstance(entry, _Tiered):
        return _tiered_price(entry, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                             cache_write_1h_tokens)
    rates = (entry.input, entry.output, entry.cache_read, entry.cache_write, entry.cache_write_1h)
    if provider != PROVIDER_AZURE_OPENAI and not cache_write_1h_tokens:
        if len(_token_rates) >= _TOKEN_RATES_MAX:
            _token_rates.clear()
        key = (model, provider, service_tier, fallback_model)
        _token_rates[key] = rates
        if generation != _generation:  # prices were forgotten meanwhile (another thread registered one)
            _token_rates.pop(key, None)
    return rates


def _no_hour_rate(entry: _Rates | _Tiered) -> bool:
    """A bundled price without a one-hour cache-write rate (Google's for Claude Sonnet 4 on Vertex AI, Bedrock's for
    Claude 3.x): one-hour writes cost more than the five-minute rate it has (genai-prices would charge that one), so a
    call that made them is unpriced. A registered price has one cache-write rate for both, as documented."""
    source = entry.model_price if isinstance(entry, _Tiered) else entry.source
    return source is not None and getattr(source, "cache_write_1h_mtok", None) is None


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


def _price_extras(model: str | None, provider: str | None, service_tier: str | None, input_tokens: int,
                  output_tokens: int, cache_read: int, cache_write: int, cache_write_1h: int, fallback: str | None,
                  extras: Extras, deployment: str | None = None) -> float | None:
    """A call with :class:`Extras`, priced by genai-prices from the whole usage; ``None`` when one of
    them has no rate in the price found."""
    entry = _lookup(provider, model, fallback, service_tier, extras.speed, deployment)
    if entry is None or extras.geo is not None or extras.unpriced_tools:
        return None
    audio_in, audio_out, searches = extras.input_audio_tokens, extras.output_audio_tokens, extras.web_searches
    files = extras.file_searches
    source = entry.model_price if isinstance(entry, _Tiered) else entry.source
    if source is None:  # a registered price: the tokens' rates only
        if audio_in or audio_out or searches or files:
            return None
        return price_tokens(model, provider, service_tier, input_tokens, output_tokens, cache_read, cache_write,
                            cache_write_1h, fallback)
    if extras.cache_ttl_unknown or extras.region is not None or (cache_write_1h > 0 and _no_hour_rate(entry)):
        return None
    if ((audio_in and source.input_audio_mtok is None) or (audio_out and source.output_audio_mtok is None)
            or (searches and source.web_searches_kcount is None) or (files and source.storage_searches_kcount is None)):
        return None
    if audio_in > input_tokens or audio_out > output_tokens or min(audio_in, audio_out, searches, files) < 0:
        return None  # inconsistent usage: don't guess
    from genai_prices import Usage

    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cache_read or None,
                  cache_write_tokens=cache_write or None, cache_write_1h_tokens=cache_write_1h or None,
                  input_audio_tokens=audio_in or None, output_audio_tokens=audio_out or None,
                  web_searches=searches or None, storage_searches=files or None)
    try:
        return float(source.calc_price(usage)["total_price"])
    except ValueError:
        return None  # genai-prices rejects inconsistent usage


def unpriced_reason(model: str | None, provider: str, service_tier: str | None, fallback_model: str | None,
                    extras: Extras | None, cache_write_1h: int = 0) -> str:
    """Why :func:`price_tokens` gave ``None`` (a ``semconv.GAP_*`` value): the model has no price, the Azure
    deployment's type is unknown, or something the call used (a service tier, fast mode, audio, web searches,
    one-hour cache writes) has none. Off the per-call path."""
    try:
        deployment = config.azure_deployment() if provider == PROVIDER_AZURE_OPENAI else None
        if (provider == PROVIDER_AZURE_OPENAI and model and deployment != AZURE_GLOBAL
                and _lookup(provider, model, fallback_model, None, None, AZURE_GLOBAL)):
            return GAP_DEPLOYMENT_TYPE_UNKNOWN
        if cache_write_1h > 0 and (model or fallback_model):
            entry = _lookup(provider, model, fallback_model, service_tier or None, None, deployment)
            if entry is not None and _no_hour_rate(entry):
                return GAP_USAGE_UNPRICED
        if model and (extras is not None or service_tier) and _lookup(provider, model, fallback_model, None, None,
                                                                      deployment):
            if service_tier == TIER_UNCONFIRMED:
                return GAP_TIER_UNCONFIRMED
            return GAP_CACHE_TTL_UNKNOWN if extras is not None and extras.cache_ttl_unknown else GAP_USAGE_UNPRICED
    except Exception as exc:
        _guard.report("cost.price_call", exc)
    return GAP_MODEL_UNPRICED
