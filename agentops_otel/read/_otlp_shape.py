"""Whether a decoded OTLP JSON document names its spans' containers, so that none is read as empty.

A key OTLP JSON does not know is skipped by the typed decode; where it stands for a container
(``resourceSpans``, ``scopeSpans``, ``spans``) misspelled or in protobuf's snake_case, its spans would
read as an empty batch without a word. These checks run only when a container is missing, which the
common path never is. Split from :mod:`._otlp_decode`, whose schema they read.
"""

from __future__ import annotations

import reprlib
from typing import TYPE_CHECKING, Any, Final

import msgspec
from msgspec import UNSET

from agentops_otel.read._errors import DECODE_ERRORS, MalformedPayload

if TYPE_CHECKING:
    from agentops_otel.read._otlp_decode import _Document, _Traces

__all__ = ["check_containers", "check_entry_keys"]

_PROTO_NAMES: Final = ("resource_spans", "scope_spans")
_ANY_OBJECT: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])


_OTHER_SIGNALS: Final = frozenset({"resourceLogs", "resourceMetrics", "resourceProfiles"})


def check_containers(doc: _Document, data: Any) -> frozenset[str] | None:
    """Raise unless the document names its spans' container, is an empty object (``{}``, what a
    proto3 writer makes of an empty batch) or another signal's batch. Anything else read as "no spans"
    would drop a line of the input without a word, and the gate would pass without the sessions it held.

    Returns None for a trace export, else the other signals' containers it holds (none for ``{}``):
    a file of nothing else holds no traces at all, which its reader says (see :class:`Converter`)."""
    if doc.resourceSpans is not UNSET or doc.batches is not UNSET:
        return None
    try:
        top = _ANY_OBJECT.decode(data)
        wrapped = next((k for k in ("result", "trace") if getattr(doc, k) is not None), None)
        if wrapped is not None:
            traces: _Traces = getattr(doc, wrapped)
            if traces.resourceSpans is not UNSET or traces.batches is not UNSET:
                return None
            inner = _ANY_OBJECT.decode(top[wrapped])
            if not inner:
                return None  # Jaeger's or Tempo's answer holding no trace
            keys, where = sorted(inner), f"its {wrapped!r} "
        else:
            keys, where = sorted(top), ""
    except DECODE_ERRORS:  # not a JSON object at that level: the typed decode would have refused it
        keys, where = ["?"], ""
    if not keys or any(k in _OTHER_SIGNALS for k in keys):
        # nothing, or another signal's batch (one file exporter on every pipeline writes all three)
        return frozenset(k for k in keys if k in _OTHER_SIGNALS)
    why = f"not OTLP JSON: {where}holds no resourceSpans (keys: {reprlib.repr(', '.join(keys))})"
    if any(k in _PROTO_NAMES for k in keys):
        why += ("; it uses protobuf field names: write OTLP JSON's camelCase ones (the collector's file "
                "exporter does; protobuf's json_format without preserving_proto_field_name)")
    raise MalformedPayload(why)


_ENTRY_FIELDS: Final = (
    ("resourceSpans", "scopeSpans", frozenset({"resource", "scopeSpans", "instrumentationLibrarySpans", "schemaUrl"})),
    ("scopeSpans", "spans", frozenset({"scope", "instrumentationLibrary", "spans", "schemaUrl"})),
)
"""Per container entry: what it calls its spans' container, and every field OTLP gives it."""


def check_entry_keys(data: Any) -> bool:
    """Raise if an entry that names no container for its spans holds a key OTLP does not define: a
    misspelled ``scopeSpans`` or ``spans``, whose spans would otherwise read as an empty batch. Only run
    when an entry lacks its container (rare: proto3's empty batch), so the extra parse costs nothing on
    the common path; returns True, the document checked once and for all."""
    try:
        doc = msgspec.json.decode(data)
    except DECODE_ERRORS:
        return True  # the typed decode read it: nothing more to say here
    entries: list[tuple[int, Any]] = [(0, doc)]
    while entries:
        level, node = entries.pop()
        if not isinstance(node, dict):
            continue
        if level == 0:  # a document, maybe wrapped: its resource entries
            for key in ("resourceSpans", "batches"):
                entries.extend((1, rs) for rs in node.get(key) or ())
            entries.extend((0, node[k]) for k in ("result", "trace") if isinstance(node.get(k), dict))
            continue
        name, container, fields = _ENTRY_FIELDS[level - 1]
        if container in node or (level == 1 and "instrumentationLibrarySpans" in node):
            if level == 1:
                for key in ("scopeSpans", "instrumentationLibrarySpans"):
                    entries.extend((2, ss) for ss in node.get(key) or ())
            continue
        odd = [k for k in node if k not in fields]
        if odd:
            raise MalformedPayload(
                f"a {name} entry holds no {container} but {', '.join(reprlib.repr(k) for k in sorted(odd))}, "
                f"which OTLP does not define (a misspelled {container!r}? its spans would be lost)")
    return True
