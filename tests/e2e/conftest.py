"""Fixtures for end-to-end tests against a real Jaeger v2 and the otelcol-agentops collector.

* ``jaeger``: one Jaeger per test session (collector-config/jaeger-local.yaml, in-memory storage, free
  loopback ports). Tests share it, so give each test's spans its own ``service.name`` or look them up by
  trace id. See :class:`_backends.JaegerBackend` for the endpoints and readers.
* ``prometheus``: one Prometheus 3 per test session (collector-config/prometheus-local.yml, OTLP
  receiver on); collectors push session metrics to ``prometheus.otlp_endpoint``. Tests share it, so
  select their series by ``job`` (the service name). See :class:`_prometheus.PrometheusBackend`.
* ``otelcol_factory``: ``otelcol_factory.start("agent-sessions.yaml", env={...})`` runs a collector
  exporting to ``jaeger``; every collector a test started is stopped after it.
* ``backend_log_dir``: where the backends' logs go (kept by pytest's tmp_path retention); a backend
  that fails to start fails the test with its log's tail.

Missing binaries skip these tests with the reason, or fail them when ``CI=true``. Binaries come from
``scripts/backends.sh --print``; ``AGENTOPS_OTEL_BUILD_BACKENDS=1`` lets the fixtures build them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NoReturn, TypeVar

import pytest
from _backends import (
    BackendStartError,
    BackendUnavailable,
    CollectorFactory,
    CollectorProcess,
    JaegerBackend,
    locate_binaries,
    start_jaeger,
)
from _prometheus import PrometheusBackend, start_prometheus

_B = TypeVar("_B", JaegerBackend, PrometheusBackend)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``e2e`` marker (tests that need the real backends)."""
    config.addinivalue_line(
        "markers", "e2e: needs the real Jaeger / collector binaries (scripts/backends.sh)"
    )


_BINARIES = pytest.StashKey[dict[str, "Path | str"]]()


def _unavailable(reason: str) -> NoReturn:
    """Skip, or fail under CI (a CI run must not go green by skipping the real backends)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _binary(request: pytest.FixtureRequest, name: str) -> Path:
    """Path of one backend binary, located once per session (a lookup failure is remembered too)."""
    cache: dict[str, Path | str] = request.config.stash.setdefault(_BINARIES, {})
    if name not in cache:
        try:
            cache[name] = locate_binaries([name])[name]
        except BackendUnavailable as exc:
            cache[name] = str(exc)
    found = cache[name]
    if isinstance(found, str):
        _unavailable(found)
    return found


@pytest.fixture(scope="session")
def backend_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory for the backends' log files, one per process."""
    return tmp_path_factory.mktemp("backend-logs")


def _running(start: Callable[[Path, Path], _B], binary: Path, log_dir: Path) -> Iterator[_B]:
    """Start a backend for a fixture, fail (not error) when it cannot start, stop it afterwards."""
    failure = ""
    try:
        backend = start(binary, log_dir)
    except BackendStartError as exc:
        failure = str(exc)  # failed outside the handler: the report shows the reason, not a chain
    if failure:
        pytest.fail(failure, pytrace=False)
    try:
        yield backend
    finally:
        backend.process.stop()


@pytest.fixture(scope="session")
def jaeger(request: pytest.FixtureRequest, backend_log_dir: Path) -> Iterator[JaegerBackend]:
    """A Jaeger v2 all-in-one on free loopback ports for the whole test session."""
    yield from _running(start_jaeger, _binary(request, "jaeger"), backend_log_dir)


@pytest.fixture(scope="session")
def prometheus(request: pytest.FixtureRequest, backend_log_dir: Path) -> Iterator[PrometheusBackend]:
    """A Prometheus 3 with its OTLP receiver on, on a free loopback port, for the whole test session."""
    yield from _running(start_prometheus, _binary(request, "prometheus"), backend_log_dir)


@pytest.fixture
def otelcol_factory(
    request: pytest.FixtureRequest, jaeger: JaegerBackend, backend_log_dir: Path
) -> Iterator[CollectorFactory]:
    """Start otelcol-agentops with a config from collector-config/ (exporting to ``jaeger``)."""
    factory = _StartFailsTheTest(binary=_binary(request, "otelcol"), jaeger=jaeger, log_dir=backend_log_dir)
    try:
        yield factory
    finally:
        factory.close()


class _StartFailsTheTest(CollectorFactory):
    """A factory whose failed start fails the test with the collector's log instead of a traceback."""

    def start(
        self,
        *configs: str | Path,
        env: Mapping[str, str] | None = None,
        name: str | None = None,
        timeout: float = 30.0,
    ) -> CollectorProcess:
        try:
            return super().start(*configs, env=env, name=name, timeout=timeout)
        except BackendStartError as exc:
            failure = str(exc)
        pytest.fail(failure, pytrace=False)
