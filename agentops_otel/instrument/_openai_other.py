"""The openai endpoints beyond chat, responses and embeddings that bill per call: the legacy Completions
API, priced like chat, and the ones we record but do not price (images, audio, videos, ...).

A bound must never pass on a billed call it did not see: an endpoint left unwrapped is a call of any
size that a budget test reads as $0 and no call at all. Where the price table cannot price an endpoint
(per image, per second of audio or video, per character of speech, or image tokens at their own rates),
the call still counts, with the tokens its response reports, and its cost is unknown with the reason
(``GAP_ENDPOINT_UNPRICED``), so cost bounds refuse it rather than count it free. Pure functions of the
kwargs and the SDK's objects, as in :mod:`._openai_chat`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .. import _guard, config, semconv
from .._parts import JSONDict, history_content, text_part
from ..llm import Content, LLMCall, Outcome, is_count
from ._openai_attrs import field_of
from ._openai_chat import chat_usage, response_attributes

__all__ = ["CompletionAccumulator", "completion_content", "completion_outcome", "unpriced_end"]

# --- legacy completions ---------------------------------------------------------------------------


def _prompt_message(prompt: Any, limit: int) -> JSONDict | None:
    if isinstance(prompt, str):
        return {"role": "user", "parts": [text_part(prompt, limit)]}
    if isinstance(prompt, (list, tuple)):  # a tokenised prompt: its ids are no text to show
        return {"role": "user", "parts": [{"type": "text", "content": f"<{len(prompt)} token ids>"}]}
    return None


def completion_content(kwargs: Mapping[str, Any], limit: int, budget: int | None = None) -> Content:
    """The prompt(s) as user messages, within the content budget like a chat history. Only a string or a
    list/tuple is read: an iterable of token ids would be consumed before the SDK could send it."""
    if budget is None:
        budget = config.max_content_chars()
    prompt = kwargs.get("prompt")
    prompts: list[Any] | None = None
    if isinstance(prompt, str):
        prompts = [prompt]
    elif isinstance(prompt, (list, tuple)) and prompt:
        prompts = [prompt] if all(type(p) is int for p in prompt) else list(prompt)
    return Content(history_content(prompts, _prompt_message, limit, budget) if prompts else None)


def _output(text: Any, reason: Any, limit: int) -> JSONDict:
    parts = [text_part(text, limit)] if isinstance(text, str) and text else []
    return {"role": "assistant", "parts": parts, "finish_reason": reason}


def completion_outcome(resp: Any, with_content: bool, limit: int) -> Outcome:
    """A ``Completion``'s outcome: its usage is chat's ``CompletionUsage``, priced the same way."""
    reasons: list[str] = []
    messages: list[JSONDict] | None = [] if with_content else None
    for choice in resp.choices or ():
        reason = choice.finish_reason
        if isinstance(reason, str):
            reasons.append(reason)
        if messages is not None:
            messages.append(_output(choice.text, reason, limit))
    model = resp.model
    return Outcome(resp.id, model if isinstance(model, str) else None, reasons, chat_usage(resp.usage), None,
                   messages, response_attributes(None, resp.system_fingerprint))


class CompletionAccumulator:
    """Folds streamed ``Completion`` chunks into the outcome a non-streamed call would have had."""

    __slots__ = ("fingerprint", "first", "model", "reasons", "response_id", "texts", "usage")

    def __init__(self, with_content: bool) -> None:
        self.first: float | None = None
        self.response_id: str | None = None
        self.model: str | None = None
        self.fingerprint: str | None = None
        self.reasons: dict[int, str] = {}
        self.usage: Any = None
        self.texts: dict[int, list[str]] | None = {} if with_content else None

    def add(self, chunk: Any) -> None:
        if self.first is None:
            if _guard.ARMED:
                _guard.fault_point("openai.stream.chunk")
            self.first = time.perf_counter()
        if not self.model:
            self.response_id = chunk.id or self.response_id
            self.model = chunk.model or None
            self.fingerprint = chunk.system_fingerprint
        if chunk.usage is not None:
            self.usage = chunk.usage
        texts = self.texts
        for choice in chunk.choices:
            if choice.finish_reason is not None:
                self.reasons[choice.index] = choice.finish_reason
            if texts is not None and choice.text:
                texts.setdefault(choice.index, []).append(choice.text)

    def outcome(self, limit: int) -> Outcome:
        reasons = [self.reasons[i] for i in sorted(self.reasons)]
        outcome = Outcome(self.response_id, self.model, reasons, chat_usage(self.usage), None,
                          provider_attributes=response_attributes(None, self.fingerprint))
        if self.usage is None:
            # The usage chunk comes after every finish reason: without one the stream stopped early.
            outcome.usage_gap = semconv.GAP_STREAM_WITHOUT_USAGE if reasons else semconv.GAP_STREAM_NOT_FINISHED
        if self.texts is not None:
            outcome.output_messages = [_output("".join(self.texts.get(i, ())), self.reasons.get(i), limit)
                                       for i in sorted(set(self.texts) | set(self.reasons))]
        return outcome

    @property
    def first_chunk(self) -> float | None:
        return self.first


# --- billed endpoints we do not price -------------------------------------------------------------

_COUNT_NAMES = (("input_tokens", "output_tokens"), ("prompt_tokens", "completion_tokens"))
"""How these responses name their counts: GPT Image, transcription, decisions and compaction as the
Responses API does; anything older as chat."""


def unpriced_end(call: LLMCall, resp: Any) -> None:
    """End the span of a billed call we do not price: the tokens its response reports (an ``ImagesResponse``'s,
    a token-billed ``Transcription``'s), and its cost unknown, saying why. A response without both counts
    (speech bytes, a duration-billed transcription, a stream, a raw response) says its usage is missing too,
    so token bounds refuse it as well."""
    attrs: dict[str, Any] = {semconv.COST_INCOMPLETE_REASON: semconv.GAP_ENDPOINT_UNPRICED}
    response_id, model, usage = field_of(resp, "id"), field_of(resp, "model"), field_of(resp, "usage")
    if isinstance(response_id, str) and response_id:
        attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
    if isinstance(model, str) and model:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
    tin = tout = None
    if usage is not None:
        for names in _COUNT_NAMES:
            tin, tout = field_of(usage, names[0]), field_of(usage, names[1])
            if tin is not None or tout is not None:
                break
    if is_count(tin):
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = tin
    if is_count(tout):
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = tout
    if not (is_count(tin) and is_count(tout)):
        attrs[semconv.USAGE_MISSING] = True
    call.finish(attrs)
