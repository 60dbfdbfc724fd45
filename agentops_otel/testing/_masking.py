"""Secrets stay masked in cassettes: the same rules the trace applies, on whole (uncut) values.

The rules themselves (secret key names, credential-shaped strings) live in ``agentops_otel._redact``;
this applies them to plain JSON data, where a two-item tuple, or a two-item list among a list of such
pairs, whose first item is a secret key name is a (name, value) pair whose value is masked, as in the
trace. A replay masks what the agent does now the
same way before comparing it with the recording, so a masked argument still matches.
"""

from __future__ import annotations

from typing import Any

from .._redact import REDACTED, is_secret_key, mask_text
from .._serialize import free_name

__all__ = ["REDACTED", "mask"]


def mask(value: Any, *, keys: bool = True, in_pairs: bool = False) -> Any:
    """A copy of ``value`` with secrets masked: under secret-named keys (when ``keys``) and by shape.
    ``in_pairs``: ``value`` is an item of a list of pairs (see ``agentops_otel._shapes``)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            # A credential used as a key is masked as the trace masks it (two alike stay apart).
            name = free_name(out, mask_text(k)) if isinstance(k, str) else k
            out[name] = (REDACTED if keys and isinstance(k, str) and is_secret_key(k) and v is not None
                         else mask(v, keys=keys))
        return out
    if isinstance(value, (list, tuple)):
        if (keys and len(value) == 2 and (in_pairs or isinstance(value, tuple)) and isinstance(value[0], str)
                and is_secret_key(value[0]) and value[1] is not None):
            return [mask_text(value[0]), REDACTED]  # a (name, value) pair: a header list's ("Authorization", ...)
        pairs = bool(value) and isinstance(value[0], (list, tuple)) and len(value[0]) == 2
        return [mask(v, keys=keys, in_pairs=pairs) for v in value]
    return value
