"""The per-call price memo never changes a price: what the full lookup gives, whatever came before."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentops_otel import cost
from agentops_otel._guard import FaultInjector
from agentops_otel.cost import price_call, price_tokens, register_price

pytestmark = pytest.mark.usefixtures("clean_prices")


def test_a_price_registered_after_calls_applies_to_the_next_call() -> None:
    """A model priced from the table on earlier calls takes a price registered since, at once."""
    bundled = price_call("gpt-4o", input_tokens=1_000_000, output_tokens=0)
    register_price("gpt-4o", input_per_mtok=99.0, output_per_mtok=1.0)
    assert bundled != pytest.approx(99.0)
    assert price_call("gpt-4o", input_tokens=1_000_000, output_tokens=0) == pytest.approx(99.0)


def test_azure_deployment_type_is_read_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """An Azure call priced as a Global deployment is unpriced once the declared type is unset."""
    monkeypatch.setenv("AGENTOPS_OTEL_AZURE_DEPLOYMENT", "global")
    assert price_tokens("gpt-4o", "azure.ai.openai", None, 1000, 100, 0, 0, 0, "prod-chat") is not None
    monkeypatch.delenv("AGENTOPS_OTEL_AZURE_DEPLOYMENT")
    assert price_tokens("gpt-4o", "azure.ai.openai", None, 1000, 100, 0, 0, 0, "prod-chat") is None


def test_one_hour_writes_after_plain_calls_stay_unpriced_without_their_rate() -> None:
    """A Vertex AI model with no one-hour cache-write rate, priced on plain calls, leaves a call with one-hour
    writes unpriced rather than charged at the five-minute rate."""
    model = "claude-sonnet-4@20250514"
    assert price_tokens(model, "gcp.vertex_ai", None, 1000, 100, 0, 300, 0, model) is not None
    assert price_tokens(model, "gcp.vertex_ai", None, 1000, 100, 0, 300, 100, model) is None


def test_an_injected_fault_is_met_after_calls_were_priced(caplog: pytest.LogCaptureFixture) -> None:
    """The fault point of the price lookup is reached on a call whose rates were found before."""
    assert price_call("gpt-4o", input_tokens=1, output_tokens=1) is not None
    FaultInjector.armed["cost.price_call"] = RuntimeError
    assert price_call("gpt-4o", input_tokens=1, output_tokens=1) is None
    assert "cost.price_call" in caplog.text


_MODELS = st.sampled_from(["gpt-4o", "gpt-4o-mini", "gpt-4o-2024-08-06", "o3", "claude-sonnet-4-5", "no-such-model"])
_COUNTS = st.integers(min_value=-5, max_value=2_000_000)


@settings(max_examples=150, deadline=None)
@given(calls=st.lists(st.tuples(_MODELS, st.sampled_from(["openai", "anthropic"]),
                                st.sampled_from([None, "default", "flex", "priority"]),
                                _COUNTS, _COUNTS, _COUNTS, _COUNTS), min_size=1, max_size=6))
def test_memoised_prices_equal_the_full_lookup(calls: list[tuple[str, str, str | None, int, int, int, int]]) -> None:
    """Any sequence of calls is priced as each would be with nothing remembered."""
    for model, provider, tier, inp, out, read, write in calls:
        got = price_tokens(model, provider, tier, inp, out, read, write, 0, model)
        cost._forget_resolved()
        assert price_tokens(model, provider, tier, inp, out, read, write, 0, model) == got
        price_tokens(model, provider, tier, inp, out, read, write, 0, model)  # remembered again for the next


def test_a_price_registered_during_a_lookup_applies_to_the_next_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """A price registered while another call is looking the model up (a thread between its lookup and its
    memo) applies from the next call on: the racing call's old rates are not kept."""
    lookup = cost._lookup

    def racing(*args: object) -> object:
        found = lookup(*args)  # type: ignore[arg-type]
        monkeypatch.setattr(cost, "_lookup", lookup)  # once
        register_price("gpt-4o", input_per_mtok=99.0, output_per_mtok=1.0)
        return found

    racing.cache_clear = lookup.cache_clear  # type: ignore[attr-defined]
    monkeypatch.setattr(cost, "_lookup", racing)
    price_call("gpt-4o", input_tokens=1_000_000, output_tokens=0)  # raced: the bundled price, as looked up
    assert price_call("gpt-4o", input_tokens=1_000_000, output_tokens=0) == pytest.approx(99.0)
