"""What a replay hands the SDK in place of the provider's answer (:func:`respond`): the recorded answer, a
recorded connection failure, or a recorded answer whose message a fork replaced; what an answered tool
raises (:func:`recorded_error`); and, for the while of the replay, an API key to build requests with
(:class:`DummyKeys`).

Built from the cassette alone, through the SDK's own transport types, so the agent's client reads them
exactly as it would read the provider.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
from typing import Any, Final

from ._bodies import sent
from ._cassette import LLMStep
from ._providers import sse_bytes
from ._seam import Exchange

__all__ = ["DummyKeys", "RecordedToolError", "recorded_error", "reply_with", "respond"]

_DUMMY_KEY = "sk-replay-no-network"
_KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
_BUILTIN_ERRORS = {name: cls for name, cls in vars(builtins).items()
                   if isinstance(cls, type) and issubclass(cls, Exception)}


class RecordedToolError(Exception):
    """A recorded tool failure whose exception class is not a builtin (re-raised by name and message).

    ``recorded_type`` is the class the recording names: a step the agent lets it pass through ended with
    that error in the recording, so a replay reads it as that type when it compares how steps ended."""

    def __init__(self, message: str, recorded_type: str = "") -> None:
        super().__init__(message)
        self.recorded_type = recorded_type

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (*self.args[:1], self.recorded_type)


def recorded_error(error: dict[str, str]) -> Exception:
    """What a tool answered from the recording raises (its step's ``error``): the builtin recorded, else a
    stand-in for the agent's own class, which the replay cannot import."""
    kind, message = error["type"], error["message"]
    cls = _BUILTIN_ERRORS.get(kind)
    return cls(message) if cls is not None else RecordedToolError(message, kind)


class DummyKeys:
    """The SDKs refuse to build a request without a key; the replay never sends one anywhere."""

    def __init__(self) -> None:
        self._env: dict[str, str | None] = {}

    def ensure(self) -> None:
        for var in _KEY_VARS:
            if not os.environ.get(var):
                self._env[var] = os.environ.get(var)
                os.environ[var] = _DUMMY_KEY
        openai = sys.modules.get("openai")
        if openai is not None and getattr(openai, "api_key", "") is None:
            self._env["openai.api_key"] = None
            setattr(openai, "api_key", _DUMMY_KEY)  # noqa: B010 - a module found at run time

    def restore(self) -> None:
        for key, value in self._env.items():
            if key == "openai.api_key":
                openai = sys.modules.get("openai")
                if openai is not None:
                    setattr(openai, "api_key", value)  # noqa: B010
            elif value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._env.clear()


def respond(ex: Exchange, step: LLMStep, replaced: tuple[int, bytes, str] | None) -> Any:
    """The SDK's own response for ``ex`` from the recorded ``step`` (or the answer a fork ``replaced`` it
    with); a recorded connection failure is raised as the SDK's HTTP library would raise it."""
    __tracebackhide__ = True
    headers = _retry_advice(step.answer_headers)
    if replaced is not None:  # another answer: the recorded one's retry advice is not its own
        (status, content, ctype), headers = replaced, {}
    elif step.events is not None:
        status, content, ctype = step.status or 200, sse_bytes(step.events), "text/event-stream"
        if step.stream_error is not None:
            cut = _transport_error(ex, step.stream_error, "RemoteProtocolError")
            return ex.response(status, content, ctype, cut, headers=headers)
    elif step.status == 0:
        error = step.body.get("error") if isinstance(step.body, dict) else None
        raise _transport_error(ex, error if isinstance(error, dict) else {}, "ConnectError")
    else:
        content, ctype = sent(step)
        status = step.status
    return ex.response(status, content, ctype, headers=headers)


_NO_WAIT: Final = {"retry-after-ms": "1"}
"""A recorded delay as the replay sends it: the SDKs retry after 1 ms (0 would make them fall back to their own
backoff), so a replay never waits out what the provider asked the live run to wait."""


def _retry_advice(recorded: dict[str, str] | None) -> dict[str, str]:
    """The recorded answer headers the SDK retries by: ``x-should-retry`` as recorded (whether it retries is what
    the agent saw), a delay as :data:`_NO_WAIT` (how long it waited is not: the replay runs offline)."""
    if not recorded:
        return {}
    advice = {k: v for k, v in recorded.items() if k not in ("retry-after", "retry-after-ms")}
    if len(advice) < len(recorded):
        advice.update(_NO_WAIT)
    return advice


def _transport_error(ex: Exchange, error: dict[str, Any], fallback: str) -> BaseException:
    """The HTTP library's error the recording names (a timeout stays a timeout: the SDK maps it to its own
    timeout error, which an agent may handle otherwise than a refused connection); one the library does not
    have (a cassette recorded before types were kept, another transport's) is ``fallback``."""
    httpx = ex.http_library()
    cls = getattr(httpx, str(error.get("type", "")), None)
    if not (isinstance(cls, type) and issubclass(cls, httpx.TransportError)):
        cls = getattr(httpx, fallback)
    return cls(str(error.get("message") or "recorded connection failure"), request=ex.request)  # type: ignore[no-any-return]


def reply_with(step: LLMStep, text: str) -> tuple[int, bytes, str]:
    """The recorded answer with its message replaced by ``text`` (chat completions)."""
    if step.events is not None:
        first: dict[str, Any] = next((e["data"] for e in step.events if isinstance(e.get("data"), dict)), {})
        base = {k: first.get(k) for k in ("id", "object", "created", "model") if k in first}
        delta = {"role": "assistant", "content": text}
        events: list[dict[str, Any]] = [
            {"data": {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}},
            {"data": {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}},
            {"data": "[DONE]"},
        ]
        return 200, sse_bytes(events), "text/event-stream"
    body = dict(step.body) if isinstance(step.body, dict) else {}
    body["choices"] = [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]
    return 200, json.dumps(body).encode(), "application/json"
