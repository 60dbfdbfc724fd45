"""Helpers to run ``agent_run.py`` against a backend and read what it reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
BILLING = "I was charged twice for my subscription, account 4417"
MISSING_ID = "I was charged twice for my subscription"
GENERAL = "How do I reset my password? The login page keeps saying error."


def agent_env(endpoint: str, protocol: str, service: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a user would set to send sessions to ``endpoint`` (no AGENTOPS_* leftovers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_", "OTEL_", "OPENAI_"))}
    env.update({
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc" if protocol == "grpc" else "http/protobuf",
        "OTEL_SERVICE_NAME": service,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    })
    env.update(extra or {})
    return env


def new_service(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_agent(messages: Sequence[str], env: Mapping[str, str], *, interval: float = 0.0,
              timeout: float = 120.0) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the agent in a fresh interpreter; returns the per-session records and the final line."""
    argv = [sys.executable, str(HERE / "agent_run.py"), json.dumps(list(messages))]
    if interval:
        argv += ["--interval", str(interval)]
    proc = subprocess.run(argv, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"agent process failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return [line for line in lines if "session_id" in line], lines[-1]
