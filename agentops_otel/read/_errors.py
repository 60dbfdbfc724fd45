"""Typed read failures, so callers (CLI, pytest plugin, e2e tests) can say what went wrong.

Every reader raises only these (never a bare httpx / json / OSError), each with a message that names
the backend or file and what to check.
"""

from __future__ import annotations

from typing import Final

import msgspec

from agentops_otel._redact import mask_text


class ReadError(Exception):
    """Base of every failure to read spans from a file or a backend."""


class BackendUnreachable(ReadError):
    """The backend did not answer (connection refused, DNS, timeout, 5xx)."""


class TraceNotFound(ReadError):
    """The backend answered but holds no such trace or session."""


class MalformedPayload(ReadError):
    """The file or the backend's answer is not OTLP JSON this reader understands."""


DECODE_ERRORS: Final = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)
"""What decoding a document the readers can't read raises. ``RecursionError``: values nested deeper
than the decoder goes (a corrupt or hostile file), which is bad input like any other, not a crash."""


def why_undecodable(exc: BaseException) -> str:
    """The reason a :data:`DECODE_ERRORS` failure gives, in words a user can act on.

    Masked by shape: a decoder quotes the value it could not read (an int64 written as text), and the reason
    reaches a replay's issues, a diff and a CI log, whoever wrote the value (another instrumentation, a
    resource attribute set by hand)."""
    if isinstance(exc, RecursionError):
        return "values nested too deeply to read"
    return mask_text(str(exc))


__all__ = ["DECODE_ERRORS", "BackendUnreachable", "MalformedPayload", "ReadError", "TraceNotFound", "why_undecodable"]
