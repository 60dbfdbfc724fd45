"""What every ``agentops-otel`` command shares: exit codes a script relies on, the error a user can fix,
and the parsers of times, rates, levels and run ids (each refuses what cannot have been meant)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agentops_otel._bounds import is_bound
from agentops_otel._end_states import canonical_end_state

PROG = "agentops-otel"
EXIT_OK = 0
EXIT_BOUND = 1
"""``gate``: a bound was broken; ``diff``: the sessions differ, or content they would be compared on is
unknown (not recorded, cut, unreadable): never ``identical`` on data that isn't there."""
EXIT_USAGE = 2
"""Bad arguments, unreadable source, unknown id."""
EXIT_UNDECIDED = 3
"""``gate``: INSUFFICIENT DATA, too little to decide either way (never a pass); ``diff``: a session's data
contradicts itself (what the gate does not judge), so neither "identical" nor a divergence can be trusted."""

_TRACE_ID = re.compile(r"^[0-9a-fA-F]{16,32}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
"""A trace id as backends show it: 32 hex digits, or fewer with leading zeros trimmed (Tempo's search,
Grafana: 31 for a random id starting with 0, 16 for a 64-bit one)."""
_JAEGER = re.compile(r"^(jaeger\+https|jaeger\+http|jaeger|https|http)://", re.I)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)\s*$")
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}



class CliError(Exception):
    """A failure the user can fix; printed as one line, exit code 2."""


# --- arguments -------------------------------------------------------------------------------------


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """``1h``/``30m``/``2d`` ago, an ISO 8601 time (naive = UTC) or unix seconds."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    try:
        if match:
            return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
        return datetime.fromtimestamp(float(text), tz=UTC)
    except OverflowError:  # inf, or a time before year 1: no window was meant
        raise argparse.ArgumentTypeError(f"time {text!r} is out of range") from None
    except (ValueError, OSError):  # not a number (or NaN): try ISO 8601
        pass
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: use a duration ago (30m, 1h, 2d), ISO 8601 or unix seconds"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_MAX_CONFIDENCE = 0.999999
"""Beyond this the normal quantile of the Wilson interval is lost to float rounding."""


def _run_id(text: str) -> str:
    """A CI run id: blank would match sessions recorded outside any run, never what was meant."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty run id matches no run: give the id (or use --this-run)")
    return text.strip()


def _rate(text: str) -> float:
    """A failure rate as a fraction (0.05) or a percentage (5%)."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid rate {text!r}: use a fraction (0.05) or 5%") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"rate {text!r} is outside 0..1")
    return value


def _confidence(text: str) -> float:
    """A confidence level as a fraction (0.95) or a percentage (95%), from 50% to 99.9999%.

    Below 50% the "interval" is narrower than the point estimate's noise: the number was almost surely an
    error rate (0.05 for 95%), so it is refused rather than gated on.
    """
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid confidence {text!r}: use a fraction (0.95) or 95%") from None
    if value > 1 and not text.endswith("%"):
        raise argparse.ArgumentTypeError(f"confidence {text!r} is above 1: for a percentage write {text}%")
    if not 0.5 <= value <= _MAX_CONFIDENCE:
        raise argparse.ArgumentTypeError(
            f"confidence {text!r} looks like an error rate: did you mean {1 - value:.4g}? "
            f"(a level from 0.5 to {_MAX_CONFIDENCE})" if 0 < value < 0.5 else
            f"confidence {text!r} must be from 0.5 to {_MAX_CONFIDENCE} (e.g. 0.95)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _session_id(text: str) -> str:
    """A session or trace id as typed; an empty one is refused rather than read as "no id" (every
    session): it is nearly always an unset shell variable (``replay "$ID"``)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty session id (an unset shell variable?)")
    return text


def _out_path(text: str) -> str:
    """A file to write, as typed; an empty one is refused, as an empty id is: ``--html "$OUT"`` with the
    variable unset would otherwise write nothing (or a file named by spaces) and still exit 0."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path (an unset shell variable?)")
    return text


def _source(text: str) -> str:
    """A source as typed; an empty one is refused: read as "no --source", ``--source "$TRACES"`` with the
    variable unset would judge the default file's sessions instead of the ones meant."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty source (an unset shell variable?)")
    return text


def _end_state(text: str) -> str:
    """An end state in any case, as ``end_session()`` and the assertions take it, read as the one recorded;
    anything else is left as typed for argparse's choices to refuse, naming the three."""
    return canonical_end_state(text) or text


def _non_negative(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
        if not is_bound(value):  # a NaN bound compares false with everything: it would always pass
            raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of 0 or more")
        return value

    return parse
