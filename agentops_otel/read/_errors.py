"""Typed read failures, so callers (CLI, pytest plugin, e2e tests) can say what went wrong.

Every reader raises only these (never a bare httpx / json / OSError), each with a message that names
the backend or file and what to check.
"""

from __future__ import annotations


class ReadError(Exception):
    """Base of every failure to read spans from a file or a backend."""


class BackendUnreachable(ReadError):
    """The backend did not answer (connection refused, DNS, timeout, 5xx)."""


class TraceNotFound(ReadError):
    """The backend answered but holds no such trace or session."""


class MalformedPayload(ReadError):
    """The file or the backend's answer is not OTLP JSON this reader understands."""


__all__ = ["BackendUnreachable", "MalformedPayload", "ReadError", "TraceNotFound"]
