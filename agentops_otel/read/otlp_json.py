"""OTLP JSON in all three dialects (collector file exporter, Jaeger v3, Tempo), streamed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from agentops_otel.read._record import SpanRecord


def decode_otlp_json(obj_or_bytes: bytes | str | dict[str, Any]) -> Iterator[SpanRecord]:
    """Records from one OTLP JSON document (``resourceSpans``/``batches``, optionally wrapped)."""
    raise NotImplementedError
    yield  # pragma: no cover


def read_otlp_file(path: str | os.PathLike[str]) -> Iterator[SpanRecord]:
    """Stream records from a JSON-lines file (``.gz`` too) or a single JSON document."""
    raise NotImplementedError
    yield  # pragma: no cover
