"""Readers: SDK spans, OTLP JSON files, Jaeger and Tempo, all producing one neutral ``SpanRecord``.

Typical use::

    from agentops_otel.read import open_source
    spans = open_source("jaeger://localhost:16686").session(session_id)
"""

from __future__ import annotations

from agentops_otel.read._errors import BackendUnreachable, MalformedPayload, ReadError, TraceNotFound
from agentops_otel.read._record import SpanEventRecord, SpanRecord, is_session_root
from agentops_otel.read._source import FileSource, JaegerSource, Query, Scan, Source, TempoSource, open_source
from agentops_otel.read._time import TimeArg
from agentops_otel.read.jaeger import JaegerReader
from agentops_otel.read.memory import records_from_spans
from agentops_otel.read.otlp_json import decode_otlp_json, read_otlp_file
from agentops_otel.read.tempo import TempoReader

__all__ = [
    "BackendUnreachable",
    "FileSource",
    "JaegerReader",
    "JaegerSource",
    "MalformedPayload",
    "Query",
    "ReadError",
    "Scan",
    "Source",
    "SpanEventRecord",
    "SpanRecord",
    "TempoReader",
    "TempoSource",
    "TimeArg",
    "TraceNotFound",
    "decode_otlp_json",
    "is_session_root",
    "open_source",
    "read_otlp_file",
    "records_from_spans",
]
