"""Bad cassettes: truncated, hand-edited, of another version or missing — a clear error, never a live call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openai import OpenAI
from replay_helpers import Agent

from agentops_otel.testing import CassetteError, load_cassette, record, replay


@pytest.fixture
def saved(agent: Agent, client: OpenAI, tmp_path: Path) -> Path:
    with record(agent_version="2.1") as rec:
        agent.run(client)
    return rec.save(tmp_path / "session.json")


def test_truncated_cassette(saved: Path) -> None:
    """A file cut short says it is truncated and how many bytes it has."""
    saved.write_bytes(saved.read_bytes()[:-200])
    with pytest.raises(CassetteError, match=r"session.json is truncated or not JSON .*re-record it"):
        load_cassette(saved)


def test_deleted_step(saved: Path) -> None:
    """A step removed by hand is caught by the step count."""
    doc = json.loads(saved.read_text())
    del doc["steps"][1]
    saved.write_text(json.dumps(doc))
    with pytest.raises(CassetteError, match="says it holds 3 steps but has 2"):
        load_cassette(saved)


def test_reordered_steps(saved: Path) -> None:
    """Steps swapped by hand are caught by their indices."""
    doc = json.loads(saved.read_text())
    doc["steps"][0], doc["steps"][1] = doc["steps"][1], doc["steps"][0]
    saved.write_text(json.dumps(doc))
    with pytest.raises(CassetteError, match="step at position 0 has index 1"):
        load_cassette(saved)


def test_missing_field_is_named_with_its_path(saved: Path) -> None:
    """A required field deleted by hand is named, with where it was."""
    doc = json.loads(saved.read_text())
    del doc["steps"][1]["name"]
    saved.write_text(json.dumps(doc))
    with pytest.raises(CassetteError, match=r"missing required field `name` - at `\$.steps\[1\]`"):
        load_cassette(saved)


def test_missing_answer_is_named(saved: Path) -> None:
    """An LLM step without its answer cannot be replayed and says so."""
    doc = json.loads(saved.read_text())
    del doc["steps"][0]["body"]
    saved.write_text(json.dumps(doc))
    with pytest.raises(CassetteError, match=r"step 0 .* has neither a body nor stream events"):
        load_cassette(saved)


def test_other_agent_version(saved: Path) -> None:
    """Replaying a cassette of another agent version names both versions."""
    with pytest.raises(CassetteError, match=r"recorded with agent version .2\.1., this is .2\.2."):
        replay(saved, agent_version="2.2")


def test_missing_cassette(tmp_path: Path) -> None:
    """No file: the error says how to record one."""
    with pytest.raises(CassetteError, match=r"no cassette at .*record-mode=record"):
        load_cassette(tmp_path / "nope.json")


def test_other_format(saved: Path) -> None:
    """A file of another format is refused by name."""
    doc = json.loads(saved.read_text())
    doc["format"] = "vcr"
    saved.write_text(json.dumps(doc))
    with pytest.raises(CassetteError, match="has format 'vcr'"):
        load_cassette(saved)
