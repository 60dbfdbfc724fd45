"""Small formatting helpers shared by the text renderer, the diff and the CLI.

They live in one place so that a session reads the same everywhere: the same offset clock, the same
money format and the same one-line summary of a recorded argument, whether it is printed by the
pytest plugin, by ``agentops-otel replay`` or inside a diff.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from agentops_otel import semconv as sc
from agentops_otel.config import link
from agentops_otel.timeline import RUNNING_REASON, SessionSummary, Step

ELLIPSIS = "…"


def tokens(count: int | None, complete: bool = True) -> str:
    """A token count as a replay shows it: a total some call did not report is a lower bound (``≥ 120``),
    or unknown (``?``) when no call reported any; never a 0 the tool does not have."""
    if count is None:
        return "0" if complete else "?"
    if complete:
        return str(count)
    return f"≥ {count}" if count else "?"

_INVISIBLE = ("\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
              "\U000e0000-\U000e007f")
"""Characters that show as nothing, or reorder the text around them (bidi embeddings, overrides and
isolates): a name holding one reads as another, and a prompt can hide text (Unicode tags) from a reader."""
_CONTROL = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{_INVISIBLE}]")
_SPACE = re.compile(r"\s+")
_NOT_A_SPACE = re.compile(r"[^\S ]")
"""Whitespace other than the plain space: a no-break space or a tab reads as a space."""


def want_color(stream: TextIO | None = None) -> bool:
    """Colour only for a human at a terminal: NO_COLOR and TERM=dumb win, FORCE_COLOR forces it.

    Pytest reports and redirected output stay plain, so goldens and CI logs never carry escapes.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    out = stream if stream is not None else sys.stdout
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):
        return False


def offset(seconds: float) -> str:
    """``mm:ss.mmm`` from the session start; minutes keep counting past 59 so columns stay aligned."""
    sign = "-" if seconds < 0 else ""
    millis = round(abs(seconds) * 1000)
    minutes, rest = divmod(millis, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{sign}{minutes:02d}:{secs:02d}.{ms:03d}"


def duration(seconds: float) -> str:
    """Milliseconds below a second (most tool calls), seconds above, minutes for long sessions."""
    if seconds < 0:
        seconds = 0.0
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:.0f}ms" if ms >= 1 or ms == 0 else f"{ms:.2f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def money(usd: float | None) -> str:
    """Dollars with enough decimals that a tenth of a cent still shows (``$0.003``, ``$1.20``)."""
    if usd is None or not math.isfinite(usd):
        return "n/a"
    if usd == 0:
        return "$0"
    decimals = max(2, min(8, 2 - math.floor(math.log10(abs(usd)))))
    text = f"{usd:.{decimals}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if len(frac) < 2:
        frac = frac.ljust(2, "0")
    return f"${whole}.{frac}"


def start_time(start_ns: int) -> str:
    """UTC wall clock to the millisecond: sessions are compared across machines and time zones."""
    if start_ns <= 0:
        return "unknown"
    try:
        dt = datetime.fromtimestamp(start_ns / 1e9, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return "unknown"  # past the calendar (year 9999): no clock's reading, shown as such
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d} UTC"


def status_of(summary: SessionSummary) -> str:
    """The end state the replay headline shows; a missing root says so instead of guessing."""
    if summary.end_state is None and summary.end_reason == RUNNING_REASON:
        return "Running"
    if summary.end_state is None and summary.partial:
        return "Partial"
    return summary.end_state or "Unknown"


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape(text: str, *, spaces: bool = False) -> str:
    """Control, invisible and bidi characters as escapes (``\\x1b``, ``\\u202e``), everything else as is.

    For ids and lines whose spacing matters (a session id, a diff's values): recorded text must neither
    drive the terminal (``ESC[2K`` erasing a FAIL line in a CI log) nor read as other text than it is.
    ``spaces`` escapes every whitespace character but the plain space too (``\\xa0``), where two values
    are shown to differ.
    """
    text = _CONTROL.sub(_escaped, text)
    return _NOT_A_SPACE.sub(_escaped, text) if spaces else text


def clean(text: str) -> str:
    """One line, no terminal control characters: recorded content must not drive the terminal."""
    return escape(_SPACE.sub(" ", text)).strip()


def cut(text: str, limit: int) -> str:
    """Truncate with a visible ellipsis so a reader knows the value goes on."""
    if limit <= 0 or len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    return text[: limit - 1] + ELLIPSIS


def _loads(raw: str) -> tuple[bool, Any]:
    """The recorded JSON value, or ``(False, None)`` for text (another instrumentation's plain value).

    A bare number, ``true``, ``false`` or ``null`` is JSON too: read as text it would be quoted, and a tool
    that returned ``None`` would read like one that returned the text "null"."""
    stripped = raw.strip()
    if not stripped or stripped[0] not in '[{"-0123456789tfn':
        return False, None
    try:
        return True, json.loads(stripped)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes: shown as text
        return False, None


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def _is_messages(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and "role" in m for m in value)
    )


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return _compact(part)
    kind = part.get("type")
    if kind == "tool_call" or ("name" in part and "arguments" in part):
        args = part.get("arguments")
        args_text = _args(args) if isinstance(args, dict) else ("" if args is None else _compact(args))
        return f"{part.get('name', '?')}({args_text})"
    if kind == "tool_call_response":
        resp = part.get("response", part.get("result"))
        return "tool result: " + (resp if isinstance(resp, str) else _compact(resp))
    for key in ("content", "text"):
        value = part.get(key)
        if isinstance(value, str):
            return value
    return _compact(part)


def _message_text(message: dict[str, Any]) -> str:
    parts = message.get("parts")
    if isinstance(parts, list):
        return " ".join(_part_text(p) for p in parts)
    content = message.get("content")
    pieces: list[str] = []
    if isinstance(content, str):
        pieces.append(content)
    elif isinstance(content, list):
        pieces.extend(_part_text(p) for p in content)
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            fn = call.get("function", call) if isinstance(call, dict) else call
            pieces.append(_part_text(fn))
    return " ".join(pieces)


def _args(value: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_compact(v)}" for k, v in value.items())


def short(raw: str | None, limit: int, *, output: bool = False) -> str | None:
    """A one-line view of a recorded value: the gist a developer scans for, never the whole payload.

    Chat messages show the latest input message (or the first output message) as quoted text, tool
    arguments show as ``key=value`` pairs (the product story's ``customer_id=None``), anything else as
    compact JSON or quoted text. The full value stays in the JSON and HTML renderings.
    """
    if raw is None:
        return None
    ok, value = _loads(raw)
    quoted = True
    if ok and _is_messages(value):
        text = _message_text(value[0] if output else value[-1])
    elif ok and isinstance(value, dict):
        text, quoted = _args(value), False
    elif ok and isinstance(value, str):
        text = value
    elif ok:
        text, quoted = _compact(value), False
    else:
        text = raw
    text = clean(text)
    if quoted:
        return '"' + cut(text, limit - 2 if limit > 2 else limit) + '"'
    return cut(text, limit)


def error_text(step: Step) -> str:
    """``ValueError: customer_id cannot be None`` — what the replay puts after ``← ERROR``."""
    err = step.error
    if err is None:
        return ""
    kind = err.type or ""
    msg = clean(err.message or "")
    if kind == sc.ERROR_TYPE_OTHER and msg:
        return msg  # a failure of no known type: its text is the whole error
    if kind and msg:
        return f"{kind}: {msg}"
    return kind or msg


def failed(step: Step) -> bool:
    """The step did not succeed: an error status or an error event."""
    return step.status == "error" or step.kind == "error"


def propagated(steps: Sequence[Step]) -> set[str]:
    """Span ids whose error only passed through them on its way up from a descendant.

    OpenTelemetry records an exception on every span it leaves, so a ``ValueError`` raised in a tool
    inside an action shows on both; the replay marks ``← ERROR`` only where it was raised (the
    deepest step with that same error), so the eye lands on the cause.
    """
    by_id = {s.span_id: s for s in steps}
    out: set[str] = set()
    for step in steps:
        if not failed(step):
            continue
        err = step.error
        key = (err.type, err.message) if err is not None else None
        parent = by_id.get(step.parent_span_id or "")
        seen = {step.span_id}
        while parent is not None and parent.span_id not in seen:
            seen.add(parent.span_id)
            perr = parent.error if failed(parent) else None
            if perr is not None and (perr.type, perr.message) == key:
                out.add(parent.span_id)
            parent = by_id.get(parent.parent_span_id or "")
    return out


def url_for(summary: SessionSummary, template: str) -> str:
    """The session link from a ``{trace_id}``/``{span_id}``/``{session_id}`` template; "" if it can't."""
    trace_id = summary.trace_ids[0] if summary.trace_ids else ""
    return link(template, trace_id, summary.root_span_id or "", summary.session_id) or ""
