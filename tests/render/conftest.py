"""Fixtures for the renderer tests (the timelines themselves live in render_fixtures.py)."""

from __future__ import annotations

import os
import shutil

import pytest
from render_fixtures import broken_timeline, story_timeline

from agentops_otel.timeline import Timeline


@pytest.fixture
def story() -> Timeline:
    """The product story's failing session."""
    return story_timeline()


@pytest.fixture
def broken() -> Timeline:
    """A session with every repair the reassembler can report."""
    return broken_timeline()


def _chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser binary; missing skips locally but fails in CI (CI=true), where it must be installed."""
    binary = _chromium_binary()
    if binary is None:
        message = "chromium not installed (apt-get install -y --no-install-recommends chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary
