"""One rule for the spellings of an end state, shared by the side that writes them and every reader."""

from __future__ import annotations

from typing import Final

from agentops_otel import semconv

_BY_NAME: Final = {s.lower(): s for s in semconv.END_STATES}


def canonical_end_state(value: object) -> str | None:
    """``Success``, ``Fail`` or ``Indeterminate`` for any case and surrounding spaces (an enum member by
    its value), else None: a state nobody defined must not be guessed at, least of all as a pass."""
    raw = value if isinstance(value, str) else getattr(value, "value", value)
    return _BY_NAME.get(raw.strip().lower()) if isinstance(raw, str) else None


__all__ = ["canonical_end_state"]
