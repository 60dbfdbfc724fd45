"""Secrets stay masked in cassettes: the same rules the trace applies, on whole (uncut) values.

The rules themselves (secret key names, credential-shaped strings) live in ``agentops_otel._redact``;
this applies them to plain JSON data. A replay masks what the agent does now the same way before
comparing it with the recording, so a masked argument still matches.
"""

from __future__ import annotations

import re
from typing import Any

try:
    from .._redact import REDACTED, is_secret_key, mask_text  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - until the shared redaction rules land
    REDACTED = "[REDACTED]"
    _KEY = re.compile(r"(?i)(api[_-]?key|password|secret|token|authorization)$")
    _SHAPE = re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}|(?i:\bbearer)\s+[A-Za-z0-9._~+/=\-]{8,}")

    def is_secret_key(key: str) -> bool:
        return bool(_KEY.search(key))

    def mask_text(text: str) -> str:
        return _SHAPE.sub(REDACTED, text)

__all__ = ["REDACTED", "mask"]


def mask(value: Any, *, keys: bool = True) -> Any:
    """A copy of ``value`` with secrets masked: under secret-named keys (when ``keys``) and by shape."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if keys and isinstance(k, str) and is_secret_key(k) and v is not None
                else mask(v, keys=keys) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v, keys=keys) for v in value]
    return value
