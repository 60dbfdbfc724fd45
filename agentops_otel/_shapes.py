"""Secrets that a value holds outside a mapping's keys, found for the walk of :mod:`._serialize`.

A mapping's secret-named key masks its value; three other shapes name a secret just as plainly:

* **A pair.** Headers are often a list of ``(name, value)`` pairs (``requests``, ``httpx``, an ASGI
  scope's raw ``(b"authorization", b"...")``): the second item of a two-item list or tuple is masked
  when the first is a string (or bytes) that is a secret key name, by the rule of mapping keys.
* **A named tuple** is recorded as a list, without its field names: the items of its secret-named
  fields are masked.
* **An object's fields.** An object that is not a container, a dataclass or a pydantic model is
  recorded by its repr, and a repr commonly prints every field (``Settings(api_key='...')``,
  ``namespace(password='...')``). When one of its fields is secret-named it is recorded by its fields
  instead, walked and masked as a dataclass is, and its repr is not called.

Everything here reads the interpreter's own storage (the instance dict, slots, a tuple's items), never
through the object's attribute look-up, so none of the user's code runs, as elsewhere in the walk.
"""

from __future__ import annotations

import types
from typing import Any, Final

from ._redact import is_secret_key

__all__ = ["NOTHING_HIDDEN", "hidden_items", "secret_holding_fields"]

NOTHING_HIDDEN: Final[frozenset[int]] = frozenset()
_SECOND: Final = frozenset({1})
_OWN_STORAGE: Final = (types.GetSetDescriptorType, types.MemberDescriptorType)
"""What the interpreter puts in a class for ``__dict__`` and for each slot (a property is user code)."""


def _names_a_secret(first: Any) -> bool:
    if isinstance(first, str):
        return is_secret_key(str.__str__(first))
    if isinstance(first, (bytes, bytearray)):
        return is_secret_key(bytes(first[-64:]).decode("ascii", "replace"))
    return False


def hidden_items(kind: type, size: int, first: Any) -> frozenset[int]:
    """The positions of a list or tuple (of type ``kind``, ``size`` items, the first ``first``) whose
    items are masked: a named tuple's secret-named fields, and a secret-named pair's value."""
    hidden = NOTHING_HIDDEN
    if size == 2 and _names_a_secret(first):
        hidden = _SECOND
    if issubclass(kind, tuple) and kind is not tuple:
        names = getattr(kind, "_fields", None)
        if type(names) is tuple:
            named = frozenset(i for i, name in enumerate(names) if isinstance(name, str) and is_secret_key(name))
            hidden = hidden | named if named else hidden
    return hidden


def _instance_dict(value: Any, kind: type) -> dict[str, Any] | None:
    for klass in kind.__mro__:
        entry = klass.__dict__.get("__dict__")
        if entry is not None:
            if not isinstance(entry, _OWN_STORAGE):
                return None
            try:
                own = entry.__get__(value, kind)
            except Exception:
                return None
            return own if type(own) is dict else None
    return None


def _slots(value: Any, kind: type) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for klass in kind.__mro__:
        declared = klass.__dict__.get("__slots__")
        if not declared:
            continue
        for name in (declared,) if isinstance(declared, str) else declared:
            entry = klass.__dict__.get(name) if isinstance(name, str) else None
            if isinstance(entry, types.MemberDescriptorType):
                try:
                    found.append((name, entry.__get__(value, kind)))
                except AttributeError:  # a slot never assigned
                    continue
    return found


def secret_holding_fields(value: Any) -> list[tuple[str, Any]] | None:
    """``value``'s own fields (instance dict, then slots) when one is secret-named; ``None`` otherwise, or
    when they can't be read without running the object's code."""
    kind = type(value)
    try:
        own = _instance_dict(value, kind)
        fields = [(k, v) for k, v in dict.items(own) if type(k) is str] if own is not None else []
        fields.extend(_slots(value, kind))
    except Exception:
        return None
    return fields if any(is_secret_key(name) for name, _ in fields) else None
