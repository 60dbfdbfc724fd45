"""Decoding OTLP JSON documents into span records, in all three dialects (collector file exporter,
Jaeger v3, Tempo).

The dialects differ in ways a strict decoder trips over: ids in hex or base64, enums as numbers or
names, 64-bit ints as strings or numbers, ``resourceSpans`` or ``batches``, an optional
``{"result": ...}`` / ``{"trace": ...}`` wrapper. One typed ``msgspec`` schema with lax coercion
accepts all of them in a single pass; a span's attributes stay undecoded bytes until asked for
(see ``_lazyattrs``). Reading files (memory maps, lines, gzip) is :mod:`.otlp_json`'s part.
"""

from __future__ import annotations

import base64
import binascii
import reprlib
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any, Final

import msgspec
from msgspec import UNSET, UnsetType

from agentops_otel._gc import gc_paused
from agentops_otel._otlp_values import KeyValue, given_twice, key_values_to_python
from agentops_otel.read._errors import DECODE_ERRORS, MalformedPayload, ReadError, why_undecodable
from agentops_otel.read._lazyattrs import SID_SEQ_RE, UNKNOWN, LazyAttributes, top_level_session_id, twice_note
from agentops_otel.read._otlp_shape import check_containers, check_entry_keys
from agentops_otel.read._record import SpanEventRecord, SpanRecord
from agentops_otel.semconv import READ_UNREADABLE, SPAN_SESSION

__all__ = ["DOC_DECODER", "Converter", "decode_document", "decode_otlp_json"]

# --- wire schema (only what we read; unknown fields are skipped by msgspec) --------------------
class _Status(msgspec.Struct, gc=False):
    code: Any = 0
    """A number or a name (see ``_status``); anything else is the span's unreadable value, not the file's."""
    message: str = ""


class _Event(msgspec.Struct, gc=False):
    name: str = ""
    timeUnixNano: int = 0
    attributes: list[KeyValue] = []


class _Span(msgspec.Struct, gc=False):
    traceId: str = ""
    spanId: str = ""
    parentSpanId: str = ""
    name: str = ""
    kind: int | str = 0
    startTimeUnixNano: int = 0
    endTimeUnixNano: int = 0
    attributes: msgspec.Raw = msgspec.Raw(b"[]")
    events: msgspec.Raw = msgspec.Raw(b"[]")
    status: _Status | None = None


class _Scope(msgspec.Struct, gc=False):
    name: str = ""


class _ScopeSpans(msgspec.Struct, gc=False):
    spans: list[_Span] | UnsetType = UNSET
    scope: _Scope | None = None
    instrumentationLibrary: _Scope | None = None


class _Resource(msgspec.Struct, gc=False):
    attributes: msgspec.Raw = msgspec.Raw(b"[]")


# The containers default to UNSET, not []: a key left out (misspelled, or protobuf's snake_case
# ``resource_spans``) must not read as an empty batch, or its spans vanish without a word.
class _ResourceSpans(msgspec.Struct, gc=False):
    resource: _Resource | None = None
    scopeSpans: list[_ScopeSpans] | UnsetType = UNSET
    instrumentationLibrarySpans: list[_ScopeSpans] | UnsetType = UNSET
    scope_spans: Any = UNSET
    """Protobuf's own field name: its spans would be lost in silence (only its presence is read)."""


class _Traces(msgspec.Struct, gc=False):
    resourceSpans: list[_ResourceSpans] | UnsetType = UNSET
    batches: list[_ResourceSpans] | UnsetType = UNSET


class _Document(msgspec.Struct, gc=False):
    """Any of the dialects' top-level objects: bare, Jaeger's ``result`` or Tempo v2's ``trace``."""

    resourceSpans: list[_ResourceSpans] | UnsetType = UNSET
    batches: list[_ResourceSpans] | UnsetType = UNSET
    result: _Traces | None = None
    trace: _Traces | None = None


DOC_DECODER: Final = msgspec.json.Decoder(_Document, strict=False)
_EVENTS_DECODER: Final = msgspec.json.Decoder(list[_Event], strict=False)

_KIND_NAMES: Final = {
    "SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
}
_STATUS_NAMES: Final = {"UNSET": 0, "OK": 1, "ERROR": 2}
_STATUS_PREFIXES: Final = ("STATUS_CODE_", "STATUSCODE.")
"""Spellings of the names: OTLP's own (``STATUS_CODE_ERROR``), the short one some exporters write
(``ERROR``, ``Error``) and Python's enum's (``StatusCode.ERROR``)."""
_TIME_END: Final = 1 << 64
"""OTLP times are unsigned 64-bit nanoseconds (until 2554): a value past them is no clock's reading."""
_EMPTY: Final[MappingProxyType[str, Any]] = MappingProxyType({})
_ZERO_SPAN_ID: Final = "0" * 16


# --- small normalisers -----------------------------------------------------------------------
def _norm_id(value: str, hex_len: int) -> str:
    """Lowercase hex whatever the dialect wrote (hex, base64, or hex with leading zeros cut)."""
    if len(value) == hex_len:
        return value if value.islower() or value.isdigit() else value.lower()
    try:
        if len(value) < hex_len:
            int(value, 16)
            return value.lower().rjust(hex_len, "0")
    except ValueError:
        pass
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value
                               else None, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedPayload(f"span or trace id {value!r} is neither hex nor base64") from None
    return raw.hex().rjust(hex_len, "0")


def _kind(value: int | str) -> int:
    """OTLP's enum (internal = 1) to the SDK's SpanKind value (internal = 0)."""
    if isinstance(value, str):
        value = _KIND_NAMES.get(value.upper(), 0) if not value.isdigit() else int(value)
    return value - 1 if value > 0 else 0


def _status(status: _Status) -> tuple[int, str, str | None]:
    """Code, message, and why the code could not be read (``None``: it could). A code OTLP does not
    define is read as an error, never as unset or ok: a failed step must not pass for a fine one."""
    code = status.code
    if code is None:
        return 0, status.message, None  # null: the field's default, as if left out
    found: int | None = None
    if isinstance(code, str):
        name = code.strip().upper()
        for prefix in _STATUS_PREFIXES:
            name = name.removeprefix(prefix)
        found = _STATUS_NAMES.get(name)
        if found is None and name.isdigit() and len(name) == 1:
            found = int(name)
    elif isinstance(code, int | float) and not isinstance(code, bool) and code == int(code):
        found = int(code)
    if found is not None and 0 <= found <= 2:
        return found, status.message, None
    return 2, status.message, f"could not read the span status code {reprlib.repr(code)} (taken as an error)"


_NO_START: Final = "no startTimeUnixNano (0, unset): the step is shown at its end, as taking no time"


def _bad_time(field: str, value: int, span: str) -> MalformedPayload:
    return MalformedPayload(f"{field} {value} of span {span!r} is not an OTLP time (nanoseconds since 1970, "
                            "0 to 2**64-1)")


def _events(raw: msgspec.Raw, span: str) -> tuple[tuple[SpanEventRecord, ...], str | None]:
    """The span's events, and what they say twice: a key an event lists again with another value (an
    ``exception`` event naming two exception types) is read first-wins, as the span's own attributes
    are, and noted on the span, so that its session is not judged on whichever came first."""
    if len(raw) <= 2:
        return (), None
    try:
        events = _EVENTS_DECODER.decode(raw)
    except DECODE_ERRORS as exc:
        raise MalformedPayload(f"malformed span events: {why_undecodable(exc)}") from None
    for e in events:
        if not 0 <= e.timeUnixNano < _TIME_END:
            raise _bad_time("timeUnixNano", e.timeUnixNano, f"{span}, event {e.name}")
    notes: list[str] = []
    out: list[SpanEventRecord] = []
    try:
        for e in events:
            attrs = key_values_to_python(e.attributes)
            if len(attrs) < len(e.attributes):
                where = f"event {reprlib.repr(e.name)}"
                notes.extend(f"{where}: {twice_note(*t)}" for t in given_twice(e.attributes, attrs))
            out.append(SpanEventRecord(e.name, e.timeUnixNano, MappingProxyType(attrs)))
    except (ValueError, KeyError, RecursionError) as exc:  # a value of the right shape that can't be read
        raise MalformedPayload(f"malformed span event attributes: {why_undecodable(exc)}") from None
    return tuple(out), "; ".join(notes) or None


class Converter:
    """Turns decoded documents into records, sharing repeated strings and resources.

    Trace ids, parent ids, span names and resources repeat across spans; handing out one shared
    object per distinct value keeps a large reassembly's memory down at the cost of a dict
    lookup. The caches are bounded and reset when they grow past ``_MAX_CACHE``.
    """

    _MAX_CACHE: Final = 50_000

    def __init__(self) -> None:
        self.documents = 0
        """Documents converted so far."""
        self.trace_exports = 0
        """Of those, the ones that name a trace container (``resourceSpans``, even empty): a file with
        documents but none of these is another signal's file, or a file of ``{}``, not an empty traces file."""
        self.other_signals: set[str] = set()
        """The other signals' containers seen (``resourceLogs``, ...), for saying what such a file holds."""
        self._ids: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._sids: dict[bytes, str | None] = {}
        self._resources: dict[bytes, MappingProxyType[str, Any]] = {}

    def _resource(self, res: _Resource | None) -> MappingProxyType[str, Any]:
        if res is None or len(res.attributes) <= 2:
            return _EMPTY
        key = bytes(res.attributes)
        found = self._resources.get(key)
        if found is None:
            try:
                lazy = LazyAttributes(key)
                values = lazy.to_dict()
                if lazy.decode_error:
                    values[READ_UNREADABLE] = lazy.decode_error
                found = MappingProxyType(values)
            except ReadError:
                found = _EMPTY
            if len(self._resources) > 1000:
                self._resources.clear()
            self._resources[key] = found
        return found

    def records(self, doc: _Document, data: Any) -> list[SpanRecord]:
        """All spans of one document (``data``: its JSON, read again only when it names no container);
        the common dialect (hex ids, int enums) takes the fast path."""
        others = check_containers(doc, data)
        self.documents += 1
        if others is None:
            self.trace_exports += 1
        else:
            self.other_signals.update(others)
        ids = self._ids
        names = self._names
        sids = self._sids
        if len(ids) > self._MAX_CACHE:
            ids.clear()
        if len(names) > self._MAX_CACHE:
            names.clear()
        if len(sids) > self._MAX_CACHE:
            sids.clear()
        out: list[SpanRecord] = []
        append = out.append
        sid_of = top_level_session_id
        sid_seq = SID_SEQ_RE.match
        unknown = UNKNOWN
        keys_checked = False
        for batches in (doc.resourceSpans, doc.batches, doc.result and doc.result.resourceSpans,
                        doc.result and doc.result.batches, doc.trace and doc.trace.resourceSpans,
                        doc.trace and doc.trace.batches):
            if not batches:
                continue
            for rs in batches:
                resource = self._resource(rs.resource)
                scopes = rs.scopeSpans or rs.instrumentationLibrarySpans
                if scopes is UNSET:
                    if rs.scope_spans is not UNSET:
                        raise MalformedPayload("a resourceSpans entry holds its spans under scope_spans, "
                                               "protobuf's field name: write OTLP JSON's camelCase scopeSpans")
                    scopes = []  # left out: proto3 JSON's empty batch
                    if not keys_checked:
                        keys_checked = check_entry_keys(data)
                for ss in scopes:
                    sc = ss.scope or ss.instrumentationLibrary
                    scope = sc.name if sc is not None else ""
                    spans = ss.spans
                    if spans is UNSET:
                        spans = []  # left out: an empty scope, unless a misspelled key holds them
                        if not keys_checked:
                            keys_checked = check_entry_keys(data)
                    for s in spans:
                        raw_tid = s.traceId
                        tid = ids.get(raw_tid)
                        if tid is None:
                            if not raw_tid:
                                raise MalformedPayload(f"span {s.name!r} has no traceId")
                            tid = ids[raw_tid] = _norm_id(raw_tid, 32)
                        span_id = s.spanId
                        if len(span_id) != 16 or not (span_id.islower() or span_id.isdigit()):
                            if not span_id:
                                raise MalformedPayload(f"span {s.name!r} has no spanId")
                            span_id = _norm_id(span_id, 16)
                        pid: str | None = None
                        raw_pid = s.parentSpanId
                        if raw_pid:
                            pid = ids.get(raw_pid)
                            if pid is None:
                                pid = ids[raw_pid] = _norm_id(raw_pid, 16)
                            if pid == _ZERO_SPAN_ID:
                                pid = None
                        name = names.get(s.name)
                        if name is None:
                            name = names[s.name] = s.name
                        st = s.status
                        unreadable = None
                        if st is None:
                            code, message = 0, ""
                        elif type(st.code) is int and 0 <= st.code <= 2:
                            code, message = st.code, st.message
                        else:
                            code, message, unreadable = _status(st)
                        kind = s.kind
                        kind = (kind - 1 if kind > 0 else 0) if type(kind) is int else _kind(kind)
                        raw = s.attributes
                        found = sid_seq(raw)  # the compact form our exporter writes: both at once
                        seq: Any = unknown
                        if found is None:
                            key = sid_of(raw)
                        else:
                            key, digits, quoted = found.groups()
                            if digits is not None or quoted is not None:
                                seq = int(digits or quoted)
                        session: Any = unknown  # absent, or in a form only the full decode reads
                        if key is not None:
                            session = sids.get(key, unknown)
                            if session is unknown:
                                try:
                                    session = sids[key] = key.decode() or None
                                except UnicodeDecodeError:
                                    pass
                        start, end = s.startTimeUnixNano, s.endTimeUnixNano
                        if not (0 <= start < _TIME_END and 0 <= end < _TIME_END):
                            bad = start if not 0 <= start < _TIME_END else end
                            raise _bad_time("startTimeUnixNano" if bad is start else "endTimeUnixNano", bad, name)
                        if not start and end:  # unset (proto3's 0): at its end, said so, not a 56-year step
                            start = end
                            unreadable = f"{unreadable}; {_NO_START}" if unreadable else _NO_START
                        ev = s.events
                        events, twice = _events(ev, name) if len(ev) > 2 else ((), None)
                        attrs = LazyAttributes(raw, None, session, unreadable, twice, seq)
                        if name.startswith(SPAN_SESSION):
                            # Session roots are read by every reassembly: decode them while their page
                            # is resident. Touching a released page later maps its neighbours back in
                            # too (the kernel's fault-around), which for 10k roots in a 1 GB file cost
                            # 700 MB of resident memory.
                            attrs.decoded()
                        append(SpanRecord(
                            tid, span_id, pid, name, kind, start, end,
                            code, message, attrs,  # type: ignore[arg-type]
                            events, resource, scope,
                        ))
        return out


def decode_document(data: Any, where: str) -> _Document:
    try:
        return DOC_DECODER.decode(data)
    except DECODE_ERRORS as exc:
        raise MalformedPayload(f"{where}: not OTLP JSON ({why_undecodable(exc)})") from None


def decode_otlp_json(obj_or_bytes: bytes | bytearray | memoryview | str | dict[str, Any]) -> Iterator[SpanRecord]:
    """Records from one OTLP JSON document in any dialect (bare, ``{"result":…}``, ``{"trace":…}``).

    A dict (already parsed JSON) is re-encoded once so it goes through the same tolerant path.
    """
    data: Any = obj_or_bytes
    if isinstance(data, dict):
        data = msgspec.json.encode(data)
    elif isinstance(data, str):
        data = data.encode()
    with gc_paused():
        doc = decode_document(data, "payload")
        records = Converter().records(doc, data)
    yield from records
