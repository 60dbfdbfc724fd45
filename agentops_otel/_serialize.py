"""Safe, bounded JSON for recorded tool arguments, results and action payloads.

Recording must never raise and never hold a huge value: objects that json can't encode are turned
into their repr, cycles become a marker, bytes are summarised, and the text is cut at a configurable
size with an explicit marker so a reader knows something was dropped.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

TRUNCATED_MARKER = "…[truncated {n} chars]"
CYCLE_MARKER = "<cycle>"
_MAX_DEPTH = 32
_MAX_ITEMS = 1000
_strict = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
"""Built once: ``json.dumps`` with keyword arguments builds a new encoder on every call."""


def _plain(value: Any, seen: set[int], depth: int) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        head = raw[:32]
        try:
            return f"<{len(raw)} bytes: {head.decode('utf-8')!r}{'…' if len(raw) > 32 else ''}>"
        except UnicodeDecodeError:
            return f"<{len(raw)} bytes: {head.hex()}{'…' if len(raw) > 32 else ''}>"
    if depth >= _MAX_DEPTH:
        return "<max depth>"
    ident = id(value)
    if ident in seen:
        return CYCLE_MARKER
    seen.add(ident)
    try:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for i, (k, v) in enumerate(value.items()):
                if i >= _MAX_ITEMS:
                    out["…"] = f"{len(value) - _MAX_ITEMS} more"
                    break
                out[k if isinstance(k, str) else str(k)] = _plain(v, seen, depth + 1)
            return out
        if isinstance(value, (list, tuple, set, frozenset)):
            items = list(value)
            res = [_plain(v, seen, depth + 1) for v in items[:_MAX_ITEMS]]
            if len(items) > _MAX_ITEMS:
                res.append(f"… {len(items) - _MAX_ITEMS} more")
            return res
        dump = getattr(value, "model_dump", None)  # pydantic models (openai's types among them)
        if callable(dump):
            try:
                return _plain(dump(mode="json"), seen, depth + 1)
            except Exception:
                pass
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return _plain({f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)},
                          seen, depth + 1)
        return _safe_repr(value)
    finally:
        seen.discard(ident)


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__qualname__}>"


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters plus a marker saying how much was dropped."""
    if limit <= 0 or len(text) <= limit:
        return text
    return text[:limit] + TRUNCATED_MARKER.format(n=len(text) - limit)


def to_json(value: Any, limit: int) -> str:
    """Encode anything as JSON text of bounded size; never raises."""
    try:
        try:
            text = _strict.encode(value)
        except (TypeError, ValueError, RecursionError):
            text = _strict.encode(_plain(value, set(), 0))
    except Exception:
        text = json.dumps(_safe_repr(value))
    return truncate(text, limit)


def from_json(raw: Any) -> Any:
    """Recorded payloads are JSON text; give back objects where they parse, the text where they don't."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
