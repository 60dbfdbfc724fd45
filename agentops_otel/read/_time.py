"""Time arguments as users give them (datetimes or unix seconds) and as backends want them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agentops_otel.read._errors import ReadError

TimeArg = datetime | float | int | None
"""A point in time: an aware or naive (= UTC) ``datetime``, or unix seconds."""


def to_datetime(value: TimeArg, default: datetime) -> datetime:
    """A point in time as an aware UTC datetime (naive datetimes are taken as UTC)."""
    if value is None:
        return default
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


def to_ns(value: TimeArg) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = to_datetime(value, value)
        return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000
    return int(float(value) * 1e9)


def window(since: TimeArg, until: TimeArg, lookback: timedelta) -> tuple[datetime, datetime]:
    end = to_datetime(until, datetime.now(UTC))
    start = to_datetime(since, end - lookback)
    if start >= end:
        raise ReadError(f"empty time range: since {start.isoformat()} is not before until {end.isoformat()}")
    return start, end


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


__all__ = ["TimeArg", "rfc3339", "to_datetime", "to_ns", "window"]
