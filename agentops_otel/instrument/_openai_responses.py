"""The Responses API and embeddings: request content and the outcome of a response, as pure
functions of the kwargs and the SDK's response objects (see :mod:`._openai_attrs`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .. import config, semconv
from .._parts import (
    JSONDict,
    bounded,
    encode_content,
    history_content,
    text_part,
    tool_call_part,
    tool_response_part,
)
from ..cost import Extras
from ..llm import Content, Outcome, TokenUsage, is_count
from ._openai_attrs import field_of, media_part, result_of, text_of
from ._openai_chat import response_attributes, tool_definitions

__all__ = [
    "embeddings_outcome",
    "responses_content",
    "responses_item",
    "responses_outcome",
]

# --- content: responses API ---------------------------------------------------------------------

def _responses_parts(content: Any, limit: int) -> list[JSONDict]:
    if isinstance(content, str):
        return [text_part(content, limit)]
    parts: list[JSONDict] = []
    if not isinstance(content, (list, tuple)):
        return parts
    for part in content:
        kind = field_of(part, "type")
        if kind in ("input_text", "output_text", "text"):
            parts.append(text_part(field_of(part, "text") or "", limit))
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": bounded(field_of(part, "refusal") or "", limit)})
        elif kind == "input_image":
            url = field_of(part, "image_url")
            parts.append(media_part("image", url, "image", limit) if url else
                         {"type": "file", "modality": "image", "file_id": field_of(part, "file_id")})
        elif kind == "input_file":
            parts.append({"type": "file", "file_id": field_of(part, "file_id"), "name": field_of(part, "filename")})
        elif isinstance(kind, str):
            parts.append({"type": kind})
    return parts


def responses_item(item: Any, limit: int) -> JSONDict | None:
    kind = field_of(item, "type")
    role = field_of(item, "role")
    if role is not None and kind in (None, "message"):
        return {"role": role, "parts": _responses_parts(field_of(item, "content"), limit)}
    if kind == "function_call":
        return {"role": "assistant", "parts": [
            tool_call_part(field_of(item, "call_id"), field_of(item, "name"), field_of(item, "arguments"), limit)]}
    if kind == "custom_tool_call":
        return {"role": "assistant", "parts": [
            tool_call_part(field_of(item, "call_id"), field_of(item, "name"), field_of(item, "input"), limit)]}
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = field_of(item, "output")
        return {"role": "tool", "parts": [
            tool_response_part(field_of(item, "call_id"), result_of(output, limit), limit)]}
    if kind == "reasoning":
        summary = text_of(field_of(item, "summary"))
        return {"role": "assistant", "parts": [{"type": "reasoning", "content": bounded(summary, limit)}]}
    return None


def responses_content(kwargs: Mapping[str, Any], limit: int, budget: int | None = None) -> Content:
    """Request content of a responses call; ``instructions`` is the system prompt, kept apart."""
    content = Content()
    if budget is None:
        budget = config.max_content_chars()
    given = kwargs.get("input")
    if isinstance(given, str):
        content.input_messages = encode_content(semconv.GEN_AI_INPUT_MESSAGES,
                                                [{"role": "user", "parts": [text_part(given, limit)]}])
    elif isinstance(given, (list, tuple)):
        content.input_messages = history_content(given, responses_item, limit, budget)
    instructions = kwargs.get("instructions")
    if isinstance(instructions, str):
        content.system_instructions = encode_content(semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
                                                     [text_part(instructions, limit)])
    content.tool_definitions = tool_definitions(kwargs.get("tools"), limit, budget)
    return content


_INCOMPLETE_REASONS: Final = {"max_output_tokens": "length", "content_filter": "content_filter"}


def _responses_finish_reason(resp: Any) -> str | None:
    """Chat-style finish reasons, so dashboards can group both APIs by one vocabulary."""
    status = resp.status
    if status == "completed":
        for item in resp.output or ():
            if field_of(item, "type") in ("function_call", "custom_tool_call"):
                return "tool_calls"
        return "stop"
    if status == "incomplete":
        reason = field_of(resp.incomplete_details, "reason")
        return _INCOMPLETE_REASONS.get(reason, reason) if isinstance(reason, str) else "incomplete"
    if status == "failed":
        return "error"
    return status if isinstance(status, str) else None


def _responses_usage(usage: Any) -> TokenUsage | None:
    if usage is None:
        return None
    tin, tout = getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None)
    if not (is_count(tin) and is_count(tout)):  # a count left out is unknown, never 0
        return TokenUsage(tin, tout, partial=True)
    out = TokenUsage(input=tin, output=tout)
    details = usage.input_tokens_details
    if details is not None:
        out.cache_read = getattr(details, "cached_tokens", None)
        out.cache_write = getattr(details, "cache_write_tokens", None)
    out_details = usage.output_tokens_details
    if out_details is not None:
        out.reasoning = getattr(out_details, "reasoning_tokens", None)
    return out


_TOKENS_ONLY_ITEMS: Final = frozenset({
    "message", "reasoning", "compaction", "additional_tools",
    "function_call", "function_call_output", "custom_tool_call", "custom_tool_call_output",
    "computer_call", "computer_call_output", "local_shell_call", "local_shell_call_output",
    "apply_patch_call", "apply_patch_call_output",
    "mcp_call", "mcp_list_tools", "mcp_approval_request", "mcp_approval_response",
})
"""Output items billed as the tokens they used: text, reasoning, and tools your code runs (function, custom,
computer use, local shell, apply_patch) or a remote MCP server does. Web and file searches are priced per call;
any other item (a code interpreter's container, an image from the image tool, a hosted shell, a tool released
after this list) may be billed beside the tokens at a rate genai-prices has no unit for: its call is unpriced."""


def _billed_items(output: Any) -> Extras | None:
    """What the response's output items are billed for beside its tokens (``None`` for most responses):
    each web and file search per call, and the items the table cannot price."""
    web = files = unpriced = 0
    for item in output or ():
        kind = field_of(item, "type")
        if kind in _TOKENS_ONLY_ITEMS:
            continue
        if kind == "web_search_call":
            web += 1
        elif kind == "file_search_call":
            files += 1
        else:
            unpriced += 1
    if not (web or files or unpriced):
        return None
    return Extras(web_searches=web, file_searches=files, unpriced_tools=unpriced)


def responses_outcome(resp: Any, with_content: bool, limit: int) -> Outcome:
    reason = _responses_finish_reason(resp)
    model = resp.model
    tier = resp.service_tier
    usage = _responses_usage(resp.usage)
    if usage is not None:
        usage.extras = _billed_items(resp.output)
    outcome = Outcome(resp.id, model if isinstance(model, str) else None, [reason] if reason else [],
                      usage, tier, provider_attributes=response_attributes(tier, None))
    if with_content:
        parts: list[JSONDict] = []
        for item in resp.output or ():
            msg = responses_item(item, limit)
            if msg is not None:
                parts.extend(msg["parts"])
        outcome.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]
    return outcome


# --- embeddings ---------------------------------------------------------------------------------

def embeddings_outcome(resp: Any) -> Outcome:
    usage = resp.usage
    # An embeddings call produces no tokens: output is left out, not recorded as 0.
    prompt = None if usage is None else getattr(usage, "prompt_tokens", None)
    tokens = None if usage is None else TokenUsage(input=prompt, output=None, partial=not is_count(prompt))
    return Outcome(None, resp.model, [], tokens, None)
