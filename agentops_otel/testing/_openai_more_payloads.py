"""Wire shapes of the fake OpenAI server's other billed endpoints: legacy Completions (JSON and SSE),
image generation, speech and batches.

Kept beside :mod:`._openai_payloads` (chat, responses, embeddings) and pure in the same way: the same
request and reply always give the same bodies, apart from ``created`` and the ids the caller passes in.
"""

from __future__ import annotations

import base64
import hashlib

from ._script import JSON, IdFactory, Reply, Request, Usage, _pieces, _strings, count_tokens

__all__ = ["batch", "completion", "completion_chunks", "images", "speech"]

DEFAULT_COMPLETION_MODEL = "gpt-3.5-turbo-instruct"
DEFAULT_IMAGE_MODEL = "dall-e-2"
_PNG_HEAD = b"\x89PNG\r\n\x1a\n"


def _completion_usage(reply: Reply, request: Request) -> Usage:
    if reply.usage is not None:
        return reply.usage
    prompt = sum(map(count_tokens, _strings(request.json.get("prompt"))))
    return Usage(prompt_tokens=prompt, completion_tokens=count_tokens(reply.content))


def _usage_json(usage: Usage) -> JSON:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens}


def _completion_model(reply: Reply, request: Request) -> str:
    return reply.model or request.model or DEFAULT_COMPLETION_MODEL


def completion(reply: Reply, request: Request, new_id: IdFactory, created: int) -> JSON:
    """A ``text_completion`` object: one choice holding the reply's text."""
    return {
        "id": new_id("cmpl-"),
        "object": "text_completion",
        "created": created,
        "model": _completion_model(reply, request),
        "choices": [{"index": 0, "text": reply.content, "logprobs": None, "finish_reason": reply.finish_reason}],
        "usage": _usage_json(_completion_usage(reply, request)),
        "system_fingerprint": "fp_agentops_test",
    }


def completion_chunks(reply: Reply, request: Request, new_id: IdFactory, created: int) -> list[JSON]:
    """The streamed ``text_completion`` chunks, without ``[DONE]``; the usage chunk (no choices) last,
    only when ``stream_options.include_usage`` asked for it, as the API does."""
    stream_options = request.json.get("stream_options")
    include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True
    chunk_id = new_id("cmpl-")
    model = _completion_model(reply, request)

    def chunk(text: str, finish_reason: str | None) -> JSON:
        return {"id": chunk_id, "object": "text_completion", "created": created, "model": model,
                "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}]}

    chunks = [chunk(piece, None) for piece in _pieces(reply.content, reply.chunk_size)]
    chunks.append(chunk("", reply.finish_reason))
    if include_usage:
        last = chunk("", None)
        last["choices"] = []
        last["usage"] = _usage_json(_completion_usage(reply, request))
        chunks.append(last)
    return chunks


def images(reply: Reply, request: Request, created: int) -> JSON:
    """An ``ImagesResponse`` with one placeholder image; usage as GPT Image models report it, when given."""
    prompt = request.json.get("prompt")
    digest = hashlib.sha256(prompt.encode() if isinstance(prompt, str) else b"").digest()[:8]
    body: JSON = {"created": created, "data": [{"b64_json": base64.b64encode(_PNG_HEAD + digest).decode("ascii")}]}
    usage = reply.usage
    if usage is not None:
        body["usage"] = {
            "input_tokens": usage.prompt_tokens,
            "input_tokens_details": {"text_tokens": usage.prompt_tokens, "image_tokens": 0},
            "output_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        }
    return body


def speech(reply: Reply, request: Request) -> bytes:
    """The reply's audio, else placeholder bytes naming the input (deterministic, not real audio)."""
    if reply.content:
        return reply.content.encode()
    text = request.json.get("input")
    return b"ID3fake-audio:" + (text.encode() if isinstance(text, str) else b"")


PLAIN_TRANSCRIPTS = frozenset({"text", "srt", "vtt"})
"""Transcript formats answered as plain text rather than JSON."""


def transcription(reply: Reply) -> JSON:
    """A ``Transcription``: usage in tokens as gpt-4o-transcribe reports it when the reply has it, else the
    audio's duration, as whisper-1 bills it."""
    usage = reply.usage
    if usage is None:
        return {"text": reply.content, "usage": {"type": "duration", "seconds": 3}}
    return {"text": reply.content, "usage": {
        "type": "tokens", "input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "input_token_details": {"text_tokens": 0, "audio_tokens": usage.prompt_tokens}}}


_BATCH_WINDOW = 24 * 3600
"""``completion_window="24h"``: the batch expires this long after it was created."""


def batch(request: Request, new_id: IdFactory, created: int) -> JSON:
    """The ``batch`` a submit creates: ``validating`` its input file, so no request is counted yet (the API
    reports ``request_counts.total`` 0 until it has read the file)."""
    body = request.json
    return {
        "id": new_id("batch_"),
        "object": "batch",
        "endpoint": body.get("endpoint"),
        "input_file_id": body.get("input_file_id"),
        "completion_window": body.get("completion_window"),
        "status": "validating",
        "created_at": created,
        "expires_at": created + _BATCH_WINDOW,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": body.get("metadata"),
        "errors": None, "output_file_id": None, "error_file_id": None, "in_progress_at": None, "finalizing_at": None,
        "completed_at": None, "failed_at": None, "expired_at": None, "cancelling_at": None, "cancelled_at": None,
    }
