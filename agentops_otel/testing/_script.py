"""What a test scripts (``Reply``) and what a fake provider server saw (``Request``), for every provider.

One ``Reply`` answers whichever API the agent under test calls: a conversation queued as text, tool
calls and failures plays the same on the OpenAI and the Anthropic server, so one behavioural suite can
run against both. Each server's payload module turns a reply into its own wire format. Everything here
is pure and deterministic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Reply", "Request", "ToolCall", "Usage"]

JSON = dict[str, Any]
IdFactory = Callable[[str], str]
"""Returns a fresh id with the given prefix (``"chatcmpl-"``, ``"msg_"``...), unique per server."""

ReplyKind = Literal["text", "tool_calls", "error", "embedding", "image", "speech", "batch"]

@dataclass(frozen=True)
class Usage:
    """Token counts to report instead of the server's word-count estimate (e.g. to test cost maths).

    ``prompt_tokens`` is the whole prompt, cache reads and writes included (OpenAI's and the GenAI
    convention's meaning); the Anthropic server reports the uncached rest as its ``input_tokens``.
    ``cache_write_tokens`` is every token written to the cache, ``cache_write_1h_tokens`` the share of
    it written with the one-hour TTL (Anthropic prices the two differently).
    """

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ToolCall:
    """One function call the fake model makes; ``arguments`` is the JSON text exactly as sent on the wire."""

    name: str
    arguments: str
    call_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the fake model answers to one request; build it with the constructors, not directly.

    One type covers every endpoint so a test can queue a whole conversation (text, tool calls,
    failures) in order, whichever API the agent under test happens to call.
    """

    kind: ReplyKind
    content: str = ""
    calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None
    finish_reason: str = "stop"
    model: str | None = None
    delay: float = 0.0
    chunk_size: int | None = None
    fail_after_chunks: int | None = None
    status: int = 200
    error_message: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    retry: bool | None = None
    dim: int | None = None
    thinking: str = ""
    """Reasoning the model shows before answering (Anthropic ``thinking`` blocks; ignored by OpenAI)."""

    @classmethod
    def text(
        cls,
        content: str,
        *,
        usage: Usage | None = None,
        finish_reason: str = "stop",
        model: str | None = None,
        delay: float = 0.0,
        chunk_size: int | None = None,
        fail_after_chunks: int | None = None,
        thinking: str = "",
    ) -> Reply:
        """An assistant message.

        ``chunk_size`` streams the text in pieces of that many characters (default: word by word).
        ``fail_after_chunks=N`` drops the connection after N server-sent events of a stream (the role
        chunk / ``response.created`` count), or before any byte of a non-streaming answer, so the
        client's connection-error path can be exercised. ``delay`` seconds pass before the first byte.
        ``thinking`` is sent as a thinking block ahead of the text by the Anthropic server.
        """
        return cls(
            kind="text",
            content=content,
            thinking=thinking,
            usage=usage,
            finish_reason=finish_reason,
            model=model,
            delay=delay,
            chunk_size=chunk_size,
            fail_after_chunks=fail_after_chunks,
        )

    @classmethod
    def tool_calls(
        cls,
        *calls: tuple[str, Mapping[str, Any] | str] | tuple[str, Mapping[str, Any] | str, str],
        usage: Usage | None = None,
        model: str | None = None,
        delay: float = 0.0,
        chunk_size: int | None = None,
        fail_after_chunks: int | None = None,
        text: str = "",
        thinking: str = "",
    ) -> Reply:
        """Function calls, each ``(name, args)`` or ``(name, args, call_id)``.

        ``args`` is a dict (serialised compactly, like the model does) or a ready string, which lets a
        test send malformed arguments on purpose. Missing call ids are numbered by the server.
        ``text`` is what the model says before calling (an Anthropic text block ahead of the
        ``tool_use`` blocks; chat content on OpenAI), ``thinking`` its reasoning (Anthropic only).
        """
        if not calls:
            raise ValueError("Reply.tool_calls needs at least one (name, args) call")
        parsed: list[ToolCall] = []
        for call in calls:
            name, args = call[0], call[1]
            arguments = args if isinstance(args, str) else json.dumps(dict(args), separators=(",", ":"))
            parsed.append(ToolCall(name, arguments, call[2] if len(call) > 2 else None))
        return cls(
            kind="tool_calls",
            content=text,
            thinking=thinking,
            calls=tuple(parsed),
            usage=usage,
            finish_reason="tool_calls",
            model=model,
            delay=delay,
            chunk_size=chunk_size,
            fail_after_chunks=fail_after_chunks,
        )

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        type: str | None = None,
        code: str | None = None,
        *,
        retry_after: float | None = None,
        retry: bool | None = None,
        after_chunks: int | None = None,
    ) -> Reply:
        """An HTTP error in the provider's error body; type, code and message default to what its API sends.

        ``retry_after`` (seconds) sets ``retry-after-ms`` so a client with retries enabled retries
        at once instead of backing off for about a second; the retry then takes the next reply.
        ``retry`` sets ``x-should-retry`` (``true`` / ``false``), which the openai and anthropic SDKs obey
        over their status rule: ``retry=False`` makes a client with retries raise on this answer (as the
        API does for an error a retry cannot cure), ``retry=True`` makes it retry a status it would not.
        ``after_chunks=N`` makes it an error inside a stream, as the API reports one that happens while
        the answer is generated: a streamed request gets an HTTP 200 stream of a text answer cut after
        N server-sent events by the error (Anthropic's ``event: error``, OpenAI's ``{"error": ...}``
        chunk), so the SDK raises it mid-iteration; a request that is not streamed gets the HTTP error.
        """
        if status < 400:
            raise ValueError(f"Reply.error needs an error status (>= 400), got {status}")
        if after_chunks is not None and after_chunks < 0:
            raise ValueError(f"Reply.error(after_chunks=...) must be 0 or more, got {after_chunks}")
        return cls(
            kind="error",
            status=status,
            error_message=message,
            error_type=type,
            error_code=code,
            retry_after=retry_after,
            retry=retry,
            fail_after_chunks=after_chunks,
        )

    def retry_headers(self) -> list[tuple[str, str]]:
        """The headers an HTTP error answer carries to steer the SDK's retries (``retry_after``, ``retry``)."""
        headers = [] if self.retry_after is None else [("retry-after-ms", f"{self.retry_after * 1000:g}")]
        if self.retry is not None:
            headers.append(("x-should-retry", "true" if self.retry else "false"))
        return headers

    @classmethod
    def embedding(cls, dim: int | None = None, *, model: str | None = None, delay: float = 0.0) -> Reply:
        """Embedding vectors of ``dim`` floats (default: the request's ``dimensions``, else 8)."""
        if dim is not None and dim < 1:
            raise ValueError(f"embedding dim must be positive, got {dim}")
        return cls(kind="embedding", dim=dim, model=model, delay=delay)

    @classmethod
    def image(cls, *, usage: Usage | None = None, model: str | None = None, delay: float = 0.0) -> Reply:
        """One generated image (a few placeholder bytes, base64), for ``images.generate``.

        ``usage`` is reported as GPT Image models do (``input_tokens`` / ``output_tokens``); without it
        the answer has no usage, as DALL-E's, which are billed per image.
        """
        return cls(kind="image", usage=usage, model=model, delay=delay)

    @classmethod
    def speech(cls, audio: str = "", *, delay: float = 0.0) -> Reply:
        """Audio bytes for ``audio.speech.create`` (``audio``, else placeholder bytes naming the input).
        The API reports no usage for speech: it bills the input's characters."""
        return cls(kind="speech", content=audio, delay=delay)

    @classmethod
    def batch(cls, *, delay: float = 0.0) -> Reply:
        """The batch a batch submit created (``messages.batches.create``, ``batches.create``), as the API
        answers before any of its requests ran: queued, no results, no usage. The default answer there;
        queue it only to keep a scripted conversation in order (``Reply.error`` refuses the submit)."""
        return cls(kind="batch", delay=delay)


@dataclass(frozen=True)
class Request:
    """One HTTP request the server received, for assertions and for responders to branch on."""

    method: str
    path: str
    headers: Mapping[str, str]
    """Lower-cased header names."""
    json: JSON = field(default_factory=dict)
    """The decoded JSON body (empty for bodiless requests)."""

    @property
    def model(self) -> str | None:
        value = self.json.get("model")
        return value if isinstance(value, str) else None

    @property
    def messages(self) -> list[JSON]:
        """Chat Completions messages (empty for other endpoints)."""
        value = self.json.get("messages")
        return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []

    @property
    def stream(self) -> bool:
        return self.json.get("stream") is True

    @property
    def input(self) -> Any:
        """Responses / Embeddings ``input``: a string or a list, as the client sent it."""
        return self.json.get("input")

    @property
    def last_user_text(self) -> str:
        """Text of the last user turn in either API, the usual thing a responder keys on."""
        turns: list[Any] = self.messages
        raw_input = self.input
        if not turns:
            if isinstance(raw_input, str):
                return raw_input
            prompt = self.json.get("prompt")
            if raw_input is None and isinstance(prompt, str):
                return prompt  # legacy completions
            turns = raw_input if isinstance(raw_input, list) else []
        for turn in reversed(turns):
            if isinstance(turn, dict) and turn.get("role") == "user":
                return " ".join(_strings(turn.get("content")))
        return ""

# ---------------------------------------------------------------------------------------------------
# Token estimates: deterministic and never zero for non-empty text, so usage assertions are stable.

_WORD = re.compile(r"\w+|[^\w\s]")
# Keys whose values are identifiers or binary payloads, not text the model would read as tokens.
_NOT_TEXT = frozenset({"role", "type", "id", "tool_call_id", "call_id", "tool_use_id", "image_url", "file_data",
                       "detail", "source", "signature", "cache_control"})


def count_tokens(text: str) -> int:
    """Words and punctuation marks, a crude but stable stand-in for a BPE tokenizer."""
    return max(len(_WORD.findall(text)), 1) if text else 0


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_TEXT:
                yield from _strings(item)


def prompt_tokens(request: Request) -> int:
    """The word-count estimate of the request's prompt: system, messages / input and tool schemas."""
    body = request.json
    tools = body.get("tools")
    total = 3 + (count_tokens(json.dumps(tools)) if tools else 0)
    for key in ("instructions", "system"):  # Responses / Anthropic system prompts
        total += sum(map(count_tokens, _strings(body.get(key))))
    if "messages" in body:
        return total + sum(4 + sum(map(count_tokens, _strings(m))) for m in request.messages)
    raw_input = request.input
    if isinstance(raw_input, list):
        return total + sum(4 + sum(map(count_tokens, _strings(item))) for item in raw_input)
    return total + sum(map(count_tokens, _strings(raw_input)))


def usage_for(reply: Reply, request: Request) -> Usage:
    if reply.usage is not None:
        return reply.usage
    completion = count_tokens(reply.content) + count_tokens(reply.thinking) + sum(
        count_tokens(call.name) + count_tokens(call.arguments) for call in reply.calls
    )
    return Usage(prompt_tokens=prompt_tokens(request), completion_tokens=completion)


def _pieces(text: str, chunk_size: int | None) -> list[str]:
    """How streamed text is cut: fixed-size pieces, else word by word (whitespace kept with the word)."""
    if not text:
        return []
    if chunk_size is not None and chunk_size > 0:
        return [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
    return re.findall(r"\s*\S+\s*$|\s*\S+", text) or [text]


def _argument_pieces(arguments: str, chunk_size: int | None) -> list[str]:
    # Several fragments even for short arguments, so client-side accumulation is really exercised.
    return _pieces(arguments, chunk_size or 8)

