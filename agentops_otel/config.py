"""Settings, resolved at call time: argument > ``AGENTOPS_OTEL_*`` > ``OTEL_*`` > default.

Reading the environment on each call (instead of once at import) lets tests and long-lived
processes change behaviour without re-importing. The hot paths (each span) read the few values they
need from :data:`state`, which :func:`agentops_otel.init` refreshes, and the variables they still
consult per span (the kill switch, the capture mode, the two content limits) through :func:`_raw`:
a live look-up of the value ``os.environ`` holds (so ``os.environ[...] = ...`` / ``monkeypatch.setenv``
take effect at the next span), without ``os.environ.get``'s encoding and decoding, and parsed again
only when that stored value changed.
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass, field
from typing import Final

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

    @property
    def recorded(self) -> bool:
        """Content is recorded somewhere (on the span, an event of it, or both)."""
        return self is not ContentCapture.NO_CONTENT


_LEGACY_TRUE = {"true", "1", "yes", "on"}
_LEGACY_FALSE = {"false", "0", "no", "off", ""}


def parse_capture(raw: str | None, default: ContentCapture) -> ContentCapture:
    """Map the env var's value to a mode; unknown values fall back to ``default`` (never raise)."""
    mode = None if raw is None else capture_named(raw)
    return default if mode is None else mode


def capture_named(text: str) -> ContentCapture | None:
    """The mode a capture setting names (a mode, or a legacy true/false word); ``None``: none."""
    value = text.strip().lower()
    if value in _LEGACY_TRUE:
        return ContentCapture.SPAN_ONLY
    if value in _LEGACY_FALSE:
        return ContentCapture.NO_CONTENT
    try:
        return ContentCapture(value)
    except ValueError:
        return None


def _env_key(name: str) -> object:
    encode = getattr(os.environ, "encodekey", None)
    return encode(name) if callable(encode) else name


def _raw(name: str, key: object) -> object:
    """The value ``os.environ`` holds for ``name`` (bytes on POSIX), or None; the same object until it changes.

    ``os.environ`` keeps its values in a plain dict of encoded keys (``_data``), updated by every
    ``os.environ`` write: reading it directly skips the per-call encode/decode of ``os.environ.get``
    (a measurable share of a span's cost when four variables are read per span). Falls back to
    ``os.environ.get`` where ``os.environ`` has no such dict (replaced by a test, another platform).
    """
    env = os.environ
    data = getattr(env, "_data", None)
    if type(data) is dict:
        return data.get(key)
    return env.get(name)


_warned: set[tuple[str, str]] = set()
"""The bad values already reported: a setting read on every span is named once, not once per span."""


def config_warning(name: str, raw: str, message: str) -> None:
    """Tell the user, once per value, that ``name=raw`` is not obeyed (a log line, never an exception:
    a variable is often set far from the code, and a typo in it must not stop their program). The value
    is shown masked: a link template may carry a token, and a key is easily pasted into the wrong variable."""
    if (name, raw) in _warned:
        return
    _warned.add((name, raw))
    from ._redact import mask_text  # not at import: this module is read by every pytest run, used or not

    logging.getLogger("agentops_otel").warning("agentops_otel: %s=%r %s", name, mask_text(raw), message)


def positive_int_env(name: str, default: int) -> int:
    """A size from the environment: a whole number above zero, else the default (said once). Zero or a
    negative number is not "no limit": taken as given it lifted the bound on recorded content."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        config_warning(name, raw, f"is not a whole number above zero; using {default}")
        return default
    return value


@dataclass
class RuntimeState:
    """The values the hot paths read; :func:`agentops_otel.init` refreshes them."""

    capture_default: ContentCapture = ContentCapture.NO_CONTENT
    """The mode used when the env var is unset: ``init()`` raises it to span_only (replay needs it)."""
    capture_override: ContentCapture | None = None
    url_template: str | None = None
    max_value_chars: int | None = None
    max_session_spans: int | None = None
    init_called: bool = False
    """``init()`` ran (not under the kill switch): it instrumented what model clients it could."""
    instrumented: set[str] = field(default_factory=set)
    """The model clients instrumented right now (``instrument_openai()`` and the like, by hand or by ``init()``)."""
    switched_off: dict[str, str] = field(default_factory=dict)
    """Model SDKs (module name) ``init()`` left uninstrumented because ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    names them, each to what the variable holds for it (its entry point, or ``*``): a session that ran while
    such an SDK was imported may hold calls nobody saw (see ``sessions._views.unwatched``). Replaced whole by
    ``init()``, never changed in place: other threads read it without a lock."""
    uninstrumented: int = 0
    """How many times a model client was uninstrumented: a session that saw it move, and no model call,
    cannot say its calls were seen (another client still instrumented says nothing of this one's)."""
    extra: dict[str, object] = field(default_factory=dict)


state = RuntimeState()


def models_watched_since(uninstrumented: int) -> bool:
    """:func:`models_watched`, and no model client uninstrumented since ``state.uninstrumented`` was
    ``uninstrumented``."""
    return models_watched() and state.uninstrumented == uninstrumented


def instrumentations_switched_off() -> frozenset[str]:
    """The entry point names in ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``, read as ``opentelemetry-instrument``
    reads them (comma-separated, spaces around a name ignored, ``*`` for all)."""
    raw = os.environ.get(semconv.ENV_DISABLED_INSTRUMENTATIONS, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def models_watched() -> bool:
    """Whether an LLM call made now would be seen: ``init()`` ran (it instruments what it can; a provider it
    doesn't know is the user's to record), or a model client was instrumented by hand. Read as a session
    starts and ends: without it a session's bounds on calls, tokens and cost would pass on calls never seen."""
    return state.init_called or bool(state.instrumented)


_CAPTURE_KEY = _env_key(semconv.ENV_CAPTURE_CONTENT)
_capture_memo: tuple[object, ContentCapture, ContentCapture] | None = None


def content_capture() -> ContentCapture:
    """The capture mode in force: init argument > env var > default (memoised on the raw value)."""
    global _capture_memo
    override = state.capture_override
    if override is not None:
        return override
    raw = _raw(semconv.ENV_CAPTURE_CONTENT, _CAPTURE_KEY)
    memo = _capture_memo
    default = state.capture_default
    if memo is not None and memo[0] is raw and memo[1] is default:
        return memo[2]
    mode = parse_capture(os.environ.get(semconv.ENV_CAPTURE_CONTENT), default)
    _capture_memo = (raw, default, mode)
    return mode


def url_template() -> str:
    """The link template in force; one from the environment that can't make a link is named and not used."""
    if state.url_template:
        return state.url_template
    raw = os.environ.get(semconv.ENV_URL_TEMPLATE)
    if not raw:
        return DEFAULT_URL_TEMPLATE
    if link(raw, "0" * 32, "0" * 16, "session") is None:
        config_warning(semconv.ENV_URL_TEMPLATE, raw, "can't make a link (use the fields {trace_id}, {span_id} "
                       "and {session_id}); using the default")
        return DEFAULT_URL_TEMPLATE
    return raw


def link(template: str, trace_id: str, span_id: str, session_id: str) -> str | None:
    """``template`` filled in, or ``None`` when it can't make a link (an unknown field, ``{trace_id.hex}``,
    a stray brace): a session's link is read by assertions and the CLI, and must never raise."""
    try:
        return template.format(trace_id=trace_id, span_id=span_id, session_id=session_id)
    except Exception:
        return None


_MAX_CHARS_KEY = _env_key(semconv.ENV_MAX_VALUE_CHARS)
_max_chars_memo: tuple[object, int] = (None, DEFAULT_MAX_VALUE_CHARS)


def max_value_chars() -> int:
    global _max_chars_memo
    if state.max_value_chars is not None:
        return state.max_value_chars
    raw = _raw(semconv.ENV_MAX_VALUE_CHARS, _MAX_CHARS_KEY)
    memo = _max_chars_memo
    if raw is not memo[0]:
        memo = _max_chars_memo = (raw, positive_int_env(semconv.ENV_MAX_VALUE_CHARS, DEFAULT_MAX_VALUE_CHARS))
    return memo[1]


_MAX_CONTENT_KEY = _env_key(semconv.ENV_MAX_CONTENT_CHARS)
_max_content_memo: tuple[object, int] = (None, DEFAULT_MAX_CONTENT_CHARS)


def max_content_chars() -> int:
    """The per-span content budget (``AGENTOPS_OTEL_MAX_CONTENT_CHARS``), memoised on the raw value."""
    global _max_content_memo
    raw = _raw(semconv.ENV_MAX_CONTENT_CHARS, _MAX_CONTENT_KEY)
    memo = _max_content_memo
    if raw is not memo[0]:
        memo = _max_content_memo = (raw, positive_int_env(semconv.ENV_MAX_CONTENT_CHARS, DEFAULT_MAX_CONTENT_CHARS))
    return memo[1]


_AZURE_KEY = _env_key(semconv.ENV_AZURE_DEPLOYMENT)
_azure_memo: tuple[object, str | None] = (None, None)


def azure_deployment() -> str | None:
    """The Azure OpenAI deployment type the program declared (``AGENTOPS_OTEL_AZURE_DEPLOYMENT``), or ``None``;
    a value that is none of them is said once and taken as unset. Memoised on the raw value: read per Azure call."""
    global _azure_memo
    raw = _raw(semconv.ENV_AZURE_DEPLOYMENT, _AZURE_KEY)
    memo = _azure_memo
    if raw is not memo[0]:
        text = os.environ.get(semconv.ENV_AZURE_DEPLOYMENT) or ""
        value: str | None = text.strip().lower() or None
        if value is not None and value not in semconv.AZURE_DEPLOYMENT_TYPES:
            kinds = ", ".join(semconv.AZURE_DEPLOYMENT_TYPES)
            config_warning(semconv.ENV_AZURE_DEPLOYMENT, text, f"is not one of {kinds}; Azure calls stay unpriced")
            value = None
        memo = _azure_memo = (raw, value)
    return memo[1]


@dataclass(frozen=True, slots=True)
class CallSettings:
    """What one LLM call reads from the settings: the capture mode and the two content limits."""

    capture: ContentCapture
    on_span: bool
    on_event: bool
    limit: int
    """``max_value_chars``: the bound on each recorded string."""
    budget: int
    """``max_content_chars``: the per-span budget for the message history."""


_settings_memo: tuple[object, ...] = ()
_settings: CallSettings | None = None


def call_settings() -> CallSettings:
    """:func:`content_capture`, :func:`max_value_chars` and :func:`max_content_chars` in one look-up.

    Read on every LLM call: the result is kept until one of the three variables' stored values, or
    what ``init()`` set, changes (so a change applies at the next call, as with the separate readers).
    """
    global _settings_memo, _settings
    st = state
    data = getattr(os.environ, "_data", None)  # what _raw reads, fetched once for the three variables
    if type(data) is dict:
        key = (data.get(_CAPTURE_KEY), data.get(_MAX_CHARS_KEY), data.get(_MAX_CONTENT_KEY), st.capture_override,
               st.capture_default, st.max_value_chars)
    else:
        key = (_raw(semconv.ENV_CAPTURE_CONTENT, _CAPTURE_KEY), _raw(semconv.ENV_MAX_VALUE_CHARS, _MAX_CHARS_KEY),
               _raw(semconv.ENV_MAX_CONTENT_CHARS, _MAX_CONTENT_KEY), st.capture_override, st.capture_default,
               st.max_value_chars)
    settings = _settings
    if settings is not None and key == _settings_memo:  # element identity first, then equal values
        return settings
    capture = content_capture()
    settings = CallSettings(capture, capture.on_span, capture.on_event, max_value_chars(), max_content_chars())
    _settings_memo, _settings = key, settings
    return settings


def max_session_spans() -> int:
    if state.max_session_spans is not None:
        return state.max_session_spans
    return positive_int_env(semconv.ENV_MAX_SESSION_SPANS, DEFAULT_MAX_SESSION_SPANS)


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
        config_warning(semconv.ENV_EXIT_TIMEOUT_MILLIS, raw,
                       f"is not a whole number of milliseconds; using {DEFAULT_EXIT_TIMEOUT_MILLIS}")
        return DEFAULT_EXIT_TIMEOUT_MILLIS


def service_name(arg: str | None = None) -> str:
    return arg or os.environ.get(semconv.ENV_SERVICE_NAME) or "agent"


_DISABLED_KEY = _env_key(semconv.ENV_DISABLED)
_disabled_memo: tuple[object, bool] = (None, False)
_switched_on = 0


def disabled() -> bool:
    """The kill switch, ``AGENTOPS_OTEL_DISABLED``: read on every call (1-3 times per span), so it is
    memoised on the stored value (see :func:`_raw`) and a change at run time applies at the next span."""
    global _disabled_memo, _switched_on
    data = getattr(os.environ, "_data", None)  # _raw, inlined: this runs on every span
    raw = data.get(_DISABLED_KEY) if type(data) is dict else os.environ.get(semconv.ENV_DISABLED)
    memo = _disabled_memo
    if raw is memo[0]:
        return memo[1]
    value = os.environ.get(semconv.ENV_DISABLED, "").strip().lower() in _LEGACY_TRUE
    _disabled_memo = (raw, value)
    if value:
        _switched_on += 1
    return value


def switched_on() -> int:
    """How many times a call found the kill switch newly on. A session notes it as it starts and ends:
    if it moved in between, calls made meanwhile passed through unrecorded and its verdicts refuse."""
    return _switched_on


def otlp_endpoint_configured() -> bool:
    return bool(os.environ.get(semconv.ENV_OTLP_TRACES_ENDPOINT) or os.environ.get(semconv.ENV_OTLP_ENDPOINT))


_OTLP_PROTOCOLS: Final = ("grpc", "http/protobuf")
"""What the SDK's exporters send (the Python SDK has no ``http/json`` exporter)."""


def otlp_protocol() -> str:
    """``grpc`` or ``http/protobuf`` (the spec's default); any other value is named in a warning and
    http/protobuf is sent, rather than the typo going unnoticed until nothing arrives."""
    name = semconv.ENV_OTLP_TRACES_PROTOCOL
    raw = os.environ.get(name)
    if not raw:
        name, raw = semconv.ENV_OTLP_PROTOCOL, os.environ.get(semconv.ENV_OTLP_PROTOCOL)
    if not raw or not raw.strip():
        return "http/protobuf"
    protocol = raw.strip().lower()
    if protocol not in _OTLP_PROTOCOLS:
        config_warning(name, raw, "is not a protocol this exporter sends (grpc, http/protobuf); sending "
                       "http/protobuf")
        return "http/protobuf"
    return protocol
