"""A credential that the value limit cuts through is not recorded in part: the cut never keeps its start."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import config, semconv

_PREFIX = "the key: "
_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM"


def _recorded(exporter: InMemorySpanExporter, text: str, limit: int) -> str:
    """The ``text`` argument of a tool call as recorded with ``AGENTOPS_OTEL_MAX_VALUE_CHARS=limit``."""

    @agentops.tool
    def note(text: str) -> None:
        return None

    exporter.clear()
    config.state.max_value_chars = limit
    try:
        note(text)
    finally:
        config.state.max_value_chars = None
    (span,) = exporter.get_finished_spans()
    return str(json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])["text"])  # type: ignore[index,arg-type]


@pytest.mark.parametrize(("secret", "visible"), [
    ("sk-proj-Abcdefghijklmnop0123456789XYZ", "sk-proj-"),
    ("Bearer abcdefgh12345678", "Bearer "),
    ("Basic dXNlcjpwYXNzd29yZA==", "Basic "),
    ("AKIAIOSFODNN7EXAMPLE", "AKIA"),
    ("ghp_" + "a1B2c3D4e5" * 4, "ghp_"),
    (_JWT, "eyJ"),
    ("postgres://ann:s3cr3t-pw@db.internal/x", "postgres://"),
])
def test_a_credential_cut_anywhere_by_the_limit_leaves_none_of_it_recorded(
        span_exporter: InMemorySpanExporter, secret: str, visible: str) -> None:
    """Wherever the value limit falls inside a key, not one character past its public prefix is recorded."""
    text = f"{_PREFIX}{secret} and more text after it"
    leaked = secret[:len(visible) + 1]
    for limit in range(len(_PREFIX) + len(visible) + 1, len(_PREFIX) + len(secret)):
        recorded = _recorded(span_exporter, text, limit)
        assert leaked not in recorded, (limit, recorded)
        assert recorded.startswith(_PREFIX) and "…[truncated" in recorded, (limit, recorded)


def test_a_cut_inside_a_key_says_a_secret_was_there(span_exporter: InMemorySpanExporter) -> None:
    """The cut moves back to the key's start and the marker stands where the key began."""
    text = f"{_PREFIX}sk-proj-Abcdefghijklmnop0123456789XYZ ok"
    recorded = _recorded(span_exporter, text, len(_PREFIX) + 12)
    assert recorded == f"{_PREFIX}[REDACTED]…[truncated {len(text) - len(_PREFIX)} chars]"


def test_a_cut_outside_any_key_is_where_the_limit_says(span_exporter: InMemorySpanExporter) -> None:
    """Plain text is cut exactly at the limit, a long word included: only a key moves the cut."""
    assert _recorded(span_exporter, "n" * 1000, 50) == "n" * 50 + "…[truncated 950 chars]"
    assert _recorded(span_exporter, "https://example.com/a/very/long/path", 25) == (
        "https://example.com/a/ver…[truncated 11 chars]")


_PIECES = ["sk-proj-", "sk-", "Abcdefgh", "12345678", " ", "Bearer ", "basic ", "eyJ", "eyJhbGciOiJI", ".", "_",
           "://", "ann:", "pw", "@", "/", "AKIA", "IOSFODNN7EXAMPLE", "ghp_", "hf_", "xoxb-", "AIza", "=", "x"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24).map("".join), st.integers(min_value=1, max_value=200))
@example("sk-proj-" * 7 + "Bearer sk-proj-", 64)  # moved back to "Bearer", the cut was inside a longer key
def test_no_credential_the_whole_text_masks_is_split_by_the_cut(text: str, limit: int) -> None:
    """Every run that masking the whole text would hide ends before the cut or starts after it, or keeps
    no more of it than the start every such key shares (``sk-proj-``, ``Bearer``)."""
    import re

    from agentops_otel._redact import SECRET_PATTERNS, cut_at

    keep = cut_at(text, limit)
    assert keep <= limit
    public = [a for anchors, _ in SECRET_PATTERNS for a in anchors] + ["sk-proj-", "sk-ant-", "bearer", "basic"]
    for _, pattern in SECRET_PATTERNS:
        for found in re.finditer(pattern, text):
            kept = text[found.start():keep].rstrip().lower()
            assert keep <= found.start() or keep >= found.end() or any(
                p.lower().startswith(kept) for p in public), (text, limit, keep, found)
