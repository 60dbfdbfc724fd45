"""Equality of recorded JSON values as JSON means it: ``true`` is not ``1``.

Python's ``==`` says ``True == 1`` and ``False == 0.0``, so an agent that starts passing ``confirm=1``
where it passed ``confirm=True`` would match its old arguments in every strict comparison (argument
assertions, the diff, a deterministic replay). Numbers still compare by value (``1`` and ``1.0`` are
one JSON number).
"""

from __future__ import annotations

from typing import Any

__all__ = ["same_json"]

_MAX_DEPTH = 256


def same_json(a: Any, b: Any, depth: int = 0) -> bool:
    """``a == b``, except that a boolean equals only a boolean, at any depth."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        if not isinstance(b, dict) or a.keys() != b.keys():
            return False
        if depth >= _MAX_DEPTH:
            return bool(a == b)
        return all(same_json(value, b[key], depth + 1) for key, value in a.items())
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            return False
        if depth >= _MAX_DEPTH:
            return bool(list(a) == list(b))
        return all(same_json(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    return bool(a == b)
