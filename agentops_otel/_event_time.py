"""The timestamps of events passed to ``agentops.record``: checked before anything is recorded, then
turned into the span's start and end.

Apart from :mod:`.compat` so that the event API stays under the module size the house keeps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._guard import type_name

__all__ = ["check_timestamps", "ns"]


def ns(ts: datetime | str | None) -> int | None:
    if ts is None:
        return None
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts)
    return int(ts.timestamp() * 1e9)


def check_timestamps(event: Any) -> None:
    """A timestamp that is not one is the caller's mistake, said here naming the field: read while
    recording, it dropped the whole event as our internal error."""
    for field in ("init_timestamp", "end_timestamp", "timestamp"):  # ErrorEvent.timestamp: AgentOps' own
        value = getattr(event, field, None)
        if value is None or isinstance(value, datetime):
            continue
        where = f"record(): {type(event).__name__}.{field} takes a datetime or an ISO 8601 string"
        if not isinstance(value, str):
            raise TypeError(f"{where}, got {type_name(value, qualified=False)}")
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}, got {value[:80]!r}") from None
