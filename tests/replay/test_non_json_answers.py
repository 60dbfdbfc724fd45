"""Answers that are not JSON (speech audio, a file's text, a proxy's HTML error page) replay as they were sent."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from agentops_otel.testing import CassetteError, OpenAIServer, Reply, load_cassette, record, replay

_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
_FILE_TEXT = f"row 1\nconfig: OPENAI={_KEY}\nrow 3 \u00e9\n"


@pytest.fixture
def text_files() -> Iterator[str]:
    """A server that answers ``files.content`` as the API does for a text file: text/plain, not JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = _FILE_TEXT.encode()
            self.send_response(200)
            self.send_header("content-type", "text/plain; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def _speak(client: OpenAI) -> openai._legacy_response.HttpxBinaryResponseContent:
    return client.audio.speech.create(model="tts-1", voice="alloy", input="hi")


@pytest.mark.usefixtures("offline")
def test_speech_audio_replays_byte_for_byte(client: OpenAI, server: OpenAIServer, dead_url: str,
                                            tmp_path: Path) -> None:
    """audio.speech.create replays the recorded audio bytes and content type, not a JSON string of them."""
    server.queue(Reply.speech("\x00\xffID3binary"))
    with record() as rec:
        live = _speak(client)
    path = rec.save(tmp_path / "speech.json")
    with replay(path):
        again = _speak(OpenAI(base_url=dead_url, max_retries=0))
    assert again.read() == live.read()
    assert again.response.headers["content-type"] == live.response.headers["content-type"] == "audio/mpeg"


@pytest.mark.usefixtures("offline")
async def test_async_speech_audio_replays_byte_for_byte(aclient: AsyncOpenAI, server: OpenAIServer,
                                                        dead_url: str, tmp_path: Path) -> None:
    """The async client's recorded audio replays byte for byte too."""
    server.queue(Reply.speech("\x00\xffID3async"))
    with record() as rec:
        live = await aclient.audio.speech.create(model="tts-1", voice="alloy", input="hi")
    path = rec.save(tmp_path / "speech.json")
    with replay(path):
        replayed = AsyncOpenAI(base_url=dead_url, max_retries=0)
        again = await replayed.audio.speech.create(model="tts-1", voice="alloy", input="hi")
    assert again.read() == live.read() == "\x00\xffID3async".encode()


def test_the_cassette_names_the_audio_type_and_keeps_it_readable(client: OpenAI, server: OpenAIServer,
                                                                 tmp_path: Path) -> None:
    """A reviewer sees audio/mpeg and a base64 line in the cassette, not control characters."""
    server.queue(Reply.speech("\x00\xffID3binary"))
    with record() as rec:
        _speak(client)
    text = rec.save(tmp_path / "speech.json").read_text()
    step = json.loads(text)["steps"][0]
    assert (step["content_type"], step["body_encoding"]) == ("audio/mpeg", "base64")
    assert "\x00" not in text and "\\u0000" not in text


@pytest.mark.usefixtures("offline")
def test_a_text_answer_replays_as_sent_with_its_credentials_masked(text_files: str, dead_url: str,
                                                                   tmp_path: Path) -> None:
    """files.content's text/plain answer replays as that text (a key in it masked), not as a JSON string."""
    with record() as rec:
        live = OpenAI(base_url=text_files, api_key="sk-x", max_retries=0).files.content("file-1")
    path = rec.save(tmp_path / "file.json")
    assert live.text == _FILE_TEXT
    assert _KEY not in path.read_text()
    with replay(path):
        again = OpenAI(base_url=dead_url, max_retries=0).files.content("file-1")
    assert again.text == _FILE_TEXT.replace(_KEY, "[REDACTED]")
    assert again.response.headers["content-type"] == "text/plain; charset=utf-8"


_OLD_CASSETTE = {  # as agentops_otel wrote a proxy's HTML error page before answers kept their content type
    "agent_version": None, "callers": True, "format": "agentops-otel/cassette@1", "hand_events": True,
    "recorded_from": "live", "sdk": {"openai": "1.0.0"}, "session": {}, "step_count": 1, "why": "",
    "steps": [{"body": "<html>502 Bad Gateway</html>", "endpoint": "/chat/completions", "extra": {},
               "index": 0, "kind": "llm", "provider": "openai", "status": 502,
               "request": {"model": "gpt-4o-mini", "messages": [
                   {"role": "user", "parts": [{"type": "text", "content": "hi"}]}]}}],
}


@pytest.mark.usefixtures("offline")
def test_an_old_cassette_with_a_text_body_still_replays(dead_url: str, tmp_path: Path) -> None:
    """A cassette recorded before content types were kept loads and replays its text answer as it did."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps(_OLD_CASSETTE))
    assert load_cassette(path).steps[0].body == "<html>502 Bad Gateway</html>"
    with replay(path), pytest.raises(openai.InternalServerError) as raised:
        OpenAI(base_url=dead_url, max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.status_code == 502
    assert raised.value.body == "<html>502 Bad Gateway</html>"
    assert raised.value.response.headers["content-type"] == "application/json"


def test_audio_edited_into_something_not_base64_is_refused(client: OpenAI, server: OpenAIServer,
                                                           tmp_path: Path) -> None:
    """A hand edit that breaks the recorded audio's base64 is a clear error, not other bytes at replay."""
    with record() as rec:
        _speak(client)
    path = rec.save(tmp_path / "speech.json")
    doc = json.loads(path.read_text())
    doc["steps"][0]["body"] = "not base64!"
    path.write_text(json.dumps(doc))
    with pytest.raises(CassetteError, match=r"step 0 \(/audio/speech\) has a body that is not base64"):
        load_cassette(path)


def test_a_key_inside_audio_metadata_never_reaches_the_cassette(client: OpenAI, server: OpenAIServer,
                                                                tmp_path: Path) -> None:
    """Media bytes can carry text (an ID3 tag, EXIF, an SVG): a credential in them is masked before the
    cassette is written, at the price of those bytes replaying lossy."""
    server.queue(Reply.speech(f"ID3\x03\x00TXXX {_KEY}"))
    with record() as rec:
        _speak(client)
    text = rec.save(tmp_path / "speech.json").read_text()
    step = json.loads(text)["steps"][0]
    body = step["body"] if step.get("body_encoding") != "base64" else base64.b64decode(step["body"]).decode("latin-1")
    assert _KEY not in body and _KEY not in text


def test_an_svg_answer_is_kept_as_masked_text() -> None:
    """image/svg+xml is XML text: it is kept readable and masked, not as opaque base64."""
    from agentops_otel.testing._bodies import kept

    body, content_type, encoding = kept(f"<svg><!-- {_KEY} --></svg>".encode(), "image/svg+xml")
    assert (body, content_type, encoding) == ("<svg><!-- [REDACTED] --></svg>", "image/svg+xml", None)
