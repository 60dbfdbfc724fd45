"""Cassettes that would lie: one that saw no step (its replay always passes), one holding a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from openai import OpenAI

from agentops_otel.testing import Cassette, CassetteError, OpenAIServer, Reply, record, replay


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


LEAK = "sk-proj-Abcdefghijklmnop0123456789XYZ"


@pytest.mark.parametrize("stream", [False, True])
def test_a_key_in_the_model_answer_is_masked_in_the_cassette(tmp_path: Path, stream: bool) -> None:
    """The provider's answer is masked like the request, streamed or not: cassettes get committed."""
    server = OpenAIServer().start()
    try:
        server.queue(Reply.text(f"your key {LEAK} works"))
        client = OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0)
        with record() as rec:
            reply = client.chat.completions.create(model="gpt-4o-mini", stream=stream,
                                                   messages=[{"role": "user", "content": "check"}])
            if stream:
                list(reply)
        text = rec.save(tmp_path / "c.json").read_text(encoding="utf-8")
    finally:
        server.close()
    assert LEAK not in text


def test_save_beside_skips_a_recording_with_no_steps(tmp_path: Path) -> None:
    """save_beside, called after every session, writes nothing for a session with no step and does not raise."""
    with record() as rec:
        pass
    assert rec.save_beside(tmp_path, always=True) is None
    assert list(tmp_path.iterdir()) == []
