"""Backend down at exit: the wait is bounded by AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS, what was not sent is
in the local file, and ``flush()`` says the export failed."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import pytest
from _exit_helpers import (
    CLOCK,
    CLOCK_CONFTEST,
    CLOCK_READY,
    READY,
    SINK,
    Outcome,
    closed_port,
    exit_work_seconds,
    finish,
    run,
    silent_port,
    span_names,
    start,
)

from agentops_otel import config, semconv

LIMIT_MILLIS = 1000
SLACK_SECONDS = 5.0
"""Threads on a busy machine. Far below what the exporter alone would wait: with
``OTEL_EXPORTER_OTLP_TIMEOUT=60`` it retries a refused batch for about 31 s."""

ENDED_THEN_EXIT = f"""
    {CLOCK}
    import agentops_otel as agentops
    agentops.init(service_name="exit-test")
    with agentops.session("backend down"):
        pass
    {CLOCK_READY}
"""


def _down_env(protocol: str) -> dict[str, str]:
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol, "OTEL_EXPORTER_OTLP_TIMEOUT": "60",
            semconv.ENV_EXIT_TIMEOUT_MILLIS: str(LIMIT_MILLIS)}


@pytest.fixture(scope="module", params=["http/protobuf", "grpc"])
def exited_with_backend_down(request: pytest.FixtureRequest,
                             tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, Path]:
    """One child per OTLP protocol that ends a session and exits normally, its endpoint a closed port."""
    tmp_path = tmp_path_factory.mktemp("down")
    return run(ENDED_THEN_EXIT, tmp_path, _down_env(request.param)), tmp_path


def _silent_env(port: int, protocol: str) -> dict[str, str]:
    """A backend that takes the request and never answers; the exporter alone would wait 30 s."""
    return {**_down_env(protocol), "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "30"}


@pytest.fixture(scope="module", params=["http/protobuf", "grpc"])
def exited_with_backend_silent(request: pytest.FixtureRequest,
                               tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, Path]:
    """One child per OTLP protocol that ends a session and exits normally, its backend never answering."""
    tmp_path = tmp_path_factory.mktemp("silent")
    with silent_port() as port:
        return run(ENDED_THEN_EXIT, tmp_path, _silent_env(port, request.param)), tmp_path


@pytest.mark.slow
def test_exit_with_backend_silent_waits_at_most_the_limit(exited_with_backend_silent: tuple[Outcome, Path]) -> None:
    """A backend that never answers holds the process no longer than the limit (plus teardown slack)."""
    outcome, _ = exited_with_backend_silent
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.seconds_after_ready < LIMIT_MILLIS / 1000 + SLACK_SECONDS, outcome.stderr


@pytest.mark.slow
def test_what_a_silent_backend_did_not_take_is_in_the_local_file(
        exited_with_backend_silent: tuple[Outcome, Path]) -> None:
    """The session sent to a backend that never answered is in the local OTLP JSON file."""
    outcome, tmp_path = exited_with_backend_silent
    assert "invoke_agent backend down" in span_names(tmp_path / SINK), outcome.stderr


@pytest.mark.slow
def test_shutdown_with_backend_silent_returns_within_its_timeout(tmp_path: Path) -> None:
    """shutdown(timeout_millis=) called by the program returns at its timeout, and the exit after it is quick."""
    with silent_port() as port:
        outcome = run(f"""
            import time
            import agentops_otel as agentops
            agentops.init()
            with agentops.session("backend down"):
                pass
            print("{READY}", flush=True)
            began = time.monotonic()
            agentops.shutdown(timeout_millis=500)
            print("shutdown took", time.monotonic() - began, flush=True)
        """, tmp_path, _silent_env(port, "http/protobuf"))
    took = [line for line in outcome.stdout.splitlines() if line.startswith("shutdown took")]
    assert took and float(took[0].split()[-1]) < 0.5 + SLACK_SECONDS, outcome.stdout + outcome.stderr
    assert outcome.seconds_after_ready < 0.5 + SLACK_SECONDS, outcome.stderr
    assert "invoke_agent backend down" in span_names(tmp_path / SINK)


@pytest.mark.slow
def test_every_batch_queued_for_a_silent_backend_is_in_the_local_file(tmp_path: Path) -> None:
    """More sessions than one export batch holds: at exit every one of them is in the local file."""
    with silent_port() as port:
        outcome = run(f"""
            import agentops_otel as agentops
            agentops.init()
            for i in range(1200):
                with agentops.session(f"s{{i}}"):
                    pass
            print("{READY}", flush=True)
        """, tmp_path, _silent_env(port, "http/protobuf"))
    assert outcome.seconds_after_ready < LIMIT_MILLIS / 1000 + SLACK_SECONDS, outcome.stderr
    names = span_names(tmp_path / SINK)
    assert len(set(names)) == 1200, (len(set(names)), outcome.stderr)


@pytest.mark.slow
def test_exit_with_backend_down_waits_at_most_the_limit(exited_with_backend_down: tuple[Outcome, Path]) -> None:
    """Exit gives up on an unreachable backend after the configured limit (plus teardown slack)."""
    outcome, _ = exited_with_backend_down
    assert outcome.returncode == 0, outcome.stderr
    assert exit_work_seconds(outcome) < LIMIT_MILLIS / 1000 + SLACK_SECONDS


@pytest.mark.slow
def test_what_the_backend_did_not_take_is_in_the_local_file(exited_with_backend_down: tuple[Outcome, Path]) -> None:
    """The session the backend never received is in the local OTLP JSON file, readable by our reader."""
    outcome, tmp_path = exited_with_backend_down
    assert "invoke_agent backend down" in span_names(tmp_path / SINK), outcome.stderr


@pytest.mark.slow
def test_sigterm_with_backend_down_is_bounded_and_keeps_the_session(tmp_path: Path) -> None:
    """SIGTERM with the backend down: the process dies of the signal within the limit, the session on disk."""
    outcome = finish(start(f"""
        import time
        import agentops_otel as agentops
        agentops.init()
        with agentops.session("backend down"):
            pass
        print("{READY}", flush=True)
        time.sleep(120)
    """, tmp_path, _down_env("http/protobuf")), signal.SIGTERM)
    assert outcome.returncode == -signal.SIGTERM, outcome.stderr
    assert outcome.seconds_after_ready < LIMIT_MILLIS / 1000 + SLACK_SECONDS
    assert "invoke_agent backend down" in span_names(tmp_path / SINK)


@pytest.mark.slow
def test_flush_returns_false_when_the_export_failed(tmp_path: Path) -> None:
    """flush() is False when the backend refused the batch (the exporter gave up well within the wait)."""
    env = {**_down_env("http/protobuf"), "OTEL_EXPORTER_OTLP_TIMEOUT": "0.5"}
    outcome = run(f"""
        import agentops_otel as agentops
        agentops.init()
        with agentops.session("backend down"):
            pass
        print("{READY}", flush=True)
        print("flushed:", agentops.flush(60_000), flush=True)
    """, tmp_path, env)
    assert "flushed: False" in outcome.stdout, outcome.stderr


@pytest.mark.slow
def test_flush_returns_false_when_the_wait_ran_out(tmp_path: Path) -> None:
    """flush(timeout_millis) returns False at its timeout while the exporter is still retrying."""
    outcome = run(f"""
        import time
        import agentops_otel as agentops
        agentops.init()
        with agentops.session("backend down"):
            pass
        print("{READY}", flush=True)
        began = time.monotonic()
        ok = agentops.flush(500)
        print("flushed:", ok, "seconds:", time.monotonic() - began, flush=True)
    """, tmp_path, _down_env("http/protobuf"))
    words = outcome.stdout.split()
    assert words[words.index("flushed:") + 1] == "False", outcome.stderr
    assert float(words[words.index("seconds:") + 1]) < 0.5 + SLACK_SECONDS


def test_exit_limit_that_is_not_a_number_is_reported(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A malformed AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS is named in a warning and the default is used."""
    monkeypatch.setenv(semconv.ENV_EXIT_TIMEOUT_MILLIS, "3s")
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        assert config.exit_timeout_millis() == config.DEFAULT_EXIT_TIMEOUT_MILLIS
    assert semconv.ENV_EXIT_TIMEOUT_MILLIS in caplog.text and "'3s'" in caplog.text


@pytest.mark.slow
def test_pytest_run_with_backend_down_ends_within_the_limit(tmp_path: Path) -> None:
    """The end of a pytest run waits at most the limit for a dead backend; the test's session is on disk."""
    import sys

    (tmp_path / "conftest.py").write_text(CLOCK_CONFTEST)
    (tmp_path / "test_agent.py").write_text(f"""
def test_agent(agent_session):
    print("{READY}", flush=True)
""")
    proc = start("", tmp_path, _down_env("http/protobuf"),
                 argv=[sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_agent.py"])
    outcome = finish(proc)
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert exit_work_seconds(outcome) < LIMIT_MILLIS / 1000 + SLACK_SECONDS
    assert "invoke_agent test_agent" in span_names(tmp_path / SINK)
