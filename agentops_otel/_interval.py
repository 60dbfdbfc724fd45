"""How sure a failure rate is: the Wilson score interval, and how many sessions would settle it.

1 failure in 20 sessions is "5%", but a rate anywhere from 0.9% to 24% gives that result as easily;
a gate that passes 0/10 against a 5% bound has shown nothing. Wilson's interval (not the textbook
normal one) keeps its coverage at small counts and at 0 or n failures, where CI gates live, and
needs nothing beyond the normal quantile from the standard library.
"""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["sessions_needed", "wilson_interval", "z_for"]


def z_for(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level in (0, 1)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(failures: float, sessions: float, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for ``failures`` out of ``sessions``; ``(0, 1)`` when there are none."""
    if sessions <= 0:
        return 0.0, 1.0
    if not 0 <= failures <= sessions:
        raise ValueError(f"failures ({failures}) must be between 0 and sessions ({sessions})")
    z = z_for(confidence)
    p = failures / sessions
    z2n = z * z / sessions
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / sessions + z2n / (4 * sessions))
    low = 0.0 if failures == 0 else max(0.0, centre - half)
    high = 1.0 if failures == sessions else min(1.0, centre + half)
    return min(low, p), max(high, p)


def sessions_needed(failures: int, sessions: int, bound: float, confidence: float) -> int | None:
    """Sessions it would take, at the observed rate, for the interval's upper end to drop to ``bound``.

    ``None`` when no number would (the observed rate is at or above the bound).
    """
    if sessions <= 0 or bound >= 1:
        return None if sessions <= 0 else sessions
    rate = failures / sessions
    if rate >= bound:
        return None
    def fits(n: int) -> bool:
        return wilson_interval(rate * n, n, confidence)[1] <= bound

    high = max(sessions, 1)
    while not fits(high):
        high *= 2
        if high > 10**12:
            return None
    low = high // 2
    while low + 1 < high:
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid
    return high
