"""Run a real Prometheus 3 (``collector-config/prometheus-local.yml``) as a subprocess for e2e tests.

It stores what ``session-metrics.yaml`` pushes over OTLP (``--web.enable-otlp-receiver``) and answers
PromQL on ``/api/v1/query``. The binary comes from ``scripts/backends.sh`` like Jaeger's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _backends import CONFIG_DIR, LOOPBACK, BackendProcess, _child_env, free_ports, start_with_fresh_ports


@dataclass
class PrometheusBackend:
    """A running Prometheus: where a collector pushes OTLP metrics, and a PromQL reader."""

    process: BackendProcess
    port: int

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: HTTP API base."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def source(self) -> str:
        """The gate's ``--source`` for this Prometheus."""
        return f"prometheus://{LOOPBACK}:{self.port}"

    @property
    def otlp_endpoint(self) -> str:
        """The OTLP/HTTP base URL (``AGENTOPS_PROMETHEUS_OTLP_ENDPOINT``; ``/v1/metrics`` is appended)."""
        return f"{self.url}/api/v1/otlp"

    def query(self, promql: str) -> list[tuple[dict[str, str], float]]:
        """An instant query now: ``(labels, value)`` per series."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10.0)
        assert response.status_code == 200, f"{promql}: HTTP {response.status_code} {response.text[:300]}"
        data: dict[str, Any] = response.json()["data"]
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(item["metric"], float(item["value"][1])) for item in data["result"]]

    def scalar(self, promql: str) -> float | None:
        """The single value of a query that sums to one series (None while it has no data)."""
        result = self.query(promql)
        assert len(result) <= 1, f"{promql} returned {len(result)} series"
        return result[0][1] if result else None

    def wait_for(self, promql: str, accept: Callable[[float | None], bool], timeout: float = 40.0) -> float | None:
        """Poll ``promql`` until ``accept(value)``; AssertionError with the last value after ``timeout``."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.scalar(promql)
            if accept(value):
                return value
            time.sleep(0.5)
        raise AssertionError(f"{promql} = {value} after {timeout:.0f}s")


def start_prometheus(binary: Path, log_dir: Path, *, timeout: float = 60.0) -> PrometheusBackend:
    """Start ``binary`` with prometheus-local.yml on a free loopback port, data in ``log_dir``."""
    return start_with_fresh_ports(lambda: _start_prometheus(binary, log_dir, timeout))


def _start_prometheus(binary: Path, log_dir: Path, timeout: float) -> PrometheusBackend:
    (port,) = free_ports(1)
    data = log_dir / f"prometheus-data-{port}"
    process = BackendProcess(
        name="prometheus",
        argv=[str(binary), f"--config.file={CONFIG_DIR / 'prometheus-local.yml'}",
              f"--storage.tsdb.path={data}", f"--web.listen-address={LOOPBACK}:{port}",
              "--web.enable-otlp-receiver", "--enable-feature=created-timestamp-zero-ingestion"],
        env=_child_env({}),
        log_path=log_dir / f"prometheus-{port}.log",
        health_url=f"http://{LOOPBACK}:{port}/-/ready",
    )
    process.start(timeout)
    return PrometheusBackend(process=process, port=port)
