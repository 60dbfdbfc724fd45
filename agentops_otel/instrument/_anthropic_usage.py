"""What a Claude call is billed for: its token counts, and what comes beside them (web searches, fast mode,
a non-global inference geography, server tools billed by the hour), read from an Anthropic ``Usage`` and the
response's server-tool blocks. Kept apart from the content readers: the rules follow Anthropic's price list,
not the message format.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from ..cost import Extras
from ..llm import TokenUsage, is_count

__all__ = ["billed_tool", "tier", "usage", "with_billed_tools"]


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def usage(raw: Any) -> TokenUsage | None:
    """Convention token counts from an Anthropic ``Usage`` (a message's, or one accumulated from a stream)."""
    if raw is None:
        return None
    read = _get(raw, "cache_read_input_tokens")
    read = read if is_count(read) else 0  # absent: nothing cached
    written = _get(raw, "cache_creation_input_tokens")
    written = written if is_count(written) else 0
    uncached, output = _get(raw, "input_tokens"), _get(raw, "output_tokens")
    if not (is_count(uncached) and is_count(output)):  # a count left out is unknown, never 0
        return TokenUsage(uncached + read + written if is_count(uncached) else None, output, partial=True)
    out = TokenUsage(input=uncached + read + written, output=output, cache_read=read, cache_write=written)
    split = _get(raw, "cache_creation")
    if split is not None:
        out.cache_write_1h = _get(split, "ephemeral_1h_input_tokens") or 0
    iterations = _get(raw, "iterations")
    if iterations:
        _add_compactions(out, iterations)
    details = _get(raw, "output_tokens_details")
    if details is not None:
        out.reasoning = _get(details, "thinking_tokens")
    server_tools = _get(raw, "server_tool_use")
    speed = _get(raw, "speed")
    geo = _get(raw, "inference_geo")
    if (server_tools is not None or (speed is not None and speed != "standard")
            or (geo is not None and geo not in _STANDARD_GEOS)):
        out.extras = _extras(server_tools, speed, geo)
    return out


_STANDARD_GEOS: Final = frozenset({"global", "not_available"})
"""``usage.inference_geo`` values billed at the standard rates (``"not_available"``: a model without the
choice); any other (``"us"``: 1.1x) makes the call unpriced rather than priced 10% short."""


def _add_compactions(out: TokenUsage, iterations: Any) -> None:
    """Add the compactions the API ran (beta): billed, but their tokens are left out of the top-level usage."""
    if not isinstance(iterations, (list, tuple)):
        return
    for entry in iterations:
        if _get(entry, "type") != "compaction":
            continue
        counts = [_get(entry, name) for name in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                                                 "cache_creation_input_tokens")]
        uncached, output, read, written = (c if is_count(c) else 0 for c in counts)
        out.input = (out.input or 0) + uncached + read + written
        out.output = (out.output or 0) + output
        out.cache_read = (out.cache_read or 0) + read
        out.cache_write = (out.cache_write or 0) + written
        split = _get(entry, "cache_creation")
        hour: Any = 0 if split is None else _get(split, "ephemeral_1h_input_tokens")
        if is_count(hour):
            out.cache_write_1h = (out.cache_write_1h or 0) + hour


def _extras(server_tools: Any, speed: Any, geo: Any = None) -> Extras | None:
    """Server-side web searches (billed per search), fast mode and a non-global inference geography (their
    own rates); ``None`` without any."""
    searches = None if server_tools is None else _get(server_tools, "web_search_requests")
    fast = speed if isinstance(speed, str) and speed != "standard" else None
    region = str(geo) if geo is not None and geo not in _STANDARD_GEOS else None
    if not searches and fast is None and region is None:
        return None
    return Extras(web_searches=searches if isinstance(searches, int) else 0, speed=fast, geo=region)


def tier(raw: Any) -> str | None:
    tier = _get(raw, "service_tier")
    return tier if isinstance(tier, str) else None


_TOKENS_ONLY_SERVER_TOOLS: Final = frozenset({"web_search", "web_fetch"})
"""Server tools billed as the tokens they bring in (web search also per search, counted in the usage). Any other
(code execution's container, by the hour past the free hours no response counts; a tool released after this
list) may be billed beside the tokens: its call is unpriced."""


def billed_tool(block: Any) -> bool:
    """A ``server_tool_use`` block of a tool that may be billed beside the tokens."""
    return _get(block, "type") == "server_tool_use" and _get(block, "name") not in _TOKENS_ONLY_SERVER_TOOLS


def with_billed_tools(found: TokenUsage | None, count: int) -> TokenUsage | None:
    if found is not None and count:
        found.extras = (Extras(unpriced_tools=count) if found.extras is None
                        else dataclasses.replace(found.extras, unpriced_tools=count))
    return found
