"""Fixtures for the renderer tests (the timelines themselves live in render_fixtures.py)."""

from __future__ import annotations

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
