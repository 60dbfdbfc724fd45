"""Settings, resolved at call time: argument > ``AGENTOPS_OTEL_*`` > ``OTEL_*`` > default.

Reading the environment on each call (instead of once at import) lets tests and long-lived
processes change behaviour without re-importing; every lookup is a cheap ``os.environ.get``. The
hot paths (each span) read the few values they need from :data:`state`, which :func:`agentops_otel.init`
refreshes.
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass, field

from . import semconv

DEFAULT_URL_TEMPLATE = "http://localhost:16686/trace/{trace_id}?uiFind={span_id}"
"""Jaeger's trace page, with the session's own span highlighted (nested sessions share a trace)."""
DEFAULT_FILE = ".agentops-otel/traces.jsonl"
DEFAULT_MAX_VALUE_CHARS = 4096
DEFAULT_MAX_SESSION_SPANS = 10_000
DEFAULT_MAX_CONTENT_CHARS = 8192
"""Per-span budget for an LLM call's message history (about 2k tokens): the recent turns a replay
shows (earlier turns are on earlier calls' spans), small enough that the bytes recorded over a
conversation grow linearly, not quadratically, and a call's cost stops growing with its history."""
DEFAULT_EXIT_TIMEOUT_MILLIS = 3_000
"""Long enough for a live backend to take a few batches, short of the 10 s a container gets after SIGTERM."""


class ContentCapture(enum.Enum):
    """Where message content (prompts, completions, tool arguments) may be recorded."""

    NO_CONTENT = "no_content"
    SPAN_ONLY = "span_only"
    EVENT_ONLY = "event_only"
    SPAN_AND_EVENT = "span_and_event"

    @property
    def on_span(self) -> bool:
        return self in (ContentCapture.SPAN_ONLY, ContentCapture.SPAN_AND_EVENT)

    @property
    def on_event(self) -> bool:
        return self in (ContentCapture.EVENT_ONLY, ContentCapture.SPAN_AND_EVENT)


_LEGACY_TRUE = {"true", "1", "yes", "on"}
_LEGACY_FALSE = {"false", "0", "no", "off", ""}


def parse_capture(raw: str | None, default: ContentCapture) -> ContentCapture:
    """Map the env var's value to a mode; unknown values fall back to ``default`` (never raise)."""
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _LEGACY_TRUE:
        return ContentCapture.SPAN_ONLY
    if value in _LEGACY_FALSE:
        return ContentCapture.NO_CONTENT
    try:
        return ContentCapture(value)
    except ValueError:
        return default


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return default


@dataclass
class RuntimeState:
    """The values the hot paths read; :func:`agentops_otel.init` refreshes them."""

    capture_default: ContentCapture = ContentCapture.NO_CONTENT
    """The mode used when the env var is unset: ``init()`` raises it to span_only (replay needs it)."""
    capture_override: ContentCapture | None = None
    url_template: str | None = None
    max_value_chars: int | None = None
    max_session_spans: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


state = RuntimeState()


_capture_memo: tuple[str | None, ContentCapture, ContentCapture] | None = None


def content_capture() -> ContentCapture:
    """The capture mode in force: init argument > env var > default (memoised on the raw value)."""
    global _capture_memo
    if state.capture_override is not None:
        return state.capture_override
    raw = os.environ.get(semconv.ENV_CAPTURE_CONTENT)
    memo = _capture_memo
    if memo is not None and memo[0] == raw and memo[1] is state.capture_default:
        return memo[2]
    mode = parse_capture(raw, state.capture_default)
    _capture_memo = (raw, state.capture_default, mode)
    return mode


def url_template() -> str:
    return state.url_template or os.environ.get(semconv.ENV_URL_TEMPLATE) or DEFAULT_URL_TEMPLATE


_max_chars_memo: tuple[str | None, int] = (None, DEFAULT_MAX_VALUE_CHARS)


def max_value_chars() -> int:
    global _max_chars_memo
    if state.max_value_chars is not None:
        return state.max_value_chars
    raw = os.environ.get(semconv.ENV_MAX_VALUE_CHARS)
    if raw != _max_chars_memo[0]:
        _max_chars_memo = (raw, _int_env(semconv.ENV_MAX_VALUE_CHARS, DEFAULT_MAX_VALUE_CHARS))
    return _max_chars_memo[1]


_max_content_memo: tuple[str | None, int] = (None, DEFAULT_MAX_CONTENT_CHARS)


def max_content_chars() -> int:
    """The per-span content budget (``AGENTOPS_OTEL_MAX_CONTENT_CHARS``), memoised on the raw value."""
    global _max_content_memo
    raw = os.environ.get(semconv.ENV_MAX_CONTENT_CHARS)
    if raw != _max_content_memo[0]:
        _max_content_memo = (raw, _int_env(semconv.ENV_MAX_CONTENT_CHARS, DEFAULT_MAX_CONTENT_CHARS))
    return _max_content_memo[1]


def max_session_spans() -> int:
    if state.max_session_spans is not None:
        return state.max_session_spans
    return _int_env(semconv.ENV_MAX_SESSION_SPANS, DEFAULT_MAX_SESSION_SPANS)


def file_path() -> str:
    return os.environ.get(semconv.ENV_FILE) or DEFAULT_FILE


def exit_timeout_millis() -> int:
    """How long exit waits for the backend; a value that is not a whole number is reported, not obeyed."""
    raw = os.environ.get(semconv.ENV_EXIT_TIMEOUT_MILLIS)
    if raw is None or not raw.strip():
        return DEFAULT_EXIT_TIMEOUT_MILLIS
    try:
        return max(0, int(raw))
    except ValueError:
        logging.getLogger("agentops_otel").warning(
            "agentops_otel: %s=%r is not a whole number of milliseconds; using %d",
            semconv.ENV_EXIT_TIMEOUT_MILLIS, raw, DEFAULT_EXIT_TIMEOUT_MILLIS)
        return DEFAULT_EXIT_TIMEOUT_MILLIS


def service_name(arg: str | None = None) -> str:
    return arg or os.environ.get(semconv.ENV_SERVICE_NAME) or "agent"


def disabled() -> bool:
    return os.environ.get(semconv.ENV_DISABLED, "").strip().lower() in _LEGACY_TRUE


def otlp_endpoint_configured() -> bool:
    return bool(os.environ.get(semconv.ENV_OTLP_TRACES_ENDPOINT) or os.environ.get(semconv.ENV_OTLP_ENDPOINT))


def otlp_protocol() -> str:
    """``grpc`` or ``http/protobuf``; the spec's default is http/protobuf."""
    raw = os.environ.get(semconv.ENV_OTLP_TRACES_PROTOCOL) or os.environ.get(semconv.ENV_OTLP_PROTOCOL)
    return (raw or "http/protobuf").strip().lower()
