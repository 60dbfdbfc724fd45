"""Secrets that a value holds outside a mapping's keys, found for the walk of :mod:`._serialize`.

A mapping's secret-named key masks its value; three other shapes name a secret just as plainly:

* **A pair.** Headers are often a list of ``(name, value)`` pairs (``requests``, ``httpx``, an ASGI
  scope's raw ``(b"authorization", b"...")``): the second item of a pair is masked when the first is a
  string (or bytes) that is a secret key name, by the rule of mapping keys. A pair is a two-item tuple,
  one whose first item is bytes, or a two-item list among a list of such pairs: a lone two-item list of
  strings is more often a list of names (``fields=["password", "email"]``) than a header.
* **A named tuple** is recorded as a list, without its field names: the items of its secret-named
  fields are masked.
* **An object's fields.** An object that is not a container, a dataclass or a pydantic model is
  recorded by its repr, and a repr may print a field (``Settings(api_key='...')``,
  ``namespace(password='...')``). A ``SimpleNamespace``, whose repr is its fields, is recorded by its
  fields, walked and masked as a dict is. A class's own repr is recorded unless one of its fields is
  secret-named (or it has too many to look through): then its repr may show the secret in any form
  (nested, reformatted), and the fields may hold what the repr leaves out of logs, so neither is
  recorded, only its type (an unread object). The default repr (type and address) shows no field, and
  no field is read for it.

Everything here reads the interpreter's own storage (the instance dict, slots, a tuple's items), never
through the object's attribute look-up, so none of the user's code runs, as elsewhere in the walk.
"""

from __future__ import annotations

import types
from itertools import islice
from typing import Any, Final

from ._redact import is_secret_key

__all__ = ["NOTHING_HIDDEN", "REPR_FIELDS", "REPR_NOTHING", "REPR_OWN", "hidden_items", "own_fields",
           "pair_in_pairs", "repr_shows", "secret_holding_fields"]

NOTHING_HIDDEN: Final[frozenset[int]] = frozenset()
_SECOND: Final = frozenset({1})
_OWN_STORAGE: Final = (types.GetSetDescriptorType, types.MemberDescriptorType)
"""What the interpreter puts in a class for ``__dict__`` and for each slot (a property is user code)."""
_MAX_FIELDS: Final = 256
"""Fields read to find a secret-named one: an object with more is rare, and its look-up stays bounded."""
REPR_NOTHING: Final = "nothing"
REPR_FIELDS: Final = "fields"
REPR_OWN: Final = "own"
_OBJECT_REPR: Final = object.__dict__["__repr__"]
_NAMESPACE_REPR: Final = types.SimpleNamespace.__dict__["__repr__"]


def _names_a_secret(first: Any) -> bool:
    if isinstance(first, str):
        return is_secret_key(str.__str__(first))
    if isinstance(first, (bytes, bytearray)):
        return is_secret_key(bytes(first[-64:]).decode("ascii", "replace"))
    return False


def hidden_items(kind: type, size: int, first: Any) -> frozenset[int]:
    """The positions of a list or tuple (of type ``kind``, ``size`` items, the first ``first``) whose
    items are masked: a named tuple's secret-named fields, and a secret-named pair's value (a tuple, or
    bytes first; a list is a pair only among pairs, see :func:`pair_in_pairs`)."""
    hidden = NOTHING_HIDDEN
    if size == 2 and (issubclass(kind, tuple) or isinstance(first, (bytes, bytearray))) and _names_a_secret(first):
        hidden = _SECOND
    if issubclass(kind, tuple) and kind is not tuple:
        names = getattr(kind, "_fields", None)
        if type(names) is tuple:
            named = frozenset(i for i, name in enumerate(names) if isinstance(name, str) and is_secret_key(name))
            hidden = hidden | named if named else hidden
    return hidden


def pair_in_pairs(item: Any) -> bool:
    """``item``, one of a list of pairs (``[["Cookie", "sid=..."], ...]``), is a list pair whose value is
    a secret."""
    return type(item) is list and len(item) == 2 and _names_a_secret(item[0])


def repr_shows(kind: type) -> str:
    """What ``kind``'s repr shows of an instance: :data:`REPR_NOTHING` (the default: type and address),
    :data:`REPR_FIELDS` (``SimpleNamespace``: every field) or :data:`REPR_OWN` (the class's own repr).
    Read from the classes' dicts, so no metaclass code runs."""
    for klass in kind.__mro__:
        found = klass.__dict__.get("__repr__")
        if found is not None:
            if found is _OBJECT_REPR:
                return REPR_NOTHING
            return REPR_FIELDS if found is _NAMESPACE_REPR else REPR_OWN
    return REPR_NOTHING


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


def own_fields(value: Any) -> dict[str, Any] | None:
    """``value``'s instance dict, read without its attribute look-up; ``None`` when it has none."""
    try:
        return _instance_dict(value, type(value))
    except Exception:
        return None


def secret_holding_fields(value: Any) -> str | None:
    """The name of a secret-named field of ``value`` (instance dict, then slots), or ``"..."`` when it
    has more fields than are looked through; ``None`` when none is, or they can't be read without
    running the object's code."""
    kind = type(value)
    try:
        own = _instance_dict(value, kind)
        fields = [k for k in islice(dict.keys(own), _MAX_FIELDS + 1)] if own is not None else []
        fields.extend(name for name, _ in _slots(value, kind))
    except Exception:
        return None
    if len(fields) > _MAX_FIELDS:
        return "..."
    return next((name for name in fields if type(name) is str and is_secret_key(name)), None)
