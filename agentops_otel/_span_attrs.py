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

from typing import Any, Final

from opentelemetry.trace import Span

try:
    from opentelemetry.attributes import BoundedAttributes as _Bounded
    from opentelemetry.sdk.trace import Span as _SdkSpan
except ImportError:  # pragma: no cover - the SDK is a dependency; an API-only install takes the public path
    _Bounded = _SdkSpan = None  # type: ignore[assignment,misc]

__all__ = ["set_attributes"]

_SCALARS: Final = frozenset({str, int, float, bool})
"""Values the SDK keeps as they are (a string only while no length limit is set)."""
_WITH_SEQUENCES: Final = _SCALARS | {list, tuple}
_TEXT: Final = frozenset({str})


def _clean(attrs: dict[str, Any]) -> bool:
    """Whether the SDK's cleaning would keep every key and value of ``attrs``, once each list in it is the
    tuple the SDK makes of it (done here, in place)."""
    if not _SCALARS.issuperset(map(type, attrs.values())):
        if not _WITH_SEQUENCES.issuperset(map(type, attrs.values())):
            return False
        for key, value in attrs.items():
            kind = type(value)
            if kind is list or kind is tuple:
                if not _SCALARS.issuperset(map(type, value)):
                    return False
                if kind is list:
                    attrs[key] = tuple(value)  # a value replaced, no key added: the iteration goes on
    return "" not in attrs and _TEXT.issuperset(map(type, attrs))


_sdk_types: dict[type, bool] = {}
"""Span classes seen, and whether each is the SDK's with its own ``set_attributes`` (the provider makes a
subclass of ``Span``; a class that overrides the method is left to it)."""


def _is_sdk(cls: type) -> bool:
    ok = _SdkSpan is not None and issubclass(cls, _SdkSpan) and cls.set_attributes is _SdkSpan.set_attributes
    if len(_sdk_types) < 64:
        _sdk_types[cls] = ok
    return ok


def set_attributes(span: Span, attrs: dict[str, Any]) -> None:
    """``span.set_attributes(attrs)``, with the same outcome (a list in ``attrs`` may be made a tuple)."""
    sdk = _sdk_types.get(type(span))
    if sdk is None:
        sdk = _is_sdk(type(span))
    if sdk:
        try:
            sdk_span: _SdkSpan = span  # type: ignore[assignment]  # the class was checked above
            bounded = sdk_span._attributes
            if type(bounded) is _Bounded and bounded.max_value_len is None and _clean(attrs):
                d = bounded._dict
                with sdk_span._lock, bounded._lock:  # the order set_attributes takes them in
                    maxlen = bounded.maxlen
                    if (sdk_span._end_time is None and not bounded._immutable
                            and (maxlen is None or len(d) + len(attrs) <= maxlen) and d.keys().isdisjoint(attrs)):
                        d.update(attrs)
                        return
        except AttributeError:
            pass  # internals of another SDK version: the public path below
    span.set_attributes(attrs)
