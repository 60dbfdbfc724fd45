"""Run the real backends (Jaeger v2, the otelcol-agentops collector) as subprocesses for e2e tests.

Nothing here imports ``agentops_otel``: the helpers speak plain OTLP JSON, so they can check the package
and the collector configs independently. The pytest fixtures built on these live in ``conftest.py``:

* ``jaeger`` (session scope) -> :class:`JaegerBackend`: OTLP endpoints to export to, and readers for
  Jaeger's HTTP API v3 (``get_trace``, ``find_traces``, ``wait_for_trace``).
* ``otelcol_factory`` -> :class:`CollectorFactory`: ``otelcol_factory.start("agent-sessions.yaml",
  env={...})`` starts the collector on free loopback ports, exporting to the ``jaeger`` fixture.

Binaries come from ``scripts/backends.sh --print`` (the cache it builds into, ``JAEGER_BIN`` /
``OTELCOL_BIN``, or PATH). Set ``AGENTOPS_OTEL_BUILD_BACKENDS=1`` to let the fixtures build missing
binaries (several minutes cold) instead of skipping.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / "collector-config"
BACKENDS_SCRIPT = REPO_ROOT / "scripts" / "backends.sh"
LOOPBACK = "127.0.0.1"

#: Collector settings that make the test pipelines fast; a test's own ``env`` overrides them.
FAST_COLLECTOR_ENV: dict[str, str] = {
    "AGENTOPS_BATCH_TIMEOUT": "200ms",
    "AGENTOPS_DECISION_WAIT": "5s",
    "AGENTOPS_DECISION_WAIT_AFTER_ROOT": "1s",
    "AGENTOPS_METRICS_FLUSH_INTERVAL": "1s",
    "AGENTOPS_COLLECTOR_LOG_LEVEL": "info",
}


class BackendUnavailable(Exception):
    """A backend binary could not be found (or built); the message says how to get it."""


class BackendStartError(Exception):
    """A backend process exited or never became healthy; the message ends with its log's tail."""


class PortTaken(BackendStartError):
    """The backend could not bind a port chosen free a moment before: another process (a second test worker starting
    its own backend) took it in between. Choosing fresh ports and starting again is the remedy."""


_PORT_TAKEN = "address already in use"
_START_TRIES = 3
_T = TypeVar("_T")


def start_with_fresh_ports(start: Callable[[], _T]) -> _T:
    """``start()``, which chooses its ports itself, tried again (up to :data:`_START_TRIES` times in all) while the
    backend finds one of them taken."""
    for _ in range(_START_TRIES - 1):
        try:
            return start()
        except PortTaken:
            pass
    return start()


# --- locating binaries -------------------------------------------------------------------------------


def locate_binaries(
    names: Sequence[str] = ("jaeger", "otelcol"), *, build: bool | None = None
) -> dict[str, Path]:
    """Ask ``scripts/backends.sh`` where the binaries are; raise :class:`BackendUnavailable` if missing.

    ``build`` (default: env ``AGENTOPS_OTEL_BUILD_BACKENDS`` is ``1``/``true``) lets the script build
    what is missing; otherwise it only looks (``--print``).
    """
    if build is None:
        build = os.environ.get("AGENTOPS_OTEL_BUILD_BACKENDS", "").lower() in {"1", "true", "yes"}
    argv = ["bash", str(BACKENDS_SCRIPT), *([] if build else ["--print"]), *names]
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=3600 if build else 60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackendUnavailable(f"running {' '.join(argv)} failed: {exc}") from exc
    found: dict[str, Path] = {}
    for line in proc.stdout.splitlines():
        name, sep, path = line.partition("=")
        if sep and name in names:
            found[name] = Path(path)
    missing = [name for name in names if name not in found]
    if missing:
        raise BackendUnavailable(
            f"backend binaries not available: {', '.join(missing)}. Build them with"
            f" `bash scripts/backends.sh` (or `make backends`), or set JAEGER_BIN / OTELCOL_BIN / PROMETHEUS_BIN.\n"
            f"{proc.stderr.strip()}"
        )
    return found


# --- ports and processes -----------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback TCP ports that were free a moment ago (all held open while choosing)."""
    with ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((LOOPBACK, 0))
            ports.append(sock.getsockname()[1])
        return ports


def log_tail(path: Path, lines: int = 60) -> str:
    """The last ``lines`` lines of a log file ('' if it does not exist)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class BackendProcess:
    """One backend subprocess: started with its output in ``log_path``, healthy once ``health_url`` is 200."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    health_url: str
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log_start: int = field(default=0, init=False, repr=False)

    def start(self, timeout: float = 30.0) -> None:
        """Start the process and wait until its health endpoint answers 200.

        Raises :class:`BackendStartError` (process stopped, log tail in the message) on failure.
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.popen.poll() is not None:
                    self._fail(f"exited with status {self.popen.returncode} during startup", self._port_taken())
                try:
                    if client.get(self.health_url).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    self._fail(f"not healthy at {self.health_url} after {timeout:.0f}s")
                time.sleep(0.1)

    def _port_taken(self) -> bool:
        """Whether this start's own lines of the log (the file may hold earlier starts') say a port was taken."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return _PORT_TAKEN in log.read().decode(errors="replace")

    def _fail(self, why: str, port_taken: bool = False) -> None:
        raise (PortTaken if port_taken else BackendStartError)(
            f"{self.name} {why}.\ncommand: {' '.join(self.argv)}\nlog: {self.log_path}\n"
            f"--- last lines of the log ---\n{log_tail(self.log_path)}"
        )

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (a collector then flushes its pipelines), SIGKILL after ``timeout``; idempotent."""
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` lines of this process's log."""
        return log_tail(self.log_path, lines)


def _child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The parent environment without ``AGENTOPS_*`` settings (tests stay hermetic), plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AGENTOPS_")}
    env.update(overrides)
    return env


# --- OTLP JSON as Jaeger's API v3 returns it ---------------------------------------------------------


def decode_any_value(value: Mapping[str, Any]) -> Any:
    """Decode one OTLP JSON ``AnyValue`` (int64 arrives as a string) into a Python value."""
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [decode_any_value(item) for item in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return decode_attributes(value["kvlistValue"].get("values", []))
    if "bytesValue" in value:
        return base64.b64decode(value["bytesValue"])
    return None


def decode_attributes(attributes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """OTLP JSON ``[{"key": ..., "value": {...}}]`` -> ``{key: python value}``."""
    return {item["key"]: decode_any_value(item.get("value", {})) for item in attributes}


_STATUS_NAMES = {0: "UNSET", 1: "OK", 2: "ERROR"}


@dataclass(frozen=True)
class SpanView:
    """A span from an OTLP JSON document, attributes decoded; enough for assertions in tests."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status: str  # "UNSET" | "OK" | "ERROR"
    events: list[tuple[str, dict[str, Any]]]

    @property
    def is_root(self) -> bool:
        """True for the root span of its trace."""
        return not self.parent_span_id.strip("0")


def _norm_id(raw: str | None, hex_len: int) -> str:
    """OTLP JSON ids are hex; tolerate base64 (protobuf JSON) too. Empty stays empty."""
    if not raw:
        return ""
    if len(raw) == hex_len and all(c in "0123456789abcdefABCDEF" for c in raw):
        return raw.lower()
    return base64.b64decode(raw).hex()


def _status(raw: Mapping[str, Any] | None) -> str:
    code = (raw or {}).get("code", 0)
    if isinstance(code, str):
        return code.removeprefix("STATUS_CODE_")
    return _STATUS_NAMES.get(int(code), str(code))


def iter_spans(document: Mapping[str, Any]) -> Iterator[SpanView]:
    """Every span of an OTLP JSON ``{"resourceSpans": [...]}`` document (or Jaeger's ``{"result": ...}``)."""
    if "result" in document:
        document = document["result"]
    for resource_spans in document.get("resourceSpans", []):
        resource = decode_attributes(resource_spans.get("resource", {}).get("attributes", []))
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                yield SpanView(
                    trace_id=_norm_id(span.get("traceId"), 32),
                    span_id=_norm_id(span.get("spanId"), 16),
                    parent_span_id=_norm_id(span.get("parentSpanId"), 16),
                    name=span.get("name", ""),
                    attributes=decode_attributes(span.get("attributes", [])),
                    resource=resource,
                    status=_status(span.get("status")),
                    events=[
                        (event.get("name", ""), decode_attributes(event.get("attributes", [])))
                        for event in span.get("events", [])
                    ],
                )


@dataclass(frozen=True)
class Trace:
    """One trace read back from Jaeger: its id and its decoded spans."""

    trace_id: str
    spans: list[SpanView]

    def span(self, name: str) -> SpanView:
        """The one span called ``name`` (AssertionError if there are none or several)."""
        found = [span for span in self.spans if span.name == name]
        assert len(found) == 1, f"expected one span {name!r} in trace {self.trace_id}, got {len(found)}"
        return found[0]

    @property
    def root(self) -> SpanView:
        """The trace's root span."""
        roots = [span for span in self.spans if span.is_root]
        assert len(roots) == 1, f"expected one root span in trace {self.trace_id}, got {len(roots)}"
        return roots[0]


def group_traces(document: Mapping[str, Any]) -> dict[str, Trace]:
    """Split a document that may hold several traces (Jaeger merges search results) by trace id."""
    by_id: dict[str, list[SpanView]] = {}
    for span in iter_spans(document):
        by_id.setdefault(span.trace_id, []).append(span)
    return {trace_id: Trace(trace_id, spans) for trace_id, spans in by_id.items()}


# --- Jaeger --------------------------------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _OTLPReceiver:
    """The OTLP endpoints of a backend that receives on ``otlp_grpc_port`` / ``otlp_http_port``."""

    otlp_grpc_port: int
    otlp_http_port: int

    @property
    def otlp_grpc_hostport(self) -> str:
        """``127.0.0.1:PORT`` of the OTLP/gRPC receiver."""
        return f"{LOOPBACK}:{self.otlp_grpc_port}"

    @property
    def otlp_grpc_endpoint(self) -> str:
        """``http://127.0.0.1:PORT`` of the OTLP/gRPC receiver (plaintext)."""
        return f"http://{self.otlp_grpc_hostport}"

    @property
    def otlp_http_endpoint(self) -> str:
        """``http://127.0.0.1:PORT`` of the OTLP/HTTP receiver (base URL)."""
        return f"http://{LOOPBACK}:{self.otlp_http_port}"

    @property
    def otlp_http_traces_url(self) -> str:
        """The OTLP/HTTP traces URL (``.../v1/traces``)."""
        return f"{self.otlp_http_endpoint}/v1/traces"


@dataclass
class JaegerBackend(_OTLPReceiver):
    """A running Jaeger v2 (``collector-config/jaeger-local.yaml``): where to send OTLP, how to read back.

    Endpoints use loopback only. ``otlp_grpc_endpoint`` and ``otlp_http_endpoint`` are base URLs as
    the OpenTelemetry SDK exporters and ``OTEL_EXPORTER_OTLP_ENDPOINT`` take them (the HTTP traces path
    is ``otlp_http_traces_url``); ``otlp_grpc_hostport`` is the ``host:port`` a collector exports to.
    """

    process: BackendProcess
    otlp_grpc_port: int
    otlp_http_port: int
    query_port: int

    @property
    def query_url(self) -> str:
        """``http://127.0.0.1:PORT``: UI page and HTTP query APIs."""
        return f"http://{LOOPBACK}:{self.query_port}"

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        return httpx.get(f"{self.query_url}{path}", params=params, timeout=10.0)

    def get_trace_json(self, trace_id: str) -> dict[str, Any] | None:
        """Raw ``GET /api/v3/traces/{id}`` answer (OTLP JSON under ``result``), or None if unknown."""
        response = self._get(f"/api/v3/traces/{trace_id.lower()}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def get_trace(self, trace_id: str) -> Trace | None:
        """The trace with this 32-hex-digit id, or None if Jaeger doesn't have it (yet)."""
        document = self.get_trace_json(trace_id)
        if document is None:
            return None
        return group_traces(document).get(trace_id.lower())

    def services(self) -> list[str]:
        """Service names Jaeger has seen."""
        response = self._get("/api/v3/services")
        response.raise_for_status()
        services: list[str] = response.json().get("services", [])
        return services

    def find_traces(
        self,
        service: str,
        *,
        attributes: Mapping[str, Any] | None = None,
        operation: str | None = None,
        since: timedelta = timedelta(hours=1),
        limit: int = 100,
    ) -> list[Trace]:
        """Traces of ``service`` that started within ``since``, newest search depth ``limit``.

        ``attributes``: keep traces where ONE span carries all of these (span or resource attributes,
        compared as strings). The query also passes them to Jaeger (honoured from Jaeger 2.19 on; older
        v2 releases ignore ``query.attributes`` over HTTP), and filters here, so it works on both.
        """
        now = datetime.now(UTC)
        params = {
            "query.service_name": service,
            "query.start_time_min": _rfc3339(now - since),
            "query.start_time_max": _rfc3339(now + timedelta(minutes=1)),
            "query.num_traces": str(limit),
        }
        if operation:
            params["query.operation_name"] = operation
        wanted = {key: str(value) for key, value in (attributes or {}).items()}
        if wanted:
            params["query.attributes"] = json.dumps(wanted)
        response = self._get("/api/v3/traces", params)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        traces = list(group_traces(response.json()).values())
        if wanted:
            traces = [trace for trace in traces if any(_has_all(span, wanted) for span in trace.spans)]
        return traces

    def wait_for_trace(self, trace_id: str, min_spans: int = 1, timeout: float = 20.0) -> Trace:
        """Poll until the trace has at least ``min_spans`` spans; AssertionError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        trace: Trace | None = None
        while time.monotonic() < deadline:
            trace = self.get_trace(trace_id)
            if trace is not None and len(trace.spans) >= min_spans:
                return trace
            time.sleep(0.2)
        got = "no trace" if trace is None else f"{len(trace.spans)} span(s): {[s.name for s in trace.spans]}"
        raise AssertionError(f"trace {trace_id} did not reach {min_spans} span(s) in {timeout}s ({got})")


def _has_all(span: SpanView, wanted: Mapping[str, str]) -> bool:
    merged = {**span.resource, **span.attributes}
    return all(key in merged and _as_text(merged[key]) == value for key, value in wanted.items())


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def start_jaeger(binary: Path, log_dir: Path, *, timeout: float = 30.0) -> JaegerBackend:
    """Start ``binary`` with ``collector-config/jaeger-local.yaml`` on free loopback ports."""
    return start_with_fresh_ports(lambda: _start_jaeger(binary, log_dir, timeout))


def _start_jaeger(binary: Path, log_dir: Path, timeout: float) -> JaegerBackend:
    grpc, http, query, query_grpc, health, metrics = free_ports(6)
    env = _child_env(
        {
            "AGENTOPS_JAEGER_HOST": LOOPBACK,
            "AGENTOPS_JAEGER_OTLP_GRPC_PORT": str(grpc),
            "AGENTOPS_JAEGER_OTLP_HTTP_PORT": str(http),
            "AGENTOPS_JAEGER_QUERY_PORT": str(query),
            "AGENTOPS_JAEGER_QUERY_GRPC_PORT": str(query_grpc),
            "AGENTOPS_JAEGER_HEALTH_PORT": str(health),
            "AGENTOPS_JAEGER_METRICS_PORT": str(metrics),
        }
    )
    process = BackendProcess(
        name="jaeger",
        argv=[str(binary), "--config", str(CONFIG_DIR / "jaeger-local.yaml")],
        env=env,
        log_path=log_dir / "jaeger.log",
        health_url=f"http://{LOOPBACK}:{health}/",
    )
    process.start(timeout)
    return JaegerBackend(process=process, otlp_grpc_port=grpc, otlp_http_port=http, query_port=query)


# --- the collector ---------------------------------------------------------------------------------------


@dataclass
class CollectorProcess(_OTLPReceiver):
    """A running ``otelcol-agentops``: its receivers and the process itself."""

    process: BackendProcess
    configs: list[Path]
    env: dict[str, str]
    otlp_grpc_port: int
    otlp_http_port: int

    def stop(self) -> None:
        """Stop the collector (flushes what its processors still hold)."""
        self.process.stop()

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` lines of the collector's log."""
        return self.process.log_tail(lines)


@dataclass
class CollectorFactory:
    """Starts collectors wired to one Jaeger; stops them all in :meth:`close` (the fixture does)."""

    binary: Path
    jaeger: JaegerBackend
    log_dir: Path
    started: list[CollectorProcess] = field(default_factory=list)

    def start(
        self,
        *configs: str | Path,
        env: Mapping[str, str] | None = None,
        name: str | None = None,
        timeout: float = 30.0,
    ) -> CollectorProcess:
        """Start the collector with ``configs`` (file names resolve in ``collector-config/``; several are
        merged left to right) on free loopback ports, exporting to the ``jaeger`` backend.

        ``env`` overrides the defaults: :data:`FAST_COLLECTOR_ENV`, ports, ``AGENTOPS_JAEGER_ENDPOINT``.
        """
        paths = [Path(c) if Path(c).is_absolute() else CONFIG_DIR / c for c in configs]
        return start_with_fresh_ports(lambda: self._start(paths, env, name, timeout))

    def _start(self, paths: list[Path], env: Mapping[str, str] | None, name: str | None,
               timeout: float) -> CollectorProcess:
        grpc, http, health, metrics = free_ports(4)
        settings = {
            **FAST_COLLECTOR_ENV,
            "AGENTOPS_COLLECTOR_HOST": LOOPBACK,
            "AGENTOPS_COLLECTOR_OTLP_GRPC_PORT": str(grpc),
            "AGENTOPS_COLLECTOR_OTLP_HTTP_PORT": str(http),
            "AGENTOPS_COLLECTOR_HEALTH_PORT": str(health),
            "AGENTOPS_COLLECTOR_METRICS_PORT": str(metrics),
            "AGENTOPS_JAEGER_ENDPOINT": self.jaeger.otlp_grpc_hostport,
            **(env or {}),
        }
        label = name or "+".join(path.stem for path in paths)
        argv = [str(self.binary)]
        for path in paths:
            argv += ["--config", str(path)]
        process = BackendProcess(
            name=f"otelcol {label}",
            argv=argv,
            env=_child_env(settings),
            log_path=self.log_dir / f"otelcol-{label}-{len(self.started)}.log",
            health_url=f"http://{LOOPBACK}:{health}/",
        )
        process.start(timeout)
        collector = CollectorProcess(process, paths, settings, grpc, http)
        self.started.append(collector)
        return collector

    def close(self) -> None:
        """Stop every collector this factory started."""
        for collector in self.started:
            collector.stop()
