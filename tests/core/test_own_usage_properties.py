"""The live rollup's reading of our own model calls agrees with the general reader, whatever the span says."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agentops_otel import semconv as sc
from agentops_otel.genai_spans import llm_usage, own_totals, own_usage

written = st.one_of(st.none(), st.integers(min_value=-5, max_value=10**9), st.booleans(), st.text(max_size=3),
                    st.floats(allow_nan=True, allow_infinity=True), st.integers(0, 10**6).map(float))
models = st.one_of(st.none(), st.just(""), st.sampled_from(["gpt-4o-mini", "claude-sonnet-4-5", "my-deployment"]))
PROVIDERS = [sc.PROVIDER_OPENAI, sc.PROVIDER_ANTHROPIC, sc.PROVIDER_AZURE_OPENAI, "Azure", "other"]
COUNT_KEYS = (sc.GEN_AI_USAGE_INPUT_TOKENS, sc.GEN_AI_USAGE_OUTPUT_TOKENS, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
              sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)


@st.composite
def own_call_attributes(draw: st.DrawFn) -> dict[str, Any]:
    provider = draw(st.sampled_from(PROVIDERS))
    attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT, sc.GEN_AI_PROVIDER_NAME: provider,
                             sc.SERVER_ADDRESS: "my-resource.openai.azure.com" if provider == sc.PROVIDER_AZURE_OPENAI
                             else "api.example.com"}
    for key, strategy in ((sc.GEN_AI_REQUEST_MODEL, models), (sc.GEN_AI_RESPONSE_MODEL, models), (sc.COST_USD, written),
                          *((key, written) for key in COUNT_KEYS)):
        value = draw(strategy)
        if value is not None:
            attrs[key] = value
    return attrs


@given(own_call_attributes())
def test_own_calls_read_as_the_general_reader_reads_them(attrs: dict[str, Any]) -> None:
    """Model, provider, every count (a count that counts nothing voids them all) and the recorded cost."""
    assert own_usage(attrs) == llm_usage(attrs, own=True)


@given(own_call_attributes())
def test_a_reassemblys_totals_read_the_figures_own_usage_reads(attrs: dict[str, Any]) -> None:
    """Cost and both counts, as :func:`own_usage` gives them (a count that counts nothing voids both)."""
    usage = own_usage(attrs)
    assert own_totals(attrs) == (usage.cost_usd, usage.input_tokens, usage.output_tokens)
