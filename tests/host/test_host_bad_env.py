"""A bad value in a configuration variable gets one warning naming it and the default is used: it never
switches telemetry off half-way through ``init()`` nor silently lifts a bound."""

from __future__ import annotations

from pathlib import Path

import pytest
from _subproc import PRELUDE, run_python_streams

from agentops_otel import semconv

pytestmark = pytest.mark.slow  # each runs the agent in a child interpreter

AGENT = """
import os
from openai import OpenAI
import agentops_otel as agentops
from agentops_otel.testing import OpenAIServer

srv = OpenAIServer().start()
agentops.init(service_name="bad-env")

@agentops.tool
def fetch(blob: str) -> str:
    return blob

client = OpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=0)
with agentops.session("bad-env") as s:
    for _ in range(3):
        fetch("x" * 10_000)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi " * 20_000}])
chat = [sp for sp in s.spans if sp.name.startswith("chat")]
print("LLM_CALLS", len(s.llm_events))
print("TOOLS", len(s.tool_events))
print("INPUT_CHARS", max((len(str(sp.attributes.get("gen_ai.input.messages", ""))) for sp in chat), default=0))
print("TOOL_RESULT", min((len(str(t.returns or "")) for t in s.tool_events), default=0))
print("FLUSH", agentops.flush())
agentops.shutdown()
print("FILE", os.path.getsize(".agentops-otel/traces.jsonl") if os.path.exists(".agentops-otel/traces.jsonl") else 0)
print("URL", s.url)
"""


def _run(tmp_path: Path, env: dict[str, str]) -> tuple[dict[str, str], str]:
    out, err = run_python_streams(AGENT, tmp_path, env)
    seen = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        seen[key] = value
    return seen, err


@pytest.mark.parametrize("env", [{"OTEL_BSP_MAX_QUEUE_SIZE": "0"}, {"OTEL_BSP_MAX_QUEUE_SIZE": "-1"},
                                 {"OTEL_BSP_MAX_QUEUE_SIZE": "10"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "5000"},
                                 {"OTEL_BSP_SCHEDULE_DELAY": "-1"}, {"OTEL_BSP_MAX_QUEUE_SIZE": "lots"}],
                         ids=lambda env: "=".join(*env.items()))
def test_a_bad_batch_processor_variable_is_named_and_the_llm_call_still_recorded(
        tmp_path: Path, env: dict[str, str]) -> None:
    """OTEL_BSP_MAX_QUEUE_SIZE=0 is warned about by name; the OpenAI call is recorded and reaches the local file."""
    seen, err = _run(tmp_path, env)
    assert seen["LLM_CALLS"] == "1", (seen, err)
    assert seen["FLUSH"] == "True" and int(seen["FILE"]) > 0, (seen, err)
    assert next(iter(env)) in err, err
    assert "internal error" not in err, err


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_bad_max_value_chars_variable_is_named_and_the_default_bound_kept(tmp_path: Path, value: str) -> None:
    """AGENTOPS_OTEL_MAX_VALUE_CHARS=0 warns once by name and a 60 kB prompt is still cut to the default bound."""
    seen, err = _run(tmp_path, {semconv.ENV_MAX_VALUE_CHARS: value})
    assert int(seen["INPUT_CHARS"]) < 10_000, seen
    assert int(seen["TOOL_RESULT"]) > 1_000, seen
    assert err.count(f"{semconv.ENV_MAX_VALUE_CHARS}={value!r}") == 1, err


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_bad_max_content_chars_variable_is_named_and_the_default_budget_kept(tmp_path: Path, value: str) -> None:
    """AGENTOPS_OTEL_MAX_CONTENT_CHARS=0 warns by name; the prompt is recorded within the default budget."""
    seen, err = _run(tmp_path, {semconv.ENV_MAX_CONTENT_CHARS: value})
    assert 100 < int(seen["INPUT_CHARS"]) < 10_000, seen
    assert err.count(f"{semconv.ENV_MAX_CONTENT_CHARS}={value!r}") == 1, err


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_bad_max_session_spans_variable_is_named_and_every_step_kept(tmp_path: Path, value: str) -> None:
    """AGENTOPS_OTEL_MAX_SESSION_SPANS=0 warns by name; the session still holds all three tool calls."""
    seen, err = _run(tmp_path, {semconv.ENV_MAX_SESSION_SPANS: value})
    assert seen["TOOLS"] == "3", seen
    assert f"{semconv.ENV_MAX_SESSION_SPANS}={value!r}" in err, err


def test_a_bad_url_template_variable_is_named_and_the_default_link_used(tmp_path: Path) -> None:
    """AGENTOPS_OTEL_URL_TEMPLATE with an unknown field is a configuration warning, not an internal error."""
    seen, err = _run(tmp_path, {semconv.ENV_URL_TEMPLATE: "http://ui/{trace}"})
    assert seen["URL"].startswith("http://localhost:16686/trace/"), seen
    assert semconv.ENV_URL_TEMPLATE in err and "internal error" not in err, err


def test_a_bad_url_template_variable_is_named_without_the_credential_it_holds(tmp_path: Path) -> None:
    """A link template with a token in it that can't make a link is warned about by name, its token masked."""
    token = "sk-proj-Abcdefghijklmnop0123456789XYZ"
    seen, err = _run(tmp_path, {semconv.ENV_URL_TEMPLATE: f"https://ci:{token}@grafana.example/{{trace}}?t={token}"})
    assert seen["URL"].startswith("http://localhost:16686/trace/"), seen
    assert semconv.ENV_URL_TEMPLATE in err and token not in err, err


def test_a_bad_exit_timeout_variable_is_named_without_the_key_pasted_into_it(tmp_path: Path) -> None:
    """A key pasted into the wrong variable (AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS) is masked in the warning naming it."""
    token = "sk-proj-Abcdefghijklmnop0123456789XYZ"
    _, err = _run(tmp_path, {semconv.ENV_EXIT_TIMEOUT_MILLIS: token})
    assert semconv.ENV_EXIT_TIMEOUT_MILLIS in err and token not in err, err


def test_failing_steps_of_init_still_instrument_the_llm_client(tmp_path: Path) -> None:
    """When init() can't apply its settings or set up export, the OpenAI client is still instrumented."""
    out, err = run_python_streams(PRELUDE + """
from opentelemetry import trace
from agentops_otel._guard import FaultInjector

provider, exporter = memory_provider()
trace.set_tracer_provider(provider)
FaultInjector.armed.update({"init": RuntimeError, "init.export": RuntimeError})
srv = OpenAIServer().start()
agentops.init()
FaultInjector.armed.clear()
with agentops.session("s") as s:
    chat(OpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=0))
print(len(s.llm_events), llm_names(exporter))
""", tmp_path)
    assert out.split()[0] == "1", (out, err)
    assert "internal error in init" in err, err


@pytest.mark.parametrize("protocol", ["bogus", "http/json"])
def test_an_otlp_protocol_we_cannot_send_is_named(tmp_path: Path, protocol: str) -> None:
    """OTEL_EXPORTER_OTLP_PROTOCOL=bogus is warned about by name, with the protocol used instead."""
    program = PRELUDE + """
import agentops_otel as agentops
agentops.init(service_name="bad-protocol")
with agentops.session("p"):
    pass
agentops.shutdown()
"""
    _, err = run_python_streams(program, tmp_path, {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        semconv.ENV_EXIT_TIMEOUT_MILLIS: "300"})
    assert f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}" in err and "http/protobuf" in err, err
