"""Masking without the walk's bookkeeping, for the two shapes every model call records: the arguments of
a tool call in an answer (a small flat dict, :func:`flat_mapping`) and a tool's schema
(:func:`mask_strings`). Both give what the walk of :mod:`._serialize` would, for the data they take.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from ._cut import BIG_INT, DEPTH_MARKER, MAX_DEPTH
from ._redact import REDACTED, SHORTEST_SECRET, is_secret_key, mask_text, secret_key_memo
from ._userinfo_values import PROXY_KEYS, masked_under

__all__ = ["JSON_STARTS", "flat_mapping", "mask_strings"]

JSON_STARTS: Final = ("{", "[")
"""How JSON text worth reading by its keys starts: a string starting so is left to the walk, which reads it."""


_FLAT_MAX: Final = 16


def flat_mapping(value: dict[Any, Any], limit: int) -> dict[str, Any] | None:
    """What the walk of :mod:`._serialize` (and so its ``bounded``) makes of a small dict of strings to plain scalars
    that fits ``limit`` whole (the usual tool-call arguments), without its bookkeeping; ``None`` for
    anything else.

    The same result, by construction: nothing is cut when the walk's own count of characters stays
    within the budget (counted here with room to spare: a masked value costs the walk more than the
    text it replaces), and keys and values are masked by the same rules.
    """
    if len(value) > _FLAT_MAX:
        return None
    used = 2
    out: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str or (len(key) >= SHORTEST_SECRET and mask_text(key) != key):
            return None  # a credential as a key: the walk masks it, and keeps two such keys apart
        # is_secret_key's memo and mask_text's length test, probed here: this runs for every argument
        # of every tool call in an answer, and each helper is one more cold frame.
        secret = secret_key_memo.get(key)
        if secret is None:
            secret = is_secret_key(key)
        kind = type(item)
        if kind is str:
            if item[:1] in JSON_STARTS:
                return None  # JSON text: the walk reads it by its keys
            used += len(key) + len(item) + 16
            out[key] = REDACTED if secret else item if len(item) < SHORTEST_SECRET else mask_text(item)
            if "@" in item and key.endswith(PROXY_KEYS):  # a proxy's user:password@host: see _userinfo_values
                out[key] = masked_under(key, out[key], REDACTED)
        elif (item is None or kind is bool or (kind is int and -BIG_INT <= item < BIG_INT)
              or (kind is float and math.isfinite(item))):
            used += len(key) + 14
            out[key] = REDACTED if secret else item
        else:
            return None
        if used >= limit:
            return None
    return out


_SCHEMA_VALUES: Final = frozenset({"default", "example", "examples", "enum", "const"})
"""Where a JSON schema gives values of the argument it describes (rather than describing it)."""
_SUBSCHEMAS: Final = frozenset({"anyOf", "oneOf", "allOf", "not", "if", "then", "else", "items", "prefixItems",
                                "additionalItems", "contains"})
"""Where a JSON schema describes the same argument again (its alternatives, its items): what they give as
values is as secret as the argument."""


def mask_strings(value: Any, depth: int = 0, values_are_secret: bool = False) -> Any:
    """A copy of plain JSON data (a tool's schema) with credential-shaped runs masked in every string,
    keys included, and the structure kept. Unlike the walk, a value is not masked for its key's name:
    a schema's ``token`` property describes an argument, it holds none. What a schema gives as an
    argument's values (``default``, ``examples``, ``enum``, ``const``) is masked as the argument itself
    would be: whole under a secret-named property (``values_are_secret``, kept through ``anyOf``,
    ``items`` and the like), else walked with the arguments' rules (a ``password`` key in an object
    default)."""
    if isinstance(value, str):
        return mask_text(value)
    if depth >= MAX_DEPTH:
        return DEPTH_MARKER
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                out[k] = mask_strings(v, depth + 1)
            elif k in _SCHEMA_VALUES:
                out[mask_text(k)] = REDACTED if values_are_secret else _argument_value(v, depth + 1)
            else:
                secret = values_are_secret if k in _SUBSCHEMAS else is_secret_key(k)
                out[mask_text(k)] = mask_strings(v, depth + 1, secret)
        return out
    if isinstance(value, (list, tuple)):
        return [mask_strings(v, depth + 1, values_are_secret) for v in value]
    return value


def _argument_value(value: Any, depth: int) -> Any:
    """A value a schema gives for its argument, masked as that argument's value would be (secret-named keys
    whole, credential-shaped text)."""
    if isinstance(value, str):
        return mask_text(value)
    if depth >= MAX_DEPTH:
        return DEPTH_MARKER
    if isinstance(value, Mapping):
        return {mask_text(k) if isinstance(k, str) else k:
                REDACTED if isinstance(k, str) and is_secret_key(k) else _argument_value(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_argument_value(v, depth + 1) for v in value]
    return value
