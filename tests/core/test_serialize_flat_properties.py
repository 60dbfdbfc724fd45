"""The fast path for small flat dicts (tool-call arguments) records exactly what the general walk records."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentops_otel import _serialize

KEYS = st.one_of(st.sampled_from(["id", "customer_id", "api_key", "password", "token_count", "query", "q"]),
                 st.text(max_size=12))
SCALARS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["sk-proj-Abcdefghijklmnop0123456789XYZ", "Bearer abcdefgh12345678", "x"]),
    st.integers(min_value=-(1 << 70), max_value=1 << 70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(value=st.dictionaries(KEYS, SCALARS, max_size=20), limit=st.integers(min_value=0, max_value=300))
def test_flat_dicts_are_bounded_and_masked_as_the_walk_does(value: dict[str, Any], limit: int) -> None:
    walked = _serialize._walk(value, _serialize._Budget(max(limit, 1)), 0)
    assert _serialize.bounded(value, limit) == walked
