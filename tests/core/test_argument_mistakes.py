"""A mistake in an argument of the public API gets a clear error naming it, at the call that made it,
and changes nothing: telemetry is neither switched off nor recorded wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv


@pytest.fixture
def default_tags_reset() -> Iterator[None]:
    yield
    agentops.init(default_tags=[])


@pytest.mark.parametrize("tags", [123, b"abc", 4.5])
def test_init_default_tags_that_are_not_strings_get_a_clear_error(
        tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter, tags: object) -> None:
    """init(default_tags=123) names the argument; sessions are still recorded afterwards."""
    with pytest.raises(TypeError, match=r"init\(default_tags=\.\.\.\) takes a string or a list of strings"):
        agentops.init(tracer_provider=tracer_provider, default_tags=tags)  # type: ignore[arg-type]
    with agentops.session("still-recorded"):
        pass
    assert any(s.name.endswith("still-recorded") for s in span_exporter.get_finished_spans())


def test_init_default_tags_as_one_string_is_one_tag(span_exporter: InMemorySpanExporter,
                                                    default_tags_reset: None) -> None:
    """default_tags="prod" is the tag "prod", as tags="prod" is for start_session."""
    agentops.init(default_tags="prod")
    with agentops.session("s") as s:
        pass
    assert "prod" in s.tags and "p" not in s.tags


@pytest.mark.parametrize(("value", "error"), [("x", TypeError), (True, TypeError), (0, ValueError), (-5, ValueError)])
def test_init_max_value_chars_must_be_a_positive_int(value: Any, error: type[Exception]) -> None:
    """init(max_value_chars="x") is refused at init, not reported later as an internal error in every tool."""
    with pytest.raises(error, match=r"init\(max_value_chars=\.\.\.\)"):
        agentops.init(max_value_chars=value)


@pytest.mark.parametrize(("provider", "shown"), [(trace.ProxyTracerProvider(), "ProxyTracerProvider"),
                                                 (trace.NoOpTracerProvider(), "NoOpTracerProvider"), ("x", "str")])
def test_init_tracer_provider_that_takes_no_span_processors_gets_a_clear_error(
        span_exporter: InMemorySpanExporter, provider: object, shown: str) -> None:
    """init(tracer_provider=<the API's placeholder>) names the argument and what was passed, and changes nothing."""
    with pytest.raises(TypeError, match=rf"init\(tracer_provider=\.\.\.\) takes an OpenTelemetry SDK "
                                        rf"TracerProvider .*got {shown}"):
        agentops.init(tracer_provider=provider)  # type: ignore[arg-type]
    with agentops.session("still-recorded"):
        pass
    assert any(s.name.endswith("still-recorded") for s in span_exporter.get_finished_spans())


@pytest.mark.parametrize("value", ["5000", None, True, [5000]])
def test_flush_timeout_that_is_not_a_number_gets_a_clear_error(value: object) -> None:
    """flush("5000") (read from the environment, still a str) names timeout_millis instead of an internal error."""
    with pytest.raises(TypeError, match=r"flush\(timeout_millis=\.\.\.\) takes a number of milliseconds"):
        agentops.flush(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["3000", True, float("nan")])
def test_shutdown_timeout_that_is_not_a_number_is_refused_before_anything_ends(value: object) -> None:
    """shutdown(timeout_millis="3000") raises naming the argument and leaves the open session as it was."""
    s = agentops.start_session("worker")
    with pytest.raises((TypeError, ValueError), match=r"shutdown\(timeout_millis=\.\.\.\) takes"):
        agentops.shutdown(timeout_millis=value)  # type: ignore[arg-type]
    assert s.end_state is None
    agentops.end_session("Success", session=s)


@pytest.mark.parametrize("value", [3, "sometimes"])
def test_init_capture_content_must_be_a_bool_or_a_mode(value: Any) -> None:
    """capture_content= takes True/False or a capture mode's name; anything else is named, not ignored."""
    with pytest.raises((TypeError, ValueError), match=r"init\(capture_content=\.\.\.\)"):
        agentops.init(capture_content=value)


def test_record_of_something_that_is_not_an_event_gets_a_clear_error() -> None:
    """record("x") says what record() takes instead of logging an internal error."""
    with pytest.raises(TypeError, match=r"record\(\) takes an ActionEvent, ErrorEvent, LLMEvent or ToolEvent, got str"):
        agentops.record("x")  # type: ignore[arg-type]


def test_end_session_with_a_session_that_is_not_one_gets_a_clear_error() -> None:
    """end_session(session=5) names the argument, and the current session stays open."""
    s = agentops.start_session("open")
    with pytest.raises(TypeError, match=r"end_session\(session=\.\.\.\) takes a Session, got int"):
        agentops.end_session("Success", session=5)  # type: ignore[arg-type]
    assert s.end_state is None
    agentops.end_session("Success", session=s)
    assert s.end_state == semconv.END_SUCCESS


@pytest.mark.parametrize(("template", "error"), [(123, TypeError), ("{trace_id.hex}", ValueError),
                                                 ("{nope}", ValueError), ("{", ValueError)])
def test_init_url_template_that_cannot_make_a_link_is_refused(template: Any, error: type[Exception]) -> None:
    """init(url_template=...) is checked once, at init, rather than breaking every session.url later."""
    with pytest.raises(error, match=r"init\(url_template=\.\.\.\)"):
        agentops.init(url_template=template)


def test_a_url_template_from_the_environment_that_fails_falls_back_to_the_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """AGENTOPS_OTEL_URL_TEMPLATE="{trace_id.hex}" gives the default link, not an AttributeError."""
    from agentops_otel import config

    monkeypatch.setattr(config.state, "url_template", None)
    monkeypatch.setenv(semconv.ENV_URL_TEMPLATE, "{trace_id.hex}")
    with agentops.session("s") as s:
        pass
    assert s.url.startswith("http://localhost:16686/trace/")


def test_session_tags_from_a_generator_are_recorded_on_every_use(span_exporter: InMemorySpanExporter) -> None:
    """tags= given as a generator tags the `with` session and each call of a decorated function alike."""
    with agentops.session("g", tags=(t for t in ["billing", "v2"])) as s:
        pass
    assert s.tags == ["billing", "v2"]

    @agentops.session("d", tags=iter(["billing", "v2"]))
    def run() -> list[str]:
        return agentops.get_session().tags  # type: ignore[union-attr]

    assert run() == run() == ["billing", "v2"]


@pytest.mark.parametrize("first", [123, b"abc", 4.5])
def test_start_session_first_argument_that_is_neither_name_nor_tags_gets_a_clear_error(first: object) -> None:
    """start_session(123) names its first argument (a name, or AgentOps' tags) instead of silently dropping it."""
    with pytest.raises(TypeError, match=r"start_session\(\) takes a session name \(a string\) or, as AgentOps' "
                                        rf"start_session does, a list \(or dict\) of tags first, "
                                        rf"got {type(first).__name__}"):
        agentops.start_session(first)  # type: ignore[arg-type]
    assert agentops.current_session() is None


@pytest.mark.parametrize("first", [123, b"abc"])
def test_session_first_argument_that_is_neither_name_nor_tags_gets_a_clear_error(first: object) -> None:
    """session(123) is refused where it is written, instead of a session silently named after the service."""
    with pytest.raises(TypeError, match=rf"session\(\) takes a session name .* got {type(first).__name__}"):
        agentops.session(first)  # type: ignore[call-overload]


def test_start_session_given_tags_first_and_by_keyword_gets_a_clear_error() -> None:
    """start_session(["a"], tags=["b"]) says tags were given twice instead of dropping the first list."""
    with pytest.raises(TypeError, match=r"start_session\(\) was given tags twice: \['a'\] first .* and "
                                        r"tags=\['b'\]"):
        agentops.start_session(["a"], tags=["b"])
    assert agentops.current_session() is None


@pytest.mark.parametrize(("start", "where"), [
    (lambda: agentops.start_session("s", attributes="team=a"), r"start_session\(attributes=\.\.\.\)"),
    (lambda: agentops.session("s", attributes=5), r"session\(attributes=\.\.\.\)"),
])
def test_session_attributes_that_are_not_a_mapping_get_a_clear_error(start: Any, where: str) -> None:
    """attributes="team=a" names the argument instead of an internal error and a session with no root span."""
    with pytest.raises(TypeError, match=where + r" takes a dict of attribute names to values, got "):
        start()
    assert agentops.current_session() is None


def test_init_service_name_that_is_not_a_string_gets_a_clear_error() -> None:
    """init(service_name=123) names the argument instead of silently naming sessions after the default."""
    with pytest.raises(TypeError, match=r"init\(service_name=\.\.\.\) takes a string, got int"):
        agentops.init(service_name=123)  # type: ignore[arg-type]


def test_init_service_name_your_provider_does_not_carry_is_said() -> None:
    """init(service_name=...) cannot rename the service of a provider you built: a warning names the one kept."""
    yours = TracerProvider(resource=Resource.create({"service.name": "billing"}))
    with pytest.warns(RuntimeWarning, match=r"init\(service_name='support'\).*service.name stays 'billing'"):
        agentops.init(tracer_provider=yours, service_name="support")


def test_init_with_an_empty_service_name_is_as_without_one() -> None:
    """init(service_name="") (an unset variable passed through) names nothing: no warning about a name kept."""
    import warnings

    yours = TracerProvider(resource=Resource.create({"service.name": "billing"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        agentops.init(tracer_provider=yours, service_name="")


@pytest.mark.parametrize(("field", "value", "error"), [
    ("init_timestamp", 1_700_000_000, TypeError), ("end_timestamp", "yesterday", ValueError)])
def test_record_of_an_event_with_a_timestamp_that_is_not_one_gets_a_clear_error(
        span_exporter: InMemorySpanExporter, field: str, value: object, error: type[Exception]) -> None:
    """record(ActionEvent(init_timestamp=1700000000)) names the field instead of dropping the event as our error."""
    with agentops.session("s"):
        with pytest.raises(error, match=rf"record\(\): ActionEvent\.{field} takes a datetime or an ISO 8601 string"):
            agentops.record(agentops.ActionEvent(action_type="pay", **{field: value}))


def test_record_of_error_texts_that_are_not_strings_keeps_the_step(span_exporter: InMemorySpanExporter) -> None:
    """ErrorEvent(details=402) and ActionEvent(error=exc) are recorded as text, not dropped as an internal error."""
    with agentops.session("s") as s:
        agentops.record(agentops.ErrorEvent(error_type="PaymentRequired", details=402))  # type: ignore[arg-type]
        agentops.record(agentops.ActionEvent(action_type="pay", error=ValueError("card declined")))  # type: ignore[arg-type]
    assert [(e.error_type, e.details) for e in s.errors if e.step_name == "error PaymentRequired"] == [
        ("PaymentRequired", "402")]
    assert [e.error for e in s.action_events] == ["ValueError: card declined"]


@pytest.mark.parametrize("timeout", [10**13, 1e300])
def test_flush_with_a_huge_timeout_waits_instead_of_failing(timeout: float) -> None:
    """flush(10**13) (an 'effectively forever' wait) flushes, rather than an internal error from the thread join."""
    with agentops.session("s"):
        pass
    assert agentops.flush(timeout) is True


def test_session_executor_of_something_that_is_not_an_executor_gets_a_clear_error() -> None:
    """SessionExecutor(4) (the worker count, not an executor) names what it takes at construction."""
    with pytest.raises(TypeError, match=r"SessionExecutor\(\.\.\.\) takes an executor .*got int"):
        agentops.SessionExecutor(4)  # type: ignore[arg-type]


def test_carry_context_of_something_that_is_not_callable_gets_a_clear_error() -> None:
    """carry_context(5) fails where it is written, not later inside a worker thread."""
    with pytest.raises(TypeError, match=r"carry_context\(\) takes a callable, got int"):
        agentops.carry_context(5)  # type: ignore[arg-type]


def test_record_action_given_neither_a_function_nor_a_name_says_so() -> None:
    """@record_action(123) names what it takes, as @tool(123) does."""
    with pytest.raises(TypeError, match=r"@record_action takes a function or the action's name, got int"):
        agentops.record_action(123)  # type: ignore[call-overload]


@pytest.mark.parametrize(("model", "provider", "named"), [
    (None, None, r"register_price\(model\)"), ("", None, r"register_price\(model\)"),
    ("my-model", 42, r"register_price\(provider=\.\.\.\)")])
def test_register_price_of_a_model_or_provider_that_is_not_a_name_gets_a_clear_error(
        model: Any, provider: Any, named: str) -> None:
    """register_price(None, ...) or provider=42 names the argument instead of failing inside .lower()."""
    with pytest.raises(TypeError, match=named):
        agentops.register_price(model, input_per_mtok=1, output_per_mtok=1, provider=provider)


def test_agentops_dict_tags_are_recorded_as_key_value_tags() -> None:
    """AgentOps 0.4 takes tags as a dict too (``start_session({"env": "prod"})``, ``tags={...}``): each pair is a
    ``key:value`` tag, neither refused nor reduced to its keys."""
    first = agentops.start_session({"env": "prod", "user": 42})  # type: ignore[arg-type]
    agentops.end_session("Success")
    keyword = agentops.start_session("named", tags={"env": "prod"})  # type: ignore[arg-type]
    agentops.end_session("Success")
    with agentops.session(tags={"team": "billing"}) as scoped:  # type: ignore[arg-type]
        pass
    assert (first.tags, keyword.tags, scoped.tags) == (["env:prod", "user:42"], ["env:prod"], ["team:billing"])
