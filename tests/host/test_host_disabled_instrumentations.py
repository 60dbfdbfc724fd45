"""OpenTelemetry's OTEL_PYTHON_DISABLED_INSTRUMENTATIONS, read by init() for our instrumentors."""

from __future__ import annotations

from pathlib import Path

import pytest
from _subproc import run_python_streams

pytestmark = pytest.mark.slow  # a child interpreter


def test_a_switched_off_client_is_said_once_not_at_every_init(tmp_path: Path) -> None:
    """The pytest plugin calls init() for every test: the notice that anthropic calls go unrecorded comes once."""
    out, err = run_python_streams("""
        import logging, sys
        import agentops_otel as agentops
        logging.basicConfig(level=logging.INFO)
        for _ in range(3):
            agentops.init()
        print("anthropic" in sys.modules)
    """, tmp_path, {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentops_anthropic"})
    assert out.strip() == "False"
    assert err.count("anthropic calls are not recorded: agentops_anthropic is in "
                     "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS") == 1, err
