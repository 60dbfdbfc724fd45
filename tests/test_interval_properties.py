"""Properties of the gate's Wilson interval, over every count hypothesis can think of."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentops_otel.gate import wilson_interval

counts = st.integers(min_value=1, max_value=100_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))
levels = st.floats(min_value=0.5, max_value=0.999)


@given(counts, levels)
def test_the_interval_holds_the_observed_rate(kn: tuple[int, int], level: float) -> None:
    """0 <= low <= k/n <= high <= 1, whatever the counts and level."""
    k, n = kn
    low, high = wilson_interval(k, n, level)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(counts, levels, levels)
def test_more_confidence_never_narrows(kn: tuple[int, int], a: float, b: float) -> None:
    """The interval at a higher level contains the one at a lower level."""
    k, n = kn
    lo_level, hi_level = sorted((a, b))
    inner, outer = wilson_interval(k, n, lo_level), wilson_interval(k, n, hi_level)
    assert outer[0] <= inner[0] + 1e-12 and inner[1] <= outer[1] + 1e-12


@given(counts, levels)
def test_failures_and_passes_mirror(kn: tuple[int, int], level: float) -> None:
    """The interval for k failures is the mirror of the one for n - k failures."""
    k, n = kn
    low, high = wilson_interval(k, n, level)
    m_low, m_high = wilson_interval(n - k, n, level)
    assert math.isclose(low, 1 - m_high, abs_tol=1e-9) and math.isclose(high, 1 - m_low, abs_tol=1e-9)


@given(counts, st.integers(min_value=2, max_value=50))
def test_more_sessions_at_the_same_rate_narrow_it(kn: tuple[int, int], factor: int) -> None:
    """The same rate over more sessions gives a narrower interval."""
    k, n = kn
    low, high = wilson_interval(k, n)
    low2, high2 = wilson_interval(k * factor, n * factor)
    assert high2 - low2 < high - low


@given(st.integers(min_value=1, max_value=10_000), levels)
def test_no_failures_start_at_zero(n: int, level: float) -> None:
    """With no failure the lower end is 0 and the upper end is z²/(n+z²) (the rule of three's cousin)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + level / 2)
    low, high = wilson_interval(0, n, level)
    assert low == 0.0 and math.isclose(high, z * z / (n + z * z), rel_tol=1e-9)


def test_known_values() -> None:
    """Textbook values: 1/10 at 95% is 1.8%–40.4%; 0 sessions say nothing (0–1)."""
    assert wilson_interval(1, 10) == pytest.approx((0.01787, 0.40415), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
