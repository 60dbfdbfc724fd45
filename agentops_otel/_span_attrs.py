"""Setting attributes we built ourselves on a span, without the SDK checking each value again.

The SDK cleans every value it is given (a type test, a copy of a sequence, a cut to the length limit) and
inserts the values one call at a time: for a model call that is over a third of the interpreter work this
package adds (measured with ``bench/bench_openai.py --instructions``). The values written at a call's end
and by the processor at a span's start are strings, numbers and tuples of strings taken from a response:
one pass over their types here shows whether the SDK's cleaning could change any of them. When none could
(the span is the SDK's own, no length or count limit would cut or drop one, no key is set already, the span
is still open), they go into the span's attribute dict under the locks the SDK itself takes, at the end
where ``set_attributes`` would have put them. Any other case (another SDK's span, limits set, a value of
another type, an ended span, a key already there, an SDK whose internals moved) goes through
``set_attributes`` as before, so the span holds the same attributes either way.
"""

from __future__ import annotations

from itertools import compress
from typing import Any, Final

from opentelemetry.trace import Span

try:
    import opentelemetry.attributes as _sdk_attributes
    from opentelemetry.attributes import BoundedAttributes as _Bounded
    from opentelemetry.sdk.trace import Span as _SdkSpan
    from opentelemetry.sdk.version import __version__ as _sdk_version
except ImportError:  # pragma: no cover - the SDK is a dependency; an API-only install takes the public path
    _Bounded = _SdkSpan = _sdk_attributes = None  # type: ignore[assignment,misc]
    _sdk_version = ""

__all__ = ["set_attributes"]

_SCALARS: Final = frozenset({str, int, float, bool})
"""Values the SDK keeps as they are (a string only while no length limit is set)."""
_SEQUENCES: Final = frozenset({list, tuple})
_WITH_SEQUENCES: Final = _SCALARS | _SEQUENCES
_TEXT: Final = frozenset({str})


def _clean(attrs: dict[str, Any]) -> bool:
    """Whether the SDK's cleaning would keep every key and value of ``attrs``, once each list in it is the
    tuple the SDK makes of it (done here, in place). The values are tested by C-level passes over their
    types; only the sequences among them (a call's finish reasons) are visited one by one."""
    if not _SCALARS.issuperset(map(type, attrs.values())):
        if not _WITH_SEQUENCES.issuperset(map(type, attrs.values())):
            return False
        for key, value in compress(attrs.items(), map(_SEQUENCES.__contains__, map(type, attrs.values()))):
            if not _SCALARS.issuperset(map(type, value)):
                return False
            if type(value) is list:
                attrs[key] = tuple(value)
    return "" not in attrs and _TEXT.issuperset(map(type, attrs))


_VERIFIED: Final = ("1.45.",)
"""SDK versions whose cleaning rules ``_clean`` follows (the property test checks them): another version may
clean differently, so it gets ``set_attributes``."""


def _own(fn: Any, module: str) -> Any:
    """``fn`` when it is the SDK's own (not replaced by something loaded before us), else None."""
    return fn if getattr(fn, "__module__", None) == module else None


if _SdkSpan is not None and _sdk_version.startswith(_VERIFIED):
    _SET: Any = _own(_SdkSpan.__dict__.get("set_attributes"), "opentelemetry.sdk.trace")
    _SET_ITEMS: Any = _own(_Bounded.__dict__.get("_set_items"), "opentelemetry.attributes")
    _SETITEM: Any = _own(_Bounded.__dict__.get("_setitem_locked"), "opentelemetry.attributes")
    _CLEAN: Any = _own(getattr(_sdk_attributes, "_clean_attribute_value", None), "opentelemetry.attributes")
    _ENABLED = None not in (_SET, _SET_ITEMS, _SETITEM, _CLEAN)
else:  # pragma: no cover - depends on the installed SDK
    _SET = _SET_ITEMS = _SETITEM = _CLEAN = None
    _ENABLED = False


def _unpatched(span: Any) -> bool:
    """Whether what ``set_attributes`` would run is still the SDK's own code (something may patch the method, or
    the cleaning it calls, at any time, or give one span its own): a patch is called, never skipped. The
    method is looked up on the span itself, as a caller's would be (a bound method of something else has no
    ``__func__``: the caller's ``AttributeError`` then takes the public path)."""
    return (span.set_attributes.__func__ is _SET and _Bounded._set_items is _SET_ITEMS  # type: ignore[attr-defined]
            and _Bounded._setitem_locked is _SETITEM and _sdk_attributes._clean_attribute_value is _CLEAN)


_sdk_types: dict[type, bool] = {}
"""Span classes seen, and whether each is the SDK's (the provider makes a subclass of ``Span``; a class that
overrides ``set_attributes`` is left to it, as :func:`_unpatched` finds on each call)."""


def _is_sdk(cls: type) -> bool:
    ok = _ENABLED and issubclass(cls, _SdkSpan)
    if len(_sdk_types) < 64:
        _sdk_types[cls] = ok
    return ok


def set_attributes(span: Span, attrs: dict[str, Any]) -> None:
    """``span.set_attributes(attrs)``, with the same outcome (a list in ``attrs`` may be made a tuple)."""
    cls = type(span)
    sdk = _sdk_types.get(cls)
    if sdk is None:
        sdk = _is_sdk(cls)
    if sdk:
        try:
            sdk_span: _SdkSpan = span  # type: ignore[assignment]  # the class was checked above
            bounded = sdk_span._attributes
            if (type(bounded) is _Bounded and bounded.max_value_len is None and _unpatched(span)
                    and _clean(attrs)):
                d = bounded._dict
                size = len(d)
                # Checked before the locks: nothing the collector tracks is made while they are held, so a
                # finaliser it runs can still read this span (the SDK's own path makes nothing there either).
                if d.keys().isdisjoint(attrs):
                    with sdk_span._lock, bounded._lock:  # the order set_attributes takes them in
                        maxlen = bounded.maxlen
                        if (sdk_span._end_time is None and not bounded._immutable and len(d) == size
                                and (maxlen is None or size + len(attrs) <= maxlen)):
                            d.update(attrs)  # no key set meanwhile (the size is the same): still disjoint
                            return
        except AttributeError:
            pass  # internals of another SDK version: the public path below
    span.set_attributes(attrs)
