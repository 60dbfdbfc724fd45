"""A recording that saw no LLM call and no tool call must never become a replay that passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentops_otel.testing import Cassette, CassetteError, record, replay


def test_saving_a_recording_with_no_steps_is_an_error(tmp_path: Path) -> None:
    """An agent whose calls the recorder never saw leaves no cassette that would pass every replay."""
    with record() as rec:
        pass  # e.g. the agent talks through a client the recorder does not cover
    with pytest.raises(CassetteError, match="no LLM or tool steps"):
        rec.save(tmp_path / "empty.json")
    assert not (tmp_path / "empty.json").exists()


def test_an_empty_cassette_file_does_not_replay(tmp_path: Path) -> None:
    """A cassette file with zero steps (hand-made, or saved by an older version) is refused, not a pass."""
    path = Cassette.new([]).save(tmp_path / "empty.json")
    with pytest.raises(CassetteError, match="no LLM or tool steps"):
        replay(path)
