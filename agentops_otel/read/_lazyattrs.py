"""OTLP attribute lists kept as undecoded JSON until someone looks inside.

Decoding every attribute of every span costs more than parsing the rest of the file, and the
resulting dicts weigh ~6 KB a span; a reassembly only needs ``session.id`` up front. So a span's
attributes stay a view of the source bytes (for a file, a view into its memory map, which the OS
can page out) and are decoded on first real access. The grouping key is pulled out with one
regular expression instead; anything the expression does not recognise falls back to the full
decode, so the shortcut can make things faster but never wrong.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Iterator, Mapping
from typing import Any, Final

import msgspec

from agentops_otel._otlp_values import key_values_json_checked, key_values_json_leniently
from agentops_otel._redact import is_secret_key
from agentops_otel.read._errors import DECODE_ERRORS, why_undecodable
from agentops_otel.semconv import SEQ, SESSION_ID

# A whole ``session.id`` element in the compact form every known producer writes (the fast path), and
# the same with whitespace. A match counts only once ``_first_at_top`` has seen where it stands.
SESSION_ID_RE: Final = re.compile(rb'\{"key":"session\.id","value":\{"stringValue":"([^"\\]*)"\}\}')
_SID_SPACED_RE: Final = re.compile(
    rb'\{\s*"key"\s*:\s*"session\.id"\s*,\s*"value"\s*:\s*\{\s*"stringValue"\s*:\s*"([^"\\]*)"\s*\}\s*\}'
)
SID_SEQ_RE: Final = re.compile(
    rb'\[\{"key":"session\.id","value":\{"stringValue":"([^"\\]*)"\}\}'
    rb'(?:,\{"key":"agentops\.seq","value":\{"intValue":(?:([0-9]{1,18})|"([0-9]{1,18})")\}\})?')
"""``session.id`` as the list's first element, and ``agentops.seq`` when it is the second, both in the compact
form, as our exporter writes every span: the first of each key, at the top level. A reader takes both at once
(the seq is read for every span, to tell whether a process's clock went back)."""
_SID_MAYBE_RE: Final = re.compile(rb'"session\.id"|\\u')
"""The key in any other layout, or an escape that could spell it: only a full decode can tell."""
_price_patterns: dict[str, re.Pattern[bytes]] = {}
_int_patterns: dict[str, tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]] = {}
UNKNOWN: Final[Any] = object()
"""Marker: the hot value has not been looked for yet."""


class _Key(msgspec.Struct, gc=False):
    key: str


_KEYS_DECODER: Final = msgspec.json.Decoder(list[_Key])
_SPACE: Final = b" \t\r\n"
_QUOTED: Final = {SESSION_ID: b'"session.id"'}


def _first_at_top(raw: Any, start: int, key: str) -> bool:
    """Whether the element at ``start`` is a top-level attribute and the first one named ``key``: what a
    full decode reads (a duplicated key: the first counts). The same text nested in a key-value list
    value, or after another spelling of the key, is not.

    A reader's view holds one valid JSON value, without surrounding space (what ``msgspec.Raw`` gives).
    In it an object at offset 1 is the list's first element (as our own spans write ``session.id``), and
    an object right after ``[`` or ``,`` is an array's element: with no other ``[`` before it, nor an
    escape, nor the key, the attribute list's own. Otherwise the elements before it decide, read as keys
    only."""
    if start == 1:
        return True
    head = bytes(memoryview(raw)[:start])
    if head[0] == 0x5B and head[-1] in b"[," and head.find(b"[", 1) < 0 and b"\\" not in head and (
            _QUOTED.get(key) or b'"' + key.encode() + b'"') not in head:
        return True
    head = head.rstrip(_SPACE)
    if not head.endswith(b","):
        return False  # not an element, or a nested list's first
    try:
        before = _KEYS_DECODER.decode(head[:-1] + b"]")
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return False  # not a list up to here: the match is nested, or the list is not OTLP
    return all(k.key != key for k in before)


def top_level_session_id(raw: Any) -> bytes | None:
    """The raw ``session.id`` string when the bytes alone prove a full decode reads it (else ``None``:
    absent, or for the full decode to say)."""
    m = SESSION_ID_RE.search(raw) or _SID_SPACED_RE.search(raw)
    if m is None or not _first_at_top(raw, m.start(), SESSION_ID):
        return None
    return m.group(1)


def twice_note(key: str, first: Any, again: Any) -> str:
    """What a span that gives ``key`` twice says: the first value counts where one is read (as the
    Collector reads it), and the note makes the session unjudgeable, since the list says both. A value
    under a secret-named key is not quoted (a replay masks it whole)."""
    values = "" if is_secret_key(key) else f" ({reprlib.repr(first)}, {reprlib.repr(again)})"
    return f"{key} given twice with different values{values}: the first is shown"


def _int_patterns_for(key: str) -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """For ``whole_number``: the element of ``key`` holding an integer after nothing but plain scalar elements
    of other keys (no list, no escape: it is at the top level and the first of its key), the same anywhere,
    and the key, or an escape that could spell it, anywhere."""
    name = re.escape(key.encode())
    element = rb'\{"key":"' + name + rb'","value":\{"intValue":"?([0-9]{1,18})"?\}\}'
    scalar = (rb'\{"key":"(?!' + name + rb'")[^"\\]*","value":\{"(?:stringValue":"[^"\\]*"|intValue":"?-?[0-9]+"?|'
              rb'doubleValue":"?[-+.0-9eEaNIinfty]+"?|boolValue":(?:true|false))\}\},')
    return (re.compile(rb"\[(?:" + scalar + rb")*" + element), re.compile(element),
            re.compile(rb'"' + name + rb'"|\\u'))


class LazyAttributes(msgspec.Struct, gc=False):
    """Read-only mapping over an undecoded OTLP attribute list.

    Not GC-tracked and without a ``__dict__`` so a million of them stay cheap; the decoded dict is
    cached on first full access. A value that can't be read is left out and named in ``decode_error``
    (invalid JSON: an empty mapping), never an exception in a renderer; so is a key given twice with
    different values (its first value kept), on the span or on one of its events. The session that holds
    the span reports it as an issue, and the gate does not judge it. The two are kept apart: a value lost
    is a gap, a key given twice a contradiction (``diff`` says so), and ``decode_error`` names both.
    """

    raw: Any
    """A bytes-like object: ``bytes`` or a ``msgspec.Raw`` view into the source buffer."""
    _decoded: dict[str, Any] | None = None
    _sid: Any = UNKNOWN
    _unread: str | None = None
    """What could not be read (values, and the reader's notes on the span's own fields)."""
    _twice: str | None = None
    """Keys given twice with different values (the reader's notes on the span's events, then the list's own)."""
    _seq: Any = UNKNOWN
    """``agentops.seq`` as :meth:`whole_number` reads it, once read (a reader may give it with the session id)."""

    @property
    def decode_error(self) -> str | None:
        """Everything the values can't be trusted for: what could not be read, and keys given twice."""
        unread, twice = self._unread, self._twice
        return f"{unread}; {twice}" if unread and twice else unread or twice

    @property
    def unread_error(self) -> str | None:
        """What could not be read, without the keys given twice (known once the attributes are decoded)."""
        return self._unread

    @property
    def given_twice(self) -> str | None:
        """The keys given twice with different values, of the span and its events (known once decoded)."""
        return self._twice

    # --- the hot path -----------------------------------------------------------------------
    def session_id(self) -> str | None:
        """``session.id`` without decoding the rest (cached)."""
        sid = self._sid
        if sid is UNKNOWN:
            sid = self._find_session_id()
            self._sid = sid
        return sid  # type: ignore[no-any-return]

    def _find_session_id(self) -> str | None:
        if self._decoded is None:
            found = top_level_session_id(self.raw)
            if found is not None:
                try:
                    return found.decode() or None
                except UnicodeDecodeError:
                    pass  # the full decode decides what such bytes read as
            elif _SID_MAYBE_RE.search(self.raw) is None:
                return None
        value = self._dict().get(SESSION_ID)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else str(value)

    def has_price(self, key: str) -> bool:
        """Whether ``key`` holds a price (a finite number, not below zero), answered from the raw bytes while
        nothing is decoded (the compact form every known producer writes, a plain decimal; any other
        spelling answers ``False``, and the caller then reads the value the slow way). Reassembly asks this
        of every model call's cost, and decoding a call's attributes means decoding its whole message history."""
        d = self._decoded
        if d is not None:
            value = d.get(key)
            return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                    and value >= 0)
        pattern = _price_patterns.get(key)
        if pattern is None:
            # No sign, at most a two-digit exponent (1e99 is finite; 1e999 would not be), and the value's end.
            pattern = re.compile(b'\\{"key":"' + re.escape(key.encode())
                                 + rb'","value":\{"(?:doubleValue|intValue)":"?[0-9]+(?:\.[0-9]*)?'
                                 + rb'(?:[eE][-+]?[0-9]{1,2})?"?\}\}')
            if len(_price_patterns) < 64:
                _price_patterns[key] = pattern
        m = pattern.search(self.raw)
        return m is not None and _first_at_top(self.raw, m.start(), key)

    def seq(self) -> int | None:
        """``agentops.seq`` as :meth:`whole_number` reads it (cached): read for every span by a reassembly."""
        seq = self._seq
        if seq is UNKNOWN:
            seq = self._seq = self.whole_number(SEQ)
        return seq  # type: ignore[no-any-return]

    def whole_number(self, key: str) -> int | None:
        """``key``'s value when it is a non-negative integer, else None; read from the raw bytes while
        nothing is decoded when they hold it in the compact form (our exporter's and the Collector's).
        The reassembler asks this of every span for ``agentops.seq``; decoding a tool's attributes means
        decoding its arguments and result."""
        if self._decoded is None:
            patterns = _int_patterns.get(key)
            if patterns is None:
                patterns = _int_patterns_for(key)
                if len(_int_patterns) < 64:
                    _int_patterns[key] = patterns
            raw = self.raw
            m = patterns[0].match(raw)  # after plain scalars only: surely the first at the top (the usual case)
            if m is not None:
                return int(m.group(1))
            m = patterns[1].search(raw)
            if m is not None and _first_at_top(raw, m.start(), key):
                return int(m.group(1))
            if m is None and patterns[2].search(raw) is None:
                return None  # the key is nowhere, nor an escape that could spell it: nothing to decode
        value = self.read_once().get(key)  # not kept: asked of every span, this must not keep every dict
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return int(value) if value >= 0 and float(value).is_integer() else None

    # --- Mapping protocol ---------------------------------------------------------------------
    def decoded(self) -> dict[str, Any]:
        """Decode now (cached); the returned dict is the cache: do not mutate it."""
        return self._dict()

    def read_once(self) -> dict[str, Any]:
        """The decoded attributes without keeping them, when they decode cleanly (else decoded and kept, with
        what could not be read or was given twice noted, as :meth:`decoded`). For a reassembly's reads of every
        model call: a million calls' dicts kept would weigh ~1 GB more than their bytes; do not mutate it."""
        d = self._decoded
        if d is not None:
            return d
        try:
            d, twice = key_values_json_checked(self.raw)
        except (*DECODE_ERRORS, ValueError, KeyError):
            return self._dict()
        return self._dict() if twice else d

    def _dict(self) -> dict[str, Any]:
        d = self._decoded
        if d is None:
            try:
                d, twice = key_values_json_checked(self.raw)
            except (*DECODE_ERRORS, ValueError, KeyError) as exc:
                d, lost, twice = key_values_json_leniently(self.raw)
                what = "the attribute list" if lost == ["*"] else ", ".join(lost)
                note = f"could not read {what} ({why_undecodable(exc)})"
                # A reader may have noted a value of the span's own (its status) already: keep both.
                self._unread = f"{self._unread}; {note}" if self._unread else note
            if twice:
                note = "; ".join(twice_note(*t) for t in twice)
                self._twice = f"{self._twice}; {note}" if self._twice else note
            self._decoded = d
        return d

    def __getitem__(self, key: str) -> Any:
        if key == SESSION_ID and self._decoded is None:
            sid = self.session_id()
            if sid is None:
                raise KeyError(key)
            return sid
        return self._dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key == SESSION_ID and self._decoded is None:
            sid = self.session_id()
            return default if sid is None else sid
        return self._dict().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def keys(self) -> Any:
        return self._dict().keys()

    def items(self) -> Any:
        return self._dict().items()

    def values(self) -> Any:
        return self._dict().values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._dict() == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"LazyAttributes({self._dict()!r})"

    def to_dict(self) -> dict[str, Any]:
        """A fresh plain dict (for JSON output or mutation by the caller)."""
        return dict(self._dict())


Mapping.register(LazyAttributes)

__all__ = ["SESSION_ID_RE", "SID_SEQ_RE", "UNKNOWN", "LazyAttributes", "top_level_session_id", "twice_note"]
