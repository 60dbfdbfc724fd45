"""What counts as a bound for a test or a gate to compare against.

NaN compares false both ways, so ``cost > nan`` never breaks a bound: a NaN limit passes everything.
An infinite or negative limit is no bound either (it holds always, or never). Every API that takes a
limit refuses these up front, naming it, rather than deliver a verdict on a bound it never applied.
"""

from __future__ import annotations

import math

__all__ = ["check_bound", "is_bound", "not_a_bound"]


def is_bound(value: object, at_most: float = math.inf) -> bool:
    """A real number (not a bool), finite and from 0 to ``at_most``."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value <= at_most)


def not_a_bound(name: str, value: object, at_most: float = math.inf) -> str:
    """The usage error for a limit that is not a bound, naming it."""
    wanted = "a finite number of 0 or more" if at_most == math.inf else f"a number from 0 to {at_most:g}"
    return f"{name}={value!r} is not a bound: give {wanted}"


def check_bound(name: str, value: object, at_most: float = math.inf) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a usable bound."""
    if not is_bound(value, at_most):
        raise ValueError(not_a_bound(name, value, at_most))
