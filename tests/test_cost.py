"""Per-call USD cost from genai-prices, with custom prices; never raises."""

from __future__ import annotations

import pytest
from genai_prices import Usage, calc_price

from agentops_otel import cost
from agentops_otel._guard import FaultInjector
from agentops_otel.cost import clear_price_cache, price_call, register_price

pytestmark = pytest.mark.usefixtures("clean_prices")


def _genai(model: str, **tokens: int) -> float:
    usage = Usage(**{k: v or None for k, v in tokens.items()})
    return float(calc_price(usage, model, provider_id="openai").total_price)


@pytest.mark.parametrize(("model", "inp", "out", "read", "write"), [
    ("gpt-4o", 1000, 100, 500, 0),
    ("gpt-4o-mini-2024-07-18", 1234, 567, 0, 0),
    ("gpt-4.1-nano", 10_000, 10, 9_000, 0),
    ("text-embedding-3-small", 5000, 0, 0, 0),
    ("gpt-5.4", 300_000, 1000, 200_000, 0),  # tiered: above 272k prompt tokens the rates change
    ("gpt-6-sol", 1_000_000, 2000, 500_000, 100_000),  # tiered, with a cache-write rate
])
def test_known_models_match_genai_prices(model: str, inp: int, out: int, read: int, write: int) -> None:
    """The cached fast path gives the same USD as genai_prices.calc_price, cache reads and writes included."""
    got = price_call(model, input_tokens=inp, output_tokens=out, cache_read_tokens=read, cache_write_tokens=write)
    expected = _genai(model, input_tokens=inp, output_tokens=out, cache_read_tokens=read,
                      cache_write_tokens=write)
    assert got == pytest.approx(expected, rel=1e-9)


def test_gpt4o_by_hand() -> None:
    """gpt-4o: $2.50/M input, $1.25/M cached input, $10/M output."""
    got = price_call("gpt-4o", input_tokens=1_000_000, output_tokens=1_000_000, cache_read_tokens=200_000)
    assert got == pytest.approx(0.8 * 2.5 + 0.2 * 1.25 + 10)


def test_unknown_model_is_none() -> None:
    """A model nobody priced gives None (unknown), not 0 and not an exception."""
    assert price_call("my-local-llama", input_tokens=10, output_tokens=10) is None
    assert price_call(None, input_tokens=10, output_tokens=10) is None
    assert price_call("gpt-4o", input_tokens=10, output_tokens=10, provider="no-such-provider") is None


def test_custom_price_for_an_unknown_model() -> None:
    """register_price prices a model genai-prices doesn't know, cache reads at their own rate."""
    register_price("my-local-llama", input_per_mtok=1.0, output_per_mtok=2.0, cache_read_per_mtok=0.5)
    got = price_call("my-local-llama", input_tokens=1_000_000, output_tokens=1_000_000,
                     cache_read_tokens=500_000)
    assert got == pytest.approx(0.5 * 1.0 + 0.5 * 0.5 + 2.0)


def test_custom_price_overrides_the_table_and_is_case_insensitive() -> None:
    """A registered price wins over genai-prices, and takes effect even after the model was cached."""
    before = price_call("gpt-4o", input_tokens=1_000_000, output_tokens=0)
    assert before == pytest.approx(2.5)
    register_price("GPT-4o", input_per_mtok=1.0, output_per_mtok=1.0)
    assert price_call("gpt-4o", input_tokens=1_000_000, output_tokens=0) == pytest.approx(1.0)


def test_price_registered_for_one_provider_leaves_the_others_at_the_table() -> None:
    """register_price(..., provider="openai") is OpenAI's price: a Claude call still costs the bundled rate."""
    register_price("claude-haiku-4-5", input_per_mtok=1000, output_per_mtok=1000, provider="openai")
    assert price_call("claude-haiku-4-5", input_tokens=1_000_000, output_tokens=0,
                      provider="anthropic") == pytest.approx(1.0)
    assert price_call("claude-haiku-4-5", input_tokens=1_000_000, output_tokens=0,
                      provider="openai") == pytest.approx(1000.0)


def test_cache_tokens_without_their_own_rate_cost_the_input_rate() -> None:
    """With no cache rates registered, cached tokens are charged as plain input (as genai-prices does)."""
    register_price("plain", input_per_mtok=3.0, output_per_mtok=0.0)
    got = price_call("plain", input_tokens=1_000_000, output_tokens=0, cache_read_tokens=400_000,
                     cache_write_tokens=100_000)
    assert got == pytest.approx(3.0)


def test_fine_tuned_model_priced_by_genai_prices_when_it_knows_the_form() -> None:
    """`ft:gpt-4o-mini-2024-07-18:org::id` has its own (fine-tune) price in genai-prices."""
    got = price_call("ft:gpt-4o-mini-2024-07-18:acme::abc123", input_tokens=1_000_000, output_tokens=0)
    assert got == pytest.approx(0.3)


def test_fine_tuned_model_genai_prices_does_not_know_is_unpriced() -> None:
    """`ft:gpt-4.1-...:org::id` is billed above gpt-4.1's rates: unknown, not priced as its base."""
    assert price_call("ft:gpt-4.1-2025-04-14:acme::abc123", input_tokens=1_000_000, output_tokens=0) is None


def test_registered_fine_tune_is_priced() -> None:
    """A price registered for the exact fine-tune id prices it."""
    register_price("ft:gpt-4o-mini:acme::abc123", input_per_mtok=0.3, output_per_mtok=1.2)
    got = price_call("ft:gpt-4o-mini:acme::abc123", input_tokens=1_000_000, output_tokens=1_000_000)
    assert got == pytest.approx(1.5)


def test_registered_base_does_not_price_its_fine_tunes() -> None:
    """A base model's price is not a fine-tune's: its `ft:` models stay unpriced until registered."""
    register_price("house-model", input_per_mtok=4.0, output_per_mtok=8.0)
    assert price_call("ft:house-model:acme::x", input_tokens=1_000_000, output_tokens=0) is None


def test_billed_tier_without_rates_of_its_own_is_unpriced() -> None:
    """A priority call to a model the table has no priority rates for is not priced at the default ones."""
    assert price_call("gpt-3.5-turbo", input_tokens=1000, output_tokens=0, service_tier="default") is not None
    assert price_call("gpt-3.5-turbo", input_tokens=1000, output_tokens=0, service_tier="priority") is None


def test_anthropic_batch_tier_costs_the_batch_rates() -> None:
    """Anthropic's ``service_tier="batch"`` is genai-prices' batch processing variant."""
    got = price_call("claude-haiku-4-5", input_tokens=1_000_000, output_tokens=0, provider="anthropic",
                     service_tier="batch")
    expected = calc_price(Usage(input_tokens=1_000_000), "claude-haiku-4-5", provider_id="anthropic",
                          price_context={"processing": "batch"}).total_price
    assert got == pytest.approx(float(expected))


def test_service_tier_selects_the_price_variant() -> None:
    """The response's service tier picks genai-prices' variant (flex is cheaper than default)."""
    default = price_call("gpt-5", input_tokens=1_000_000, output_tokens=0, service_tier="default")
    flex = price_call("gpt-5", input_tokens=1_000_000, output_tokens=0, service_tier="flex")
    assert default is not None and flex is not None
    assert flex < default


def test_inconsistent_usage_is_unknown_not_negative() -> None:
    """More cached tokens than prompt tokens is not a real bill: no cost instead of a wrong one."""
    assert price_call("gpt-4o", input_tokens=10, output_tokens=0, cache_read_tokens=20) is None


def test_lookups_are_cached() -> None:
    """The genai-prices lookup runs once per (provider, model, requested model, tier), not once per call."""
    clear_price_cache()
    for _ in range(5):
        price_call("gpt-4o", input_tokens=1, output_tokens=1)
    info = cost._lookup.cache_info()
    assert info.misses == 1
    assert info.currsize == 1


def test_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    """An internal failure gives None and one warning, never an exception."""
    FaultInjector.armed["cost.price_call"] = RuntimeError
    assert price_call("gpt-4o", input_tokens=1, output_tokens=1) is None
    assert "cost.price_call" in caplog.text


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"])
def test_anthropic_one_hour_cache_writes_match_genai_prices(model: str) -> None:
    """Cache writes with a one-hour TTL cost their own (higher) rate, as genai-prices computes it."""
    tokens = {"input_tokens": 10_000, "output_tokens": 500, "cache_read_tokens": 2000, "cache_write_tokens": 3000,
              "cache_write_1h_tokens": 1000}
    got = price_call(model, input_tokens=10_000, output_tokens=500, cache_read_tokens=2000, cache_write_tokens=3000,
                     cache_write_1h_tokens=1000, provider="anthropic")
    expected = float(calc_price(Usage(**tokens), model, provider_id="anthropic").total_price)
    assert got == pytest.approx(expected, rel=1e-9)
    assert got > price_call(model, input_tokens=10_000, output_tokens=500, cache_read_tokens=2000,  # type: ignore[operator]
                            cache_write_tokens=3000, provider="anthropic")
