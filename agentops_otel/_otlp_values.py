"""OTLP JSON attribute values (``AnyValue``, ``KeyValue``) in both directions, in one place.

The file exporter writes attributes in this shape and every reader (files, Jaeger, Tempo) reads
them back, so the two directions must agree on every edge: int64 as a string, arrays and key-value
lists nested, bytes in base64, doubles that JSON cannot hold (``NaN``, ``Infinity``) as strings.
Function names say the direction: ``python_to_*`` encodes, ``*_to_python`` decodes.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec

__all__ = [
    "AnyValue",
    "ArrayValue",
    "KeyValue",
    "KvList",
    "Twice",
    "any_value_to_python",
    "attributes_to_key_values",
    "given_twice",
    "key_values_json_checked",
    "key_values_json_leniently",
    "key_values_to_python",
    "python_to_any_value",
    "same_value",
]


# --- Python -> OTLP JSON (the file exporter) -----------------------------------------------------

def python_to_any_value(value: Any) -> dict[str, Any]:
    """One attribute value in OTLP's ``AnyValue`` JSON shape (int64 as a string, as the spec says)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, Sequence):
        return {"arrayValue": {"values": [python_to_any_value(v) for v in value]}}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": attributes_to_key_values(value)}}
    return {"stringValue": str(value)}


def attributes_to_key_values(attrs: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """An attribute mapping as OTLP's ``KeyValue`` list."""
    return [{"key": k, "value": python_to_any_value(v)} for k, v in (attrs or {}).items()]


# --- OTLP JSON -> Python (the readers) -----------------------------------------------------------

class AnyValue(msgspec.Struct, gc=False):
    """OTLP ``AnyValue``: at most one field is set. Ints and doubles may arrive as strings."""

    stringValue: str | None = None
    intValue: int | str | None = None
    doubleValue: float | str | None = None
    boolValue: bool | None = None
    arrayValue: ArrayValue | None = None
    kvlistValue: KvList | None = None
    bytesValue: str | None = None


class KeyValue(msgspec.Struct, gc=False):
    key: str
    value: AnyValue | None = None


class ArrayValue(msgspec.Struct, gc=False):
    values: list[AnyValue] = []


class KvList(msgspec.Struct, gc=False):
    values: list[KeyValue] = []


_KV_LIST_DECODER: Final = msgspec.json.Decoder(list[KeyValue], strict=False)
_SPECIAL_FLOATS: Final = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def any_value_to_python(v: AnyValue | None) -> Any:
    """Plain Python value of an OTLP AnyValue (arrays as tuples, kvlists as dicts)."""
    if v is None:
        return None
    if v.stringValue is not None:
        return v.stringValue
    if v.intValue is not None:
        iv = v.intValue
        return iv if isinstance(iv, int) else int(iv)
    if v.doubleValue is not None:
        dv = v.doubleValue
        if isinstance(dv, str):
            return _SPECIAL_FLOATS[dv] if dv in _SPECIAL_FLOATS else float(dv)
        return float(dv)
    if v.boolValue is not None:
        return v.boolValue
    if v.arrayValue is not None:
        return tuple(any_value_to_python(x) for x in v.arrayValue.values)
    if v.kvlistValue is not None:
        return key_values_to_python(v.kvlistValue.values)
    if v.bytesValue is not None:
        try:
            return base64.b64decode(v.bytesValue)
        except ValueError:
            return v.bytesValue
    return None


def key_values_to_python(kvs: list[KeyValue]) -> dict[str, Any]:
    """A decoded ``KeyValue`` list as a plain dict; of a key listed twice (OTLP forbids it, some writers
    do it) the first counts, as the Collector's own lookups read it and as the readers' shortcuts do; the
    readers then say it was given twice with another value (:func:`given_twice`)."""
    out: dict[str, Any] = {}
    for kv in kvs:
        if kv.key not in out:
            out[kv.key] = any_value_to_python(kv.value)
    return out


def same_value(a: Any, b: Any) -> bool:
    """Whether two decoded attribute values are one value: of one type (``True`` is no ``1``), NaN equal to
    NaN (a number read twice from one text must compare the same), arrays and key-value lists item by item."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return bool(a == b)


Twice = tuple[str, Any, Any]
"""A key listed more than once with values that differ: the key, the first value, the first that differs."""


def given_twice(kvs: list[KeyValue], first: dict[str, Any]) -> list[Twice]:
    """The keys listed again with another value than the first (``first``: the list read, the first of each
    key counting). The same value twice is a writer's repeat and says nothing new; another value says the
    opposite of the first, and which one holds the list does not say."""
    seen: set[str] = set()
    found: dict[str, Twice] = {}
    for kv in kvs:
        key = kv.key
        if key not in seen:
            seen.add(key)
        elif key not in found:
            again = any_value_to_python(kv.value)
            if not same_value(first[key], again):
                found[key] = (key, first[key], again)
    return list(found.values())


def key_values_json_checked(raw: Any) -> tuple[dict[str, Any], list[Twice]]:
    """An OTLP JSON attribute list (bytes-like, undecoded) as a dict, and the keys it gives twice with
    different values (:func:`given_twice`); ``msgspec`` errors propagate.

    Checked only when the dict comes out shorter than the list: a list without a repeated key costs one
    ``len`` more."""
    kvs = _KV_LIST_DECODER.decode(raw)
    out = key_values_to_python(kvs)
    return out, ([] if len(out) == len(kvs) else given_twice(kvs, out))


_ANY_LIST_DECODER: Final = msgspec.json.Decoder(list[Any])
_ENCODER: Final = msgspec.json.Encoder()


class _OutOfRange:
    """What a JSON number too large for a float reads as: no attribute type accepts it."""


def _finite_float(text: str) -> float | _OutOfRange:
    value = float(text)
    return _OutOfRange() if math.isinf(value) else value


def key_values_json_leniently(raw: Any) -> tuple[dict[str, Any], list[str], list[Twice]]:
    """The attributes of a list :func:`key_values_json_checked` refused, each read on its own: what
    can be read, the keys of those that can't (``"*"`` when the list itself can't be read), and the keys
    given twice with different values. One bad value costs only itself, and the caller can say which."""
    try:
        items = _ANY_LIST_DECODER.decode(raw)
        checked = False
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        # msgspec refuses the whole text for one number out of range or one lone surrogate; the stdlib
        # reads both, so each can be lost on its own below (a number out of range comes back marked).
        # A byte that is no UTF-8 (JSON text must be) is read as a lone surrogate, lost below with its value.
        try:
            items = json.loads(bytes(raw).decode("utf-8", "surrogateescape"), parse_float=_finite_float)
        except (ValueError, RecursionError):
            return {}, ["*"], []
        if not isinstance(items, list):
            return {}, ["*"], []
        checked = True
    out: dict[str, Any] = {}
    lost: list[str] = []
    twice: dict[str, Twice] = {}
    for item in items:
        try:
            kv = msgspec.convert(item, KeyValue, strict=False)
            value = any_value_to_python(kv.value)
            if checked:
                _ENCODER.encode((kv.key, value))  # a lone surrogate can't be written out again: lost, not kept
            if kv.key not in out:  # the first of a key listed twice, as key_values_to_python reads it
                out[kv.key] = value
            elif kv.key not in twice and not same_value(out[kv.key], value):
                twice[kv.key] = (kv.key, out[kv.key], value)
        except (msgspec.ValidationError, ValueError, KeyError, TypeError, RecursionError):
            key = item.get("key") if isinstance(item, dict) else None
            # Named so that it can be printed and written out: a lone surrogate spelt as its escape.
            lost.append(key.encode("utf-8", "backslashreplace").decode() if isinstance(key, str) else "?")
    return out, lost, list(twice.values())
