"""The pipelines in collector-config/, run for real: plain OpenTelemetry SDK -> OTLP -> collector -> Jaeger.

Sessions are built with the bare SDK (not agentops_otel) in the wire shape of design.md: a root
``invoke_agent support`` span carrying ``session.id``, ``agentops.session.end_state`` and the int
``agentops.session.cost_micros``, with ``chat gpt-4o`` and ``execute_tool fetch_customer_data`` children
carrying GenAI attributes and opt-in content. Everything is read back through Jaeger's HTTP API v3.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import pytest
from _backends import (
    CollectorFactory,
    JaegerBackend,
    SpanView,
    Trace,
    free_ports,
)
from _prometheus import PrometheusBackend
from opentelemetry import trace as otel_trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AnyValue

pytestmark = pytest.mark.e2e

Protocol = Literal["grpc", "http"]
EndState = Literal["Success", "Fail", "Indeterminate"]

#: Shaped like an OpenAI project key; it must never come out of redact-content.yaml.
FAKE_API_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8J9k0L1m2N3p4Q5r6"
SPANS_PER_SESSION = 4
CONTENT_KEYS = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "agentops.action.params",
    "agentops.action.returns",
    "agentops.logs",
    "agentops.error.trigger",
    "agentops.llm.params",
    "agentops.llm.returns",
)


# --- emitting sessions with the plain SDK ---------------------------------------------------------------


@contextmanager
def otlp_tracer(endpoint: str, protocol: Protocol, service: str) -> Iterator[Tracer]:
    """A tracer on a private provider exporting over OTLP ``protocol`` to ``endpoint`` (a base URL).

    Leaving the block flushes and shuts the provider down, so every span has been sent.
    """
    exporter: SpanExporter
    if protocol == "grpc":
        exporter = GrpcSpanExporter(endpoint=endpoint, insecure=True)
    else:
        exporter = HttpSpanExporter(endpoint=f"{endpoint}/v1/traces")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100))
    try:
        yield provider.get_tracer("agentops-otel-e2e")
    finally:
        assert provider.force_flush(10_000), f"OTLP/{protocol} export to {endpoint} did not flush"
        provider.shutdown()


@dataclass(frozen=True)
class Emitted:
    """What a test needs to find an emitted session again."""

    trace_id: str
    session_id: str
    span_count: int


def emit_session(
    tracer: Tracer,
    *,
    end_state: EndState,
    cost_micros: int,
    tool_error: Literal["none", "status", "exception_only"] = "none",
    with_action: bool = False,
) -> Emitted:
    """One agent session as one trace: root, LLM call, tool call (may fail), second LLM call.

    ``tool_error="status"`` fails the tool span (exception event, error.type, status ERROR);
    ``"exception_only"`` records the exception and error.type but leaves every status UNSET.
    ``with_action`` adds an ``action lookup`` span with ``agentops.action.params/returns``,
    ``agentops.logs`` and ``agentops.error.trigger``.
    """
    session_id = f"sess-{uuid.uuid4().hex[:12]}"
    common = {"session.id": session_id}
    spans = SPANS_PER_SESSION
    root_attributes: dict[str, AnyValue] = {
        **common,
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "support",
        "gen_ai.conversation.id": session_id,
        "agentops.seq": 0,
    }
    with tracer.start_as_current_span("invoke_agent support", attributes=root_attributes) as root:
        _chat(tracer, common, seq=1, question="Where is my order #1234?")
        tool_attributes: dict[str, AnyValue] = {
            **common,
            "agentops.seq": 2,
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "fetch_customer_data",
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.id": "call_1",
            "gen_ai.tool.call.arguments": json.dumps({"customer_id": "c-42", "api_key": FAKE_API_KEY}),
            "gen_ai.tool.call.result": json.dumps({"name": "Ada", "email": "ada@example.com"}),
            # A secret quoted in an ordinary attribute, and a credential-named attribute.
            "agentops.note": f"retried the CRM call with key {FAKE_API_KEY}",
            "http.request.header.authorization": "Bearer abcdefghijklmnopqrstuvwxyz012345",
        }
        with tracer.start_as_current_span(
            "execute_tool fetch_customer_data",
            attributes=tool_attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as tool:
            if tool_error != "none":
                tool.record_exception(TimeoutError(f"CRM timed out for key {FAKE_API_KEY}"))
                tool.set_attribute("error.type", "TimeoutError")
            if tool_error == "status":
                tool.set_status(Status(StatusCode.ERROR, "CRM timed out"))
        if with_action:
            spans += 1
            action_attributes: dict[str, AnyValue] = {
                **common,
                "agentops.seq": 3,
                "agentops.action.type": "lookup",
                "agentops.action.params": json.dumps({"query": "order 1234", "token": FAKE_API_KEY}),
                "agentops.action.returns": json.dumps({"status": "shipped"}),
                "agentops.logs": json.dumps("looked up order 1234 for the customer"),
                # What record(ErrorEvent(trigger_event=...)) writes: the failed event's content.
                "agentops.error.trigger": json.dumps({"query": "order 1234 for Ada"}),
            }
            with tracer.start_as_current_span("action lookup", attributes=action_attributes):
                pass
        _chat(tracer, common, seq=4, question="Summarise for the customer.")
        root.set_attribute("agentops.session.end_state", end_state)
        root.set_attribute("agentops.session.cost_micros", cost_micros)
        root.set_attribute("agentops.session.cost_usd", cost_micros / 1_000_000)
        root.set_attribute("agentops.session.llm_calls", 2)
        root.set_attribute("agentops.session.tool_calls", 1)
        if end_state == "Fail":
            root.set_attribute("error.type", "TimeoutError")
            root.set_attribute("agentops.session.end_reason", "tool fetch_customer_data failed")
            root.set_status(Status(StatusCode.ERROR, "tool fetch_customer_data failed"))
        elif end_state == "Success":
            root.set_status(Status(StatusCode.OK))
        trace_id = format(root.get_span_context().trace_id, "032x")
    return Emitted(trace_id=trace_id, session_id=session_id, span_count=spans)


def _chat(tracer: Tracer, common: dict[str, str], *, seq: int, question: str) -> None:
    """One ``chat gpt-4o`` CLIENT span with usage, and content both as attributes and as an event."""
    messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": question}]}])
    answer = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "It shipped."}]}])
    attributes: dict[str, AnyValue] = {
        **common,
        "agentops.seq": seq,
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30,
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "You are a support agent."}]),
        "gen_ai.input.messages": messages,
        "gen_ai.output.messages": answer,
        "agentops.llm.params": json.dumps({"messages": question}),  # a recorded LLMEvent's params / returns
        "agentops.llm.returns": json.dumps({"choices": ["It shipped."]}),
        "server.address": "api.openai.com",
    }
    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes=attributes) as span:
        span.add_event(
            "gen_ai.client.inference.operation.details",
            {"gen_ai.input.messages": messages, "gen_ai.output.messages": answer},
        )


def new_service(label: str) -> str:
    """A service name no other test uses (the Jaeger fixture is shared by the whole session)."""
    return f"e2e-{label}-{uuid.uuid4().hex[:8]}"


def all_values(trace: Trace) -> Iterator[tuple[str, object]]:
    """Every (key, value) in a trace: span, event and resource attributes."""
    for span in trace.spans:
        yield from span.attributes.items()
        yield from span.resource.items()
        for _, attributes in span.events:
            yield from attributes.items()


def assert_whole_session(trace: Trace, emitted: Emitted) -> None:
    """All of the session's spans arrived, under one root that carries the session id."""
    assert len(trace.spans) == emitted.span_count, [span.name for span in trace.spans]
    root = trace.root
    assert root.name == "invoke_agent support"
    assert {span.attributes.get("session.id") for span in trace.spans} == {emitted.session_id}
    assert all(span.parent_span_id == root.span_id for span in trace.spans if span is not root)


# --- jaeger-local.yaml ------------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_jaeger_local_receives_sessions_over_otlp(jaeger: JaegerBackend, protocol: Protocol) -> None:
    """jaeger-local.yaml stores a session sent over OTLP gRPC or HTTP and serves it through API v3."""
    service = new_service(f"jaeger-{protocol}")
    endpoint = jaeger.otlp_grpc_endpoint if protocol == "grpc" else jaeger.otlp_http_endpoint
    with otlp_tracer(endpoint, protocol, service) as tracer:
        emitted = emit_session(tracer, end_state="Fail", cost_micros=12_345, tool_error="status")

    trace = jaeger.wait_for_trace(emitted.trace_id, min_spans=emitted.span_count)
    assert_whole_session(trace, emitted)
    root = trace.root
    assert root.resource["service.name"] == service
    assert root.status == "ERROR"
    assert root.attributes["agentops.session.end_state"] == "Fail"
    assert root.attributes["agentops.session.cost_micros"] == 12_345  # still an int after the round trip
    tool = trace.span("execute_tool fetch_customer_data")
    assert tool.status == "ERROR"
    assert [name for name, _ in tool.events] == ["exception"]
    assert FAKE_API_KEY in tool.attributes["gen_ai.tool.call.arguments"]  # Jaeger alone redacts nothing

    assert service in jaeger.services()
    found = jaeger.find_traces(service, attributes={"session.id": emitted.session_id})
    assert [t.trace_id for t in found] == [emitted.trace_id]
    assert jaeger.find_traces(service, attributes={"session.id": "no-such-session"}) == []
    assert jaeger.get_trace("0" * 31 + "1") is None


# --- agent-sessions.yaml ---------------------------------------------------------------------------------


@pytest.mark.e2e
def test_agent_sessions_keeps_whole_failed_errored_and_expensive_sessions(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory
) -> None:
    """agent-sessions.yaml keeps whole failed, errored and expensive sessions and drops cheap successes."""
    collector = otelcol_factory.start(
        "agent-sessions.yaml",
        env={"AGENTOPS_SAMPLE_PERCENT": "0", "AGENTOPS_COST_THRESHOLD_MICROS": "10000"},
    )
    service = new_service("sessions")
    # Cheap successes first: their decision is due no later than the kept sessions'.
    with otlp_tracer(collector.otlp_http_endpoint, "http", service) as tracer:
        cheap = [emit_session(tracer, end_state="Success", cost_micros=900) for _ in range(3)]
        cheap.append(emit_session(tracer, end_state="Indeterminate", cost_micros=9_999))
        expensive = emit_session(tracer, end_state="Success", cost_micros=10_000)
    with otlp_tracer(collector.otlp_grpc_endpoint, "grpc", service) as tracer:
        failed = emit_session(tracer, end_state="Fail", cost_micros=100, tool_error="status")
        errored = emit_session(
            tracer, end_state="Indeterminate", cost_micros=100, tool_error="exception_only"
        )
        very_expensive = emit_session(tracer, end_state="Success", cost_micros=2_500_000)

    kept = [failed, errored, expensive, very_expensive]
    for emitted in kept:
        assert_whole_session(jaeger.wait_for_trace(emitted.trace_id, emitted.span_count, timeout=30), emitted)
    time.sleep(1.5)  # one more decision tick, in case a dropped session were only late
    for emitted in cheap:
        assert jaeger.get_trace(emitted.trace_id) is None, f"cheap session {emitted.session_id} was kept"
    assert {t.trace_id for t in jaeger.find_traces(service)} == {e.trace_id for e in kept}


@pytest.mark.e2e
def test_tempo_export_overlay_sends_sampled_sessions_to_the_tempo_endpoint(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory
) -> None:
    """tempo-export.yaml over agent-sessions.yaml sends sampled sessions to AGENTOPS_TEMPO_ENDPOINT only."""
    (nobody_listens,) = free_ports(1)
    collector = otelcol_factory.start(
        "agent-sessions.yaml",
        "tempo-export.yaml",
        env={
            "AGENTOPS_SAMPLE_PERCENT": "0",
            # Any OTLP/gRPC endpoint stands in for Tempo's distributor: here, the Jaeger fixture.
            "AGENTOPS_TEMPO_ENDPOINT": jaeger.otlp_grpc_hostport,
            "AGENTOPS_JAEGER_ENDPOINT": f"127.0.0.1:{nobody_listens}",
        },
    )
    service = new_service("tempo")
    with otlp_tracer(collector.otlp_grpc_endpoint, "grpc", service) as tracer:
        cheap = emit_session(tracer, end_state="Success", cost_micros=10)
        failed = emit_session(tracer, end_state="Fail", cost_micros=10, tool_error="status")

    assert_whole_session(jaeger.wait_for_trace(failed.trace_id, failed.span_count, timeout=30), failed)
    time.sleep(1.5)
    assert jaeger.get_trace(cheap.trace_id) is None
    assert "otlp_grpc/jaeger" not in collector.log_tail(400)  # the overlay replaced the exporter


# --- redact-content.yaml --------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_redact_content_drops_message_content_and_masks_api_keys(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory, protocol: Protocol
) -> None:
    """redact-content.yaml deletes the content attributes and masks API keys everywhere, keeping the rest."""
    collector = otelcol_factory.start("redact-content.yaml")
    service = new_service(f"redact-{protocol}")
    endpoint = collector.otlp_grpc_endpoint if protocol == "grpc" else collector.otlp_http_endpoint
    with otlp_tracer(endpoint, protocol, service) as tracer:
        emitted = emit_session(
            tracer, end_state="Fail", cost_micros=500, tool_error="status", with_action=True
        )

    trace = jaeger.wait_for_trace(emitted.trace_id, min_spans=emitted.span_count)
    assert_whole_session(trace, emitted)
    for span in trace.spans:
        assert not set(CONTENT_KEYS) & set(span.attributes), (span.name, sorted(span.attributes))
        for _, event_attributes in span.events:
            assert not set(CONTENT_KEYS) & set(event_attributes), (span.name, sorted(event_attributes))
    leaks = [(key, value) for key, value in all_values(trace) if "sk-proj-" in str(value)]
    assert leaks == []
    leaks = [(key, value) for key, value in all_values(trace) if "abcdefghijklmnop" in str(value)]
    assert leaks == []

    tool = trace.span("execute_tool fetch_customer_data")
    assert tool.attributes["agentops.note"] == "retried the CRM call with key ****"
    assert tool.attributes["http.request.header.authorization"] == "****"
    assert tool.attributes["agentops.content.redacted"] is True
    assert tool.attributes["gen_ai.tool.name"] == "fetch_customer_data"
    exception = dict(tool.events)["exception"]
    assert exception["exception.message"] == "CRM timed out for key ****"
    _assert_metadata_survives(trace, emitted)


#: The prompt and completion as OpenInference, OpenLLMetry and Traceloop spans carry them (README:
#: "Traces from other instrumentations"); a pipeline that "drops prompts" must drop these too.
FOREIGN_CONTENT = {
    "input.value": "PROMPT-SECRET-1", "output.value": "ANSWER-SECRET-2",
    "llm.input_messages.0.message.content": "PROMPT-SECRET-3",
    "llm.output_messages.0.message.content": "ANSWER-SECRET-4",
    "gen_ai.prompt.0.content": "PROMPT-SECRET-5", "gen_ai.completion.0.content": "ANSWER-SECRET-6",
    "traceloop.entity.input": "PROMPT-SECRET-7", "traceloop.entity.output": "ANSWER-SECRET-8",
}


@pytest.mark.e2e
def test_redact_content_drops_other_instrumentations_prompts_too(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory
) -> None:
    """An OpenInference / OpenLLMetry LLM span loses its prompt and completion, and keeps its model and usage."""
    collector = otelcol_factory.start("redact-content.yaml")
    service = new_service("redact-foreign")
    with otlp_tracer(collector.otlp_http_endpoint, "http", service) as tracer:
        with tracer.start_as_current_span("ChatCompletion", kind=SpanKind.CLIENT) as span:
            span.set_attributes({**FOREIGN_CONTENT, "llm.model_name": "gpt-4o", "gen_ai.usage.input_tokens": 7})
            trace_id = format(span.get_span_context().trace_id, "032x")
    (span_view,) = jaeger.wait_for_trace(trace_id, min_spans=1).spans
    assert [k for k, v in span_view.attributes.items() if "SECRET" in str(v)] == []
    assert span_view.attributes["llm.model_name"] == "gpt-4o"
    assert span_view.attributes["gen_ai.usage.input_tokens"] == 7
    assert span_view.attributes["agentops.content.redacted"] is True


def _assert_metadata_survives(trace: Trace, emitted: Emitted) -> None:
    """Redaction keeps what a replay needs besides the text: ids, models, usage, cost, status."""
    root = trace.root
    assert root.status == "ERROR"
    assert root.attributes["agentops.session.cost_micros"] == 500
    assert root.attributes["agentops.session.end_state"] == "Fail"
    chats: list[SpanView] = [span for span in trace.spans if span.name == "chat gpt-4o"]
    assert len(chats) == 2
    for chat in chats:
        assert chat.attributes["gen_ai.request.model"] == "gpt-4o"
        assert chat.attributes["gen_ai.usage.input_tokens"] == 120
        assert chat.attributes["session.id"] == emitted.session_id
        assert [name for name, _ in chat.events] == ["gen_ai.client.inference.operation.details"]


# --- session-metrics.yaml --------------------------------------------------------------------------------


def _by_end_state(prometheus: PrometheusBackend, metric: str, service: str) -> dict[str, float]:
    """The window's increase of ``metric`` for ``service``, per end state."""
    query = f'sum by (agentops_session_end_state) (increase({metric}{{job="{service}"}}[10m] anchored))'
    return {labels["agentops_session_end_state"]: value for labels, value in prometheus.query(query)}


@pytest.mark.e2e
def test_session_metrics_stores_session_counts_and_cost_by_end_state_in_prometheus(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory, prometheus: PrometheusBackend
) -> None:
    """session-metrics.yaml pushes session counts and summed cost by end state into a real Prometheus."""
    collector = otelcol_factory.start(
        "session-metrics.yaml", env={"AGENTOPS_PROMETHEUS_OTLP_ENDPOINT": prometheus.otlp_endpoint}
    )
    service = new_service("metrics")
    # Two exports hit the same (Fail) series: the cost sum must add the per-batch deltas up.
    with otlp_tracer(collector.otlp_grpc_endpoint, "grpc", service) as tracer:
        failed = [emit_session(tracer, end_state="Fail", cost_micros=1_000, tool_error="status")]
    time.sleep(1.2)
    with otlp_tracer(collector.otlp_http_endpoint, "http", service) as tracer:
        failed.append(emit_session(tracer, end_state="Fail", cost_micros=1_000, tool_error="status"))
        ok = [emit_session(tracer, end_state="Success", cost_micros=200) for _ in range(3)]
        emit_session(tracer, end_state="Indeterminate", cost_micros=0)

    expected_calls = {"Fail": 2.0, "Success": 3.0, "Indeterminate": 1.0}
    expected_cost = {"Fail": 2_000.0, "Success": 600.0, "Indeterminate": 0.0}
    deadline = time.monotonic() + 40
    calls: dict[str, float] = {}
    cost: dict[str, float] = {}
    while time.monotonic() < deadline:
        calls = _by_end_state(prometheus, "agentops_session_calls_total", service)
        cost = _by_end_state(prometheus, "agentops_session_cost_micros_total", service)
        if calls == expected_calls and cost == expected_cost:
            break
        time.sleep(0.5)
    assert calls == expected_calls
    assert cost == expected_cost
    names = {labels["span_name"] for labels, _ in prometheus.query(f'agentops_session_calls_total{{job="{service}"}}')}
    assert names == {"invoke_agent support"}  # LLM and tool spans are filtered out of the metrics
    assert prometheus.query(f'agentops_session_duration_milliseconds_count{{job="{service}"}}')

    # The traces pipeline still forwards every span, unsampled.
    for emitted in (*failed, *ok):
        assert_whole_session(jaeger.wait_for_trace(emitted.trace_id, emitted.span_count), emitted)


def _ended_then_failed(tracer: Tracer, *, root_state: EndState, nested_in: str | None = None,
                       failed_after: bool = True) -> None:
    """A session root ended ``root_state``, then the ``evaluation pytest`` span the pytest plugin writes
    after it: a test that failed once the code under test had ended its session (``failed_after``), or a
    passing verdict. Tags and run are copied from the root, as the plugin does."""
    session_id = f"sess-{uuid.uuid4().hex[:12]}"
    root_attributes: dict[str, AnyValue] = {
        "session.id": session_id, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support",
        "agentops.session.end_state": root_state, "agentops.tags": ["test", "late"], "agentops.run.id": "ci-7",
    }
    if nested_in is not None:
        root_attributes["agentops.session.parent_id"] = nested_in
    root = tracer.start_span("invoke_agent support", attributes=root_attributes)
    root.end()
    verdict: dict[str, AnyValue] = {
        key: value for key, value in root_attributes.items()
        if key in ("session.id", "agentops.tags", "agentops.run.id", "agentops.session.parent_id")}
    if failed_after:
        verdict |= {"agentops.verdict.session_end_state": "Fail", "agentops.verdict.root_end_state": root_state,
                    "agentops.verdict.session_end_reason": "test failed: AssertionError"}
    with tracer.start_as_current_span("evaluation pytest", context=otel_trace.set_span_in_context(root),
                                      attributes=verdict):
        pass


@pytest.mark.e2e
def test_session_metrics_counts_failures_recorded_after_the_session_ended(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory, prometheus: PrometheusBackend
) -> None:
    """session-metrics.yaml counts late Fail verdicts of top-level sessions by the root's end state, apart
    from the session counts (which they leave unchanged), with the tags and run the gate filters on."""
    collector = otelcol_factory.start(
        "session-metrics.yaml", env={"AGENTOPS_PROMETHEUS_OTLP_ENDPOINT": prometheus.otlp_endpoint}
    )
    service = new_service("late-fail")
    with otlp_tracer(collector.otlp_http_endpoint, "http", service) as tracer:
        _ended_then_failed(tracer, root_state="Success")
        _ended_then_failed(tracer, root_state="Success")
        _ended_then_failed(tracer, root_state="Indeterminate")
        _ended_then_failed(tracer, root_state="Success", failed_after=False)  # a passing verdict
        _ended_then_failed(tracer, root_state="Success", nested_in="sess-outer")  # not a run of its own

    late_q = ('sum by (agentops_verdict_root_end_state, agentops_tags, agentops_run_id) '
              f'(increase(agentops_session_late_fails_total{{job="{service}"}}[10m] anchored))')
    expected_late = {("Success", '["test","late"]', "ci-7"): 2.0, ("Indeterminate", '["test","late"]', "ci-7"): 1.0}
    expected_calls = {"Success": 3.0, "Indeterminate": 1.0}
    deadline = time.monotonic() + 40
    late: dict[tuple[str, str, str], float] = {}
    calls: dict[str, float] = {}
    while time.monotonic() < deadline:
        late = {(labels.get("agentops_verdict_root_end_state", ""), labels.get("agentops_tags", ""),
                 labels.get("agentops_run_id", "")): value for labels, value in prometheus.query(late_q)}
        calls = _by_end_state(prometheus, "agentops_session_calls_total", service)
        if late == expected_late and calls == expected_calls:
            break
        time.sleep(0.5)
    assert late == expected_late
    assert calls == expected_calls  # verdict spans are no sessions: the session counts stay as the roots say
