"""Fixtures for the read tests: a recorded session, and a tiny local HTTP server standing in for backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_backend import FakeBackend, serve
from opentelemetry.sdk.trace import ReadableSpan
from otlp_samples import make_session_spans


@pytest.fixture
def session_spans() -> list[ReadableSpan]:
    """A recorded session's SDK spans."""
    return make_session_spans()


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    """A local HTTP server on 127.0.0.1 answering from ``backend.routes``."""
    with serve() as state:
        yield state


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
