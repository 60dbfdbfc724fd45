"""A real Arize Phoenix shows our sessions fully when they reach it through collector-config/phoenix.yaml.

Phoenix (installed by scripts/phoenix.sh into its own cached venv) runs on free loopback ports with all
its storage in a temporary folder; the example agent sends one session through the collector; the
test then reads back, through Phoenix's REST and GraphQL APIs, what its UI shows: span kinds, the
Input / Output of every step, the session in the sessions list with its first input and last output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _backends import (
    FAST_COLLECTOR_ENV,
    LOOPBACK,
    REPO_ROOT,
    BackendProcess,
    BackendStartError,
    _child_env,
    free_ports,
)
from conftest import _binary, _unavailable

pytestmark = pytest.mark.e2e

PHOENIX_SCRIPT = REPO_ROOT / "scripts" / "phoenix.sh"
HERE = Path(__file__).resolve().parent


def _phoenix_python() -> Path:
    build = os.environ.get("AGENTOPS_OTEL_BUILD_BACKENDS", "").lower() in {"1", "true", "yes"}
    proc = subprocess.run(["bash", str(PHOENIX_SCRIPT), *([] if build else ["--print"])],
                          capture_output=True, text=True, timeout=3600, check=False)
    for line in proc.stdout.splitlines():
        name, _, path = line.partition("=")
        if name == "phoenix" and path:
            return Path(path).parent / "python"
    _unavailable(f"Arize Phoenix is not installed: run `bash scripts/phoenix.sh` (or `make phoenix`). "
                 f"{proc.stderr.strip()}")


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Phoenix server on free loopback ports, all storage in a temp dir; yields its base URL."""
    python = _phoenix_python()
    work = tmp_path_factory.mktemp("phoenix")
    http_port, grpc_port = free_ports(2)
    env = _child_env({
        "PHOENIX_HOST": LOOPBACK, "PHOENIX_PORT": str(http_port), "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(work), "PHOENIX_SQL_DATABASE_URL": f"sqlite:///{work / 'phoenix.db'}",
        "PHOENIX_TELEMETRY_ENABLED": "false", "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "PHOENIX_ENABLE_PROMETHEUS": "false",
    })
    process = BackendProcess("phoenix", [str(python), str(HERE / "phoenix_serve.py")], env,
                             work / "phoenix.log", f"http://{LOOPBACK}:{http_port}/healthz")
    try:
        process.start(timeout=600)  # imports and database migrations: minutes on a busy machine
    except BackendStartError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield f"http://{LOOPBACK}:{http_port}"
    finally:
        process.stop()


@pytest.fixture
def collector_to_phoenix(request: pytest.FixtureRequest, phoenix: str, tmp_path: Path) -> Iterator[str]:
    """otelcol-agentops running collector-config/phoenix.yaml into ``phoenix``; yields its OTLP/HTTP URL."""
    binary = _binary(request, "otelcol")
    grpc, http, health, metrics = free_ports(4)
    env = _child_env({
        **FAST_COLLECTOR_ENV, "AGENTOPS_COLLECTOR_HOST": LOOPBACK,
        "AGENTOPS_COLLECTOR_OTLP_GRPC_PORT": str(grpc), "AGENTOPS_COLLECTOR_OTLP_HTTP_PORT": str(http),
        "AGENTOPS_COLLECTOR_HEALTH_PORT": str(health), "AGENTOPS_COLLECTOR_METRICS_PORT": str(metrics),
        "AGENTOPS_PHOENIX_ENDPOINT": phoenix,
    })
    process = BackendProcess("otelcol phoenix", [str(binary), "--config", str(REPO_ROOT / "collector-config" /
                             "phoenix.yaml")], env, tmp_path / "otelcol.log", f"http://{LOOPBACK}:{health}/")
    try:
        process.start(timeout=60)
    except BackendStartError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield f"http://{LOOPBACK}:{http}"
    finally:
        process.stop()


def _run_agent(endpoint: str, service: str) -> dict[str, Any]:
    env = _child_env({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                      "OTEL_SERVICE_NAME": service,
                      "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only"})
    message = json.dumps(["I was charged twice, account 4417"])  # one that calls a tool
    proc = subprocess.run([sys.executable, str(HERE / "agent_run.py"), message],
                          env=env, capture_output=True, text=True, timeout=300, check=True)
    session: dict[str, Any] = json.loads(proc.stdout.splitlines()[0])
    return session


def _spans(phoenix: str, trace_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while True:
        resp = httpx.get(f"{phoenix}/v1/projects/default/spans", params={"limit": 1000}, timeout=30)
        resp.raise_for_status()
        spans = [s for s in resp.json()["data"] if s["context"]["trace_id"] == trace_id]
        if len(spans) >= count or time.monotonic() > deadline:
            return spans
        time.sleep(1)


_SESSIONS_QUERY = """
query($first: Int!) { projects { edges { node { name sessions(first: $first) { edges { node {
  sessionId numTraces firstInput { value } lastOutput { value } } } } } } } }
"""


def test_phoenix_shows_a_session_fully(phoenix: str, collector_to_phoenix: str) -> None:
    """Through phoenix.yaml, every step has its kind, Input and Output, and the session is listed."""
    run = _run_agent(collector_to_phoenix, "phoenix-e2e")
    spans = _spans(phoenix, run["trace_id"], run["span_count"])
    assert len(spans) == run["span_count"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for s in spans:
        by_kind.setdefault(s["span_kind"], []).append(s)
    assert {"AGENT", "LLM", "TOOL", "CHAIN"} <= set(by_kind), sorted(by_kind)
    assert "UNKNOWN" not in by_kind
    actions = [s for s in spans if s["name"].startswith("action ")]
    assert actions and all(s["span_kind"] == "CHAIN" for s in actions)
    for s in spans:
        attrs = s["attributes"]
        if s["span_kind"] in ("LLM", "TOOL"):
            assert attrs.get("input.value") and attrs.get("output.value"), s["name"]
        if s["span_kind"] == "LLM":
            out = json.loads(attrs["output.value"])
            assert isinstance(out, list) and out[0]["role"] == "assistant", attrs["output.value"]
    root = next(s for s in spans if s["parent_id"] is None)
    llm_calls = sorted((s for s in spans if s["span_kind"] == "LLM"), key=lambda s: s["start_time"])
    assert root["attributes"]["input.value"] == llm_calls[0]["attributes"]["input.value"]
    assert "I was charged twice, account 4417" in root["attributes"]["input.value"]
    assert root["attributes"]["output.value"] == llm_calls[-1]["attributes"]["output.value"]

    doc = httpx.post(f"{phoenix}/graphql", json={"query": _SESSIONS_QUERY, "variables": {"first": 50}},
                     timeout=30).json()
    sessions = [e["node"] for p in doc["data"]["projects"]["edges"] for e in p["node"]["sessions"]["edges"]]
    mine = next(s for s in sessions if s["sessionId"] == run["session_id"])
    assert mine["numTraces"] == 1
    assert mine["firstInput"]["value"] == root["attributes"]["input.value"]
    assert mine["lastOutput"]["value"] == root["attributes"]["output.value"]
