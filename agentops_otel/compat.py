"""The AgentOps-style entry points: ``init`` and ``record``.

Together with ``start_session``/``end_session``/``get_session`` (in :mod:`.sessions`) and
``record_action`` (in :mod:`.tools`) they let a suite written for AgentOps run on OpenTelemetry by
changing one import: ``import agentops_otel as agentops``.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NoOpTracerProvider, ProxyTracerProvider, SpanKind, Status, StatusCode

from . import _arguments, _error_text, _forksafe, _redact, _replay_hook, config, export, semconv
from ._end_states import reason_text
from ._event_attrs import identifier, llm_attributes, logs
from ._event_time import check_timestamps, ns
from ._guard import fault_point, guard, notice, report, type_name
from ._serialize import content_json
from .events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent

if TYPE_CHECKING:
    from .sessions import Session

logger = logging.getLogger("agentops_otel")
_init_lock = _forksafe.lock()
_TYPED = re.compile(r"([A-Za-z_][\w.]*)(?:: (.*))?", re.DOTALL)
"""An event's ``error`` text as read back from a failed step: ``"Type: message"`` or a bare ``"Type"``."""


def init(
    api_key: str | None = None,
    *,
    service_name: str | None = None,
    tracer_provider: TracerProvider | None = None,
    instrument_llm_calls: bool = True,
    capture_content: bool | str | None = None,
    url_template: str | None = None,
    max_value_chars: int | None = None,
    default_tags: Iterable[str] | None = None,
    auto_start_session: bool = False,
    redact: _redact.Hook | None = None,
    **_agentops_kwargs: Any,
) -> Session | None:
    """Set up once; calling it again (every test does) only refreshes the settings given.

    Returns the current session when ``auto_start_session=True`` (the one it started, or the one already
    current, which it does not nest another in), else ``None``: AgentOps 0.3 code holds on to what
    ``session = agentops.init(..., auto_start_session=True)`` returned, and ends that.

    ``api_key`` and other AgentOps arguments are accepted for compatibility and ignored (``inherited_session_id``
    said once in the log: a session is not continued from its id here): spans go to
    the user's provider, or to OTLP per the ``OTEL_*`` variables, or to the local file sink. Message
    content capture is switched on when ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is
    unset, because replay without inputs and outputs shows little. With ``AGENTOPS_OTEL_DISABLED``
    set it does nothing at all.

    ``redact(attribute, value) -> value`` is called on every content value before it is recorded
    (tool/action arguments and results, LLM messages, exception messages, verdict explanations,
    variation inputs), after the built-in masking of secret-named keys and key-shaped strings; what it
    returns is recorded, and a hook that raises records a marker instead of the value (see
    ``agentops_otel._redact``).
    """
    # The caller's mistakes are said clearly, here, before anything changes (outside the guard, which
    # would log them as our failure and leave telemetry half set up).
    capture = None if capture_content is None else _arguments.capture_argument(capture_content)
    if url_template is not None:
        _arguments.url_template_argument(url_template)
    if max_value_chars is not None:
        _arguments.positive_int_argument("init(max_value_chars=...)", max_value_chars)
    if tracer_provider is not None:
        _check_provider(tracer_provider)
    if service_name is not None and not isinstance(service_name, str):
        raise TypeError(f"init(service_name=...) takes a string, got {type_name(service_name, qualified=False)}")
    if not service_name:
        service_name = None  # "" (an unset variable passed through) names no service, as leaving it out
    if _agentops_kwargs.get("inherited_session_id") is not None:
        from .sessions._lifecycle import say_not_inherited

        say_not_inherited(_agentops_kwargs)
    legacy_tags = _agentops_kwargs.get("tags")
    if legacy_tags is not None:
        # AgentOps 0.3 applied its deprecated init(tags=) as default_tags: ignored, every session of a
        # ported suite would silently lose them.
        warnings.warn("init(tags=...) is AgentOps' deprecated name of default_tags: taken as default_tags"
                      + (", which were given too and win" if default_tags is not None else ""),
                      DeprecationWarning, stacklevel=2)
        if default_tags is None:
            default_tags = legacy_tags
    tags = None
    if default_tags is not None:
        from .sessions._lifecycle import tag_strings

        tags = tag_strings(default_tags, "init(default_tags=...)")
    if redact is not None:
        _redact.set_hook(redact)
    if config.disabled():
        logger.info("agentops_otel: %s is set; init() does nothing", semconv.ENV_DISABLED)
        return _auto_started() if auto_start_session else None  # unrecorded, as any session is under the switch
    # Each step under its own guard: one that fails (a bad OTEL_* value the SDK refuses, an exporter
    # that can't be built) must not skip the others. Behind one guard, a failed export setup left the
    # LLM clients uninstrumented, and the session read $0 and 0 calls for calls that happened.
    with _init_lock:
        with guard("init"):
            fault_point("init")
            state = config.state
            state.capture_default = config.ContentCapture.SPAN_ONLY
            if capture is not None:
                state.capture_override = capture
            if url_template is not None:
                state.url_template = url_template
            if max_value_chars is not None:
                state.max_value_chars = max_value_chars
            if tags is not None:
                state.extra["default_tags"] = tags
            if service_name is not None:
                state.extra["service_name"] = service_name
        with guard("init.export"):
            fault_point("init.export")
            export.configure(tracer_provider, service_name)
        if instrument_llm_calls:
            _instrument_llms()
        config.state.init_called = True
    started = _auto_started() if auto_start_session else None
    if service_name is not None:
        _say_service_name_kept(service_name)  # last: under -W error it raises with everything set up
    return started


def _auto_started() -> Session:
    """The session ``init(auto_start_session=True)`` hands back: the current one, started here if there is none."""
    from .sessions import current_session, start_session

    current = current_session()
    return current if current is not None else start_session()


def _say_service_name_kept(wanted: str) -> None:
    """Warn when the provider spans go to names another service, so a later ``init(service_name=...)`` is
    not lost in silence (``gate --service`` then finds nothing).

    A provider's resource is fixed when it is built: the plugin's ``init()`` for the first opted-in test,
    or any earlier ``init()``, built ours with the name of that time; one of the user's is theirs. Ours
    is not rebuilt: spans already started (that test's session) would keep the old name in the same trace.
    """
    message = None
    with guard("init.service_name"):
        provider = export.provider()
        if provider is None:  # the global provider is not an SDK one: configure() said so already
            return
        kept = provider.resource.attributes.get(semconv.SERVICE_NAME)
        if kept is None or kept == wanted:
            return
        if export.is_own(provider):
            why = ("comes too late", "its provider was built by an earlier init() (under pytest, the plugin's, when "
                   f"the first test opted in). Set OTEL_SERVICE_NAME={wanted}, or call init(service_name={wanted!r}) "
                   "before anything else does (in a test suite: at the top of conftest.py)")
        else:
            why = ("does not apply", "spans go to your TracerProvider, whose Resource names the service. Set "
                   "service.name there (Resource.create({'service.name': ...})), or OTEL_SERVICE_NAME before "
                   "building it")
        message = f"agentops_otel: init(service_name={wanted!r}) {why[0]}: service.name stays {kept!r}; {why[1]}"
    if message is not None:
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _check_provider(provider: object) -> None:
    """``init(tracer_provider=...)`` must take our span processor: the API's placeholder (what
    ``trace.get_tracer_provider()`` returns before an SDK provider is set) cannot, and would leave
    every session exported nowhere, not even to the local file."""
    try:
        takes_processors = callable(getattr(provider, "add_span_processor", None))
    except Exception:
        takes_processors = False
    if takes_processors:
        return
    shown = type_name(provider, qualified=False)
    hint = ("; that is the OpenTelemetry API's placeholder, returned by trace.get_tracer_provider() before "
            "an SDK provider is set: pass the SDK TracerProvider you build, or leave tracer_provider out "
            "and agentops_otel builds one" if isinstance(provider, ProxyTracerProvider | NoOpTracerProvider)
            else "")
    raise TypeError("init(tracer_provider=...) takes an OpenTelemetry SDK TracerProvider (one with "
                    f"add_span_processor), got {shown}{hint}")


def _instrument_llms() -> None:
    """Each provider module instruments its SDK if installed (atomically, at most once), unless its entry
    point is named in ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``: then its SDK is not even imported (importing
    ``anthropic`` alone takes over a second), as ``opentelemetry-instrument`` would leave it."""
    from .instrument.anthropic import instrument_anthropic
    from .instrument.openai import instrument_openai

    off = config.instrumentations_switched_off()
    clients = (("openai", semconv.INSTRUMENTOR_OPENAI, instrument_openai),
               ("anthropic", semconv.INSTRUMENTOR_ANTHROPIC, instrument_anthropic))
    before = config.state.switched_off
    switched_off = {name: entry_point if entry_point in off else semconv.INSTRUMENTORS_ALL
                    for name, entry_point, _ in clients if entry_point in off or semconv.INSTRUMENTORS_ALL in off}
    # Replaced whole, never changed in place: a session ending in another thread meanwhile reads the old
    # table or the new one (emptied then refilled, it read none, or raised iterating it).
    config.state.switched_off = switched_off
    for name, _, instrument in clients:
        if name in switched_off:
            if name not in before:  # said once, not at every init() (the pytest plugin's, per test)
                logger.info("agentops_otel: %s calls are not recorded: %s is in %s", name, switched_off[name],
                            semconv.ENV_DISABLED_INSTRUMENTATIONS)
            continue
        with guard(f"init.instrument.{name}"):  # one SDK that can't be patched leaves the other patched
            fault_point(f"init.instrument.{name}")
            instrument()


def record(event: ActionEvent | ErrorEvent | ToolEvent | LLMEvent) -> None:
    """Record an event as a step of the current session (a span, so backends see it too)."""
    if not isinstance(event, (ActionEvent, ErrorEvent, LLMEvent, ToolEvent)):
        if isinstance(event, type) and issubclass(event, (ActionEvent, ErrorEvent, LLMEvent, ToolEvent)):
            # record(ActionEvent): "got type" left the user to spot the missing call
            raise TypeError(f"record() takes an event, got the class {event.__name__}: pass an instance: "
                            f"{event.__name__}(...)")
        raise TypeError(f"record() takes an ActionEvent, ErrorEvent, LLMEvent or ToolEvent, "
                        f"got {type_name(event, qualified=False)}")
    check_timestamps(event)
    if _replay_hook.hook is not None:
        # a replay checks it against the recording (and may fail the test)
        _replay_hook.event(event, _event_error(event))
    if config.disabled():
        return
    try:
        fault_point("record")
        _record(event)
    except Exception as exc:
        report("record", exc)


def _event_error(event: ActionEvent | ErrorEvent | ToolEvent | LLMEvent) -> tuple[str, str | None] | None:
    """``(type, message)`` of the error an event records, as its span will show it; None when it records none.
    A replay compares how each step ended: an event's error is part of what the agent did."""
    with guard("record.replay_error"):
        if isinstance(event, ErrorEvent):
            exc = event.exception
            etype = event.error_type or _stand_in_type(exc) or (type_name(exc) if exc is not None else "Error")
            detail = reason_text(event.details) or (_error_text.safe_str(exc) if exc is not None else None)
            return etype, detail
        stand_in = _stand_in_type(event.error)
        if stand_in is not None:
            return stand_in, _error_text.safe_str(cast(BaseException, event.error))
        text = reason_text(event.error)
        return _error_parts(text) if text else None
    return None


def _stand_in_type(error: object) -> str | None:
    """The recorded class a replay's stand-in error (a tool answered from the cassette raising the agent's
    own class, which it can only name) stands for: the agent recording it records that class."""
    recorded = getattr(error, "recorded_type", None) if isinstance(error, BaseException) else None
    return recorded if isinstance(recorded, str) and recorded else None


def _error_parts(text: str) -> tuple[str, str | None]:
    """The type and message of an event's ``error`` text; a text with no type is of type ``_OTHER``."""
    typed = _TYPED.fullmatch(text)
    if typed is None:
        return semconv.ERROR_TYPE_OTHER, text
    return typed.group(1), typed.group(2)


def _fail(attrs: dict[str, Any], text: str, known: tuple[str, ...] = ()) -> Status:
    """Mark a recorded step failed the way a raising ``@tool`` is, so it reads back with the same error."""
    etype, message = _error_parts(text)
    attrs[semconv.ERROR_TYPE] = etype
    if message is None:  # a bare type: saying it again as the description would read "T: T"
        return Status(StatusCode.ERROR)
    return Status(StatusCode.ERROR, _error_text.scrub(semconv.STATUS_DESCRIPTION, text, known))


def _add_exception(span: Any, text: str, known: tuple[str, ...] = ()) -> None:
    """The exception event a failed ``@tool`` step carries, read first by every reader (no stack trace:
    nothing was raised here); a text of no known type has none, its status says it all."""
    etype, message = _error_parts(text)
    if etype == semconv.ERROR_TYPE_OTHER:
        return
    event = {semconv.EXCEPTION_TYPE: etype}
    if message:
        event[semconv.EXCEPTION_MESSAGE] = _error_text.scrub(semconv.EXCEPTION_MESSAGE, message, known)
    span.add_event(semconv.EVENT_EXCEPTION, event)


def _step_name(given: Any, default: str) -> Any:
    """An event's name or type as recorded: a key in it masked (a name is text the user chose, as a session's)."""
    return _redact.mask_text(given) if isinstance(given, str) and given else given or default


def _record(event: ActionEvent | ErrorEvent | ToolEvent | LLMEvent) -> None:
    from .processor import SESSION_CONTEXT_KEY
    from .sessions import current_session

    session = current_session()
    known = session.known_secrets if session is not None else ()
    # Secret values of this session's failed tools: an error recorded here is often one of theirs.
    if session is None:
        if otel_context.get_value(SESSION_CONTEXT_KEY) is not None:  # session.record() on one that ended
            notice("record.after_end", "record() into a session that has ended: the event is recorded as a "
                   "late step of it")
        else:
            notice("record.no_session", "record() called outside a session: the event is exported as a lone span")
    limit = config.max_value_chars()
    capture = config.content_capture()
    # The event's content, masked and bounded once: on the span, an event of it, or both (see below).
    content: dict[str, Any] | None = {} if capture.recorded else None
    tracer = export.tracer()
    attrs: dict[str, Any]
    start_ns: int | None
    end_ns: int | None = None
    error: BaseException | None = None
    status: Status | None = None
    if isinstance(event, ActionEvent):
        kind = _step_name(event.action_type, "action")
        name = f"{semconv.SPAN_ACTION} {kind}"
        attrs = {semconv.ACTION_TYPE: kind}
        if (agent_id := identifier(event.agent_id)) is not None:
            attrs[semconv.GEN_AI_AGENT_ID] = agent_id
        if content is not None:
            logs(content, event.logs, limit)
            if event.params is not None:
                content[semconv.ACTION_PARAMS] = content_json(semconv.ACTION_PARAMS, event.params, limit,
                                                              arguments=True)
            if event.returns is not None:
                content[semconv.ACTION_RETURNS] = content_json(semconv.ACTION_RETURNS, event.returns, limit)
        start_ns, end_ns = ns(event.init_timestamp), ns(event.end_timestamp)
    elif isinstance(event, ToolEvent):
        tool_name = _step_name(event.name, "tool")
        name = f"{semconv.SPAN_TOOL} {tool_name}"
        attrs = {semconv.GEN_AI_OPERATION_NAME: semconv.OP_EXECUTE_TOOL, semconv.GEN_AI_TOOL_NAME: tool_name}
        if (call_id := identifier(event.tool_call_id)) is not None:
            attrs[semconv.GEN_AI_TOOL_CALL_ID] = call_id
        if (agent_id := identifier(event.agent_id)) is not None:
            attrs[semconv.GEN_AI_AGENT_ID] = agent_id
        if content is not None:
            logs(content, event.logs, limit)
            content[semconv.GEN_AI_TOOL_CALL_ARGUMENTS] = content_json(
                semconv.GEN_AI_TOOL_CALL_ARGUMENTS, event.params, limit, arguments=True)
            content[semconv.GEN_AI_TOOL_CALL_RESULT] = content_json(semconv.GEN_AI_TOOL_CALL_RESULT, event.returns,
                                                                    limit)
        start_ns, end_ns = ns(event.init_timestamp), ns(event.end_timestamp)
    elif isinstance(event, LLMEvent):
        attrs = llm_attributes(event, content, limit)
        name = f"{attrs[semconv.GEN_AI_OPERATION_NAME]} {attrs[semconv.GEN_AI_REQUEST_MODEL]}"
        start_ns, end_ns = ns(event.init_timestamp), ns(event.end_timestamp)
    error_text = None if isinstance(event, ErrorEvent) else reason_text(event.error)  # an exception: "Type: message"
    raised = getattr(event, "error", None)
    if isinstance(raised, BaseException) and error_text:
        # Its class in full, as an escaping exception's: assert_error_in_step(step, TheClass) finds it.
        short = type_name(raised, qualified=False)
        if error_text.startswith(short):
            error_text = _error_text.exception_type(raised) + error_text[len(short):]
    if error_text:
        status = _fail(attrs, error_text, known)
    if isinstance(event, ErrorEvent):
        etype = _step_name(event.error_type, type_name(event.exception) if event.exception is not None else "Error")
        name = f"{semconv.SPAN_ERROR} {etype}"
        detail = reason_text(event.details) or (
            _error_text.safe_str(event.exception) if event.exception is not None else None)
        if detail:
            detail = _error_text.scrub(semconv.ERROR_MESSAGE, detail, known)
        attrs = {semconv.ERROR_TYPE: etype}
        if detail:
            attrs[semconv.ERROR_MESSAGE] = detail
        code = identifier(event.code)
        if code is not None:
            attrs[semconv.ERROR_CODE] = code
        if content is not None:
            logs(content, event.logs, limit)
        if event.trigger_event is not None and content is not None:
            content[semconv.ERROR_TRIGGER] = content_json(semconv.ERROR_TRIGGER, event.trigger_event, limit)
            if isinstance(event.trigger_event, (ActionEvent, LLMEvent, ToolEvent)):
                attrs[semconv.ERROR_TRIGGER_TYPE] = type(event.trigger_event).__name__
        error = event.exception
        status = Status(StatusCode.ERROR, detail or etype)
        start_ns = ns(event.init_timestamp if event.init_timestamp is not None else event.timestamp)
    if content and capture.on_span:
        attrs.update(content)
    span = tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=attrs, start_time=start_ns)
    if content and capture.on_event:
        span.add_event(semconv.EVENT_INFERENCE_DETAILS if isinstance(event, LLMEvent) else semconv.EVENT_STEP_CONTENT,
                       content, timestamp=start_ns)
    if error is not None:
        _error_text.record_exception(span, error, known)
    elif error_text:
        _add_exception(span, error_text, known)
    if status is not None:
        span.set_status(status)
    span.end(end_time=end_ns if end_ns is not None and start_ns is not None and end_ns >= start_ns else None)
